"""Figures in a notebook: each pyplot figure shown live in the output of the cell that made it,
over the kernel's own connection (a widget's comm), with webfig's client and frames.

Nothing here listens on a port or imports Tornado: a view of a figure is a
:class:`~webfig.wire.interfaces.Viewer` whose messages and frames are comm messages
(:mod:`.comm_viewer`), the figure's widget routes each view's messages to it
(:mod:`.notebook_figure`), the IPython kernel's cells decide when figures are shown and
closed (:mod:`.cells`), and the client is bundled into the one module a widget's front end
runs (:mod:`.bundle`). :mod:`webfig.backend` puts them together.
"""
