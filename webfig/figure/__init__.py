"""One figure shown to browser viewers: the matplotlib side of webfig.

The canvas (:mod:`.canvas`: Agg drawing, viewers' input as matplotlib events), the manager
(:mod:`.manager`: the figure's viewers and the frames they get), when the figure is drawn
(:mod:`.render_scheduler`), downloads saved (:mod:`.saving`), both toolbars (:mod:`.toolbar`,
:mod:`.toolmanager`), the subplot tool, timers, and the axes' geometry for the preview
(:mod:`.preview_geometry`). No Tornado: the manager is a
:class:`~webfig.wire.interfaces.ServedFigure` that any server may list.
"""
