"""Frames: a figure's pictures turned into what each viewer paints, and sent at its pace.

The encoder (:mod:`.encoder`, pure functions of pixels), frame delivery (:mod:`.delivery`:
which viewer gets which frame, when, encoded where), what delivery knows of each viewer
(:mod:`.viewer_state`), what a viewer's link carries (:mod:`.link_meter`), retries of encodes
that fail (:mod:`.encode_retries`), and regions saved for blitting (:mod:`.blit_regions`).
No Tornado: delivery sends through the :class:`~webfig.wire.interfaces.Viewer` interface.
"""
