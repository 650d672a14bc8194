import { MODIFIER } from "./wire.js"

// Pure helpers of the wheel: its events as the protocol's steps, and when matplotlib's wheel
// zoom (backend_bases.scroll_handler) acts on one.

// The wheel's deltas per notch, by WheelEvent.deltaMode (pixels, lines, pages); pixels are
// CSS pixels, which the browser scales by its zoom and the screen's pixel ratio, so they are
// counted in device pixels.
const DELTA_PER_STEP = [100, 3, 1]

// matplotlib zooms by this factor per step up.
export const WHEEL_ZOOM_BASE = 0.85

// The keys (matplotlib's names) under which matplotlib's wheel zoom acts: control zooms both
// directions, x or y only that one.
const ZOOM_KEYS = new Set(["control", "x", "y"])

// The steps a wheel event turns, > 0 up (away from the user), as matplotlib counts them: one
// per event, as a mouse's notch is and as matplotlib's own page counts them, or less for a
// touchpad's smooth scrolling (and its pinch, which browsers send as ctrl + wheel), whose
// many small events would each be a whole notch otherwise.
export function wheelStep(event, pixelRatio) {
  const pixels = event.deltaMode === 0 ? pixelRatio : 1
  const perStep = DELTA_PER_STEP[event.deltaMode] ?? DELTA_PER_STEP[0]
  return -Math.sign(event.deltaY) * Math.min(1, (Math.abs(event.deltaY) * pixels) / perStep)
}

// The key matplotlib's wheel zoom sees with a wheel message: the one the figure heard held
// (`heldKey`, matplotlib's name, or null), else "control" while the wheel's own modifiers
// hold ctrl (the server reads them the same way); null when it does not zoom.
export function wheelZoomKey(heldKey, modifiers) {
  const key = heldKey ?? (modifiers.includes(MODIFIER.CTRL) ? "control" : null)
  return ZOOM_KEYS.has(key) ? key : null
}
