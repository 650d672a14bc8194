"""The threads everything runs on, and the small tools they share.

The event loop that serves figures (:mod:`.event_loop`, with the encoders' and downloads'
thread pools), each figure's own thread (:mod:`.figure_thread`), updates passed on at a
bounded rate (:mod:`.throttle`), and problems logged once per kind (:mod:`.log_once`).
"""
