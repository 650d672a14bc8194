"""Figures rendered to files, for downloads and for web applications.

:func:`~.render.render` and :func:`~.render.to_rgba` in this process, a cache of rendered images
that processes may share through Redis or memcached (:mod:`.cache`, :mod:`.stores`), and
rendering in worker processes: :mod:`.process_pool` starts and runs them (for downloads and for
:class:`~.render_pool.RenderPool`), :mod:`.worker_process` is what runs in them. No Tornado, no
pyplot.
"""
