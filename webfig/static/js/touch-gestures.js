// How far a lone finger moves (CSS px), or how long it rests (ms), before it is taken for the
// mouse: a second finger down before then makes the two a pinch, and matplotlib never hears
// of the first.
const TOUCH_SLOP_PX = 6
const TOUCH_HOLD_MS = 120

// Tells fingers on the canvas apart: one finger acts as the mouse, two pinch.
//
// A lone finger waits (a few pixels, a moment) to be sure it is alone, then is the mouse
// from where it went down: `press(event)`, `move(event)`, `release(event)`, as the mouse
// path takes them. A tap is a press and a release. A second finger makes a pinch:
// `pinch({start, now})` (client points) as the fingers move, `pinched({start, now})` once one
// of them lifts, or `pinch(null)` if the browser cancelled them; a finger that was the mouse
// is released first, where it is. Fingers left after a pinch do nothing until they all lift.
export class TouchGestures {
  #callbacks
  // Every finger down, by pointerId: its latest event.
  #fingers = new Map()
  // "idle", "waiting" (a lone finger, not yet the mouse), "mouse", "pinching", or "done" (after a
  // pinch, until every finger lifted).
  #state = "idle"
  // The lone finger's pointerdown, while waiting.
  #down = null
  #holdTimeout = 0
  // The two pinching fingers' ids and where they went down.
  #pinch = null

  constructor({ press, move, release, pinch, pinched }) {
    this.#callbacks = { press, move, release, pinch, pinched }
  }

  down(event) {
    this.#fingers.set(event.pointerId, event)
    switch (this.#state) {
      case "idle":
        this.#state = "waiting"
        this.#down = event
        this.#holdTimeout = setTimeout(() => this.#becomeMouse(), TOUCH_HOLD_MS)
        break
      case "waiting":
        this.#startPinch(this.#down, event)
        break
      case "mouse":
        this.#callbacks.release(this.#fingers.get(this.#down.pointerId))
        this.#startPinch(this.#fingers.get(this.#down.pointerId), event)
        break
    }
  }

  move(event) {
    if (!this.#fingers.has(event.pointerId)) return
    this.#fingers.set(event.pointerId, event)
    switch (this.#state) {
      case "waiting":
        if (travelled(this.#down, event) > TOUCH_SLOP_PX) {
          this.#becomeMouse()
          this.#callbacks.move(event)
        }
        break
      case "mouse":
        this.#callbacks.move(event)
        break
      case "pinching":
        if (this.#pinch.ids.includes(event.pointerId)) this.#callbacks.pinch(this.#pinchState())
        break
    }
  }

  up(event) {
    if (!this.#fingers.has(event.pointerId)) return
    this.#fingers.set(event.pointerId, event)
    switch (this.#state) {
      case "waiting":
        this.#becomeMouse()
        this.#callbacks.release(event)
        break
      case "mouse":
        this.#callbacks.release(event)
        break
      case "pinching":
        if (this.#pinch.ids.includes(event.pointerId)) {
          this.#callbacks.pinched(this.#pinchState())
          this.#state = "done"
        }
        break
    }
    this.#lift(event)
  }

  // The browser took the finger back (or the page went away): whatever it was doing is
  // undone where it can be, ended where it cannot.
  cancel(event) {
    if (!this.#fingers.has(event.pointerId)) return
    switch (this.#state) {
      case "mouse":
        this.#callbacks.release(event)
        break
      case "pinching":
        this.#callbacks.pinch(null)
        this.#state = "done"
        break
    }
    this.#lift(event)
  }

  // Forgets every finger (the canvas stopped listening).
  reset() {
    clearTimeout(this.#holdTimeout)
    if (this.#state === "pinching") this.#callbacks.pinch(null)
    this.#fingers.clear()
    this.#state = "idle"
    this.#down = null
    this.#pinch = null
  }

  #becomeMouse() {
    clearTimeout(this.#holdTimeout)
    if (this.#state !== "waiting") return
    this.#state = "mouse"
    this.#callbacks.press(this.#down)
  }

  #startPinch(first, second) {
    clearTimeout(this.#holdTimeout)
    this.#state = "pinching"
    this.#pinch = { ids: [first.pointerId, second.pointerId], start: [point(first), point(second)] }
    this.#callbacks.pinch(this.#pinchState())
  }

  #pinchState() {
    const { ids, start } = this.#pinch
    return { start, now: ids.map((id) => point(this.#fingers.get(id))) }
  }

  #lift(event) {
    this.#fingers.delete(event.pointerId)
    if (this.#fingers.size > 0) return
    clearTimeout(this.#holdTimeout)
    this.#state = "idle"
    this.#down = null
    this.#pinch = null
  }
}

function point(event) {
  return { x: event.clientX, y: event.clientY }
}

function travelled(from, to) {
  return Math.hypot(to.clientX - from.clientX, to.clientY - from.clientY)
}
