"""Figures rendered to files, for downloads and for web applications.

:func:`~.render.render` and :func:`~.render.to_rgba` in this process, a cache of rendered images
that processes may share through Redis or memcached (:mod:`.cache`, :mod:`.stores`), and
rendering in worker processes (:mod:`.render_pool`). No Tornado, no pyplot.
"""
