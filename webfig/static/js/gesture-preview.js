import { NO_CHANGES } from "./canvas-changes.js"
import {
  IDENTITY,
  axesAt,
  boundsBox,
  clipBox,
  compose,
  conflicting,
  isIdentity,
  movedAxes,
  panMapping,
  pinchChange,
  pinchMapping,
  pinchTargets,
  scaleMapping,
  topmostAt,
  wheelMapping,
  zoomMapping,
  zoomRect,
} from "./preview-geometry.js"
import { wheelZoomKey } from "./wheel-zoom.js"
import { BUTTON, KEY_MARK, NAVIGATE_MODE, TO_SERVER } from "./wire.js"

// Past this long without the server saying it handled a release (or a wheel step, or a
// pinch), the picture is shown as the server drew it (it is always right; only the preview
// of the change would be missing).
const RELEASE_WAIT_MS = 5000

// Keys matplotlib's pan and zoom read while held: the names this client sends, and
// matplotlib's.
const NAVIGATION_KEYS = new Map([
  [`${KEY_MARK}Control`, "control"],
  [`${KEY_MARK}Shift`, "shift"],
  [`${KEY_MARK}x`, "x"],
  [`${KEY_MARK}y`, "y"],
])

// Shows the picture (a Picture) moved by the navigation the server has not drawn yet (the
// `preview` extension, see docs/protocol.md): a drag, wheel steps, a pinch.
//
// While the user pans or zooms, each animation frame shows the picture with the navigated
// axes' pixels moved as matplotlib will move them: by the pointer's offset since the state the
// picture shows (the frames say which of this viewer's pointer messages they reflect). Once a
// frame reflects the release, the picture is shown as it is, so no preview pixel outlives
// the drag. Wheel steps and pinches are view changes of their own, each previewed until a
// frame reflects it; those before a frame compose. Off (the server did not negotiate
// `preview`), frames are only shown.
export class GesturePreview {
  #picture
  #enabled = false
  #geometry = null
  #mode = ""
  #key = null
  #gesture = null
  // The view changes sent (wheel steps, ended pinches) that the picture does not reflect yet,
  // in the order sent: [{seq, moved: [{axes, mapping}]}].
  #steps = []
  #stepsTimeout = 0
  // Two fingers pinching: {geometry, targets, change}, until they let go.
  #pinch = null
  // The seq of the last pointer message the picture reflects, and the one announced for the
  // frame being painted.
  #pictureSeq = -1
  #announcedSeq = null
  #frameRequest = 0
  #releaseTimeout = 0

  constructor(picture) {
    this.#picture = picture
  }

  // Whether the server takes part (it negotiated `preview`).
  set enabled(value) {
    this.#enabled = value
    if (!value) this.#forget()
  }

  // The navigate mode matplotlib's toolbar is in: "PAN", "ZOOM" or "NONE" ("" until it says).
  set mode(mode) {
    this.#mode = mode
  }

  // A `preview_geometry` message: the navigable axes of the frames that follow.
  set geometry(geometry) {
    this.#geometry = Array.isArray(geometry?.axes) ? geometry : null
    // A view change on its way keeps moving the axes that are still where it found them.
    this.#steps = this.#steps.map((step) => ({
      ...step,
      moved: step.moved.filter(({ axes }) => this.#placed(axes)),
    }))
  }

  // A `frame_seq` message: the frame that follows (or, without one, the picture as it is)
  // reflects this viewer's pointer messages up to `seq`.
  frameSeq({ seq, frame }) {
    if (!Number.isInteger(seq)) return
    if (frame) {
      this.#announcedSeq = seq
      return
    }
    this.#pictureSeq = Math.max(this.#pictureSeq, seq)
    this.#show()
  }

  // A frame was painted on the picture: `full`, or the rectangles it changed.
  painted({ full, rects }) {
    if (this.#announcedSeq !== null) {
      this.#pictureSeq = Math.max(this.#pictureSeq, this.#announcedSeq)
      this.#announcedSeq = null
    }
    this.#show({ full, rects: rects ?? [] })
  }

  // A message this viewer sent: pointer messages start, move and end a gesture; keys are
  // held or let go.
  sent(type, message) {
    switch (type) {
      case TO_SERVER.KEY_PRESS:
        this.#key = NAVIGATION_KEYS.get(message.key) ?? message.key
        break
      case TO_SERVER.KEY_RELEASE:
        this.#key = null
        break
      case TO_SERVER.BUTTON_PRESS:
        this.#pressed(message)
        break
      case TO_SERVER.MOTION_NOTIFY:
        this.#gesture?.moves.push({ seq: message.seq, point: this.#point(message), key: this.#key })
        break
      case TO_SERVER.BUTTON_RELEASE:
        this.#released(message)
        break
      case TO_SERVER.SCROLL:
        this.#wheeled(message)
        break
      case TO_SERVER.PINCH:
        this.#pinched(message)
        break
    }
  }

  // Whether matplotlib's wheel zoom acts on wheel message `message` ({x, y, modifiers}): the
  // page must not scroll or zoom then.
  zoomsOnWheel(message) {
    return this.#wheelZoom(message) !== null
  }

  // Two fingers pinch from `start` to `now` ([a, b] each, device pixels); null: they let go
  // without a pinch (it was cancelled).
  pinching(pinch) {
    if (!pinch) {
      this.#pinch = null
      this.#requestFrame()
      return
    }
    const change = pinchChange(pinch.start, pinch.now)
    if (!this.#pinch) {
      const geometry = this.#geometry
      const previewed = this.#enabled && geometry?.pinch_zoom && this.#fits(geometry)
      const targets = previewed ? pinchTargets(geometry, change.centre) : []
      this.#pinch = { geometry, targets, change }
    }
    this.#pinch.change = change
    this.#requestFrame()
  }

  // The pointer is at `point` now (sent to the server or not yet).
  pointerAt(point) {
    if (!this.#gesture || this.#gesture.release) return
    this.#gesture.pointer = { point: this.#point(point), key: this.#key }
    this.#requestFrame()
  }

  // The socket closed: what it said about the picture no longer holds, and the next one
  // starts with a full frame.
  reset() {
    this.#geometry = null
    this.#pictureSeq = -1
    this.#announcedSeq = null
    this.#key = null
    this.#forget()
  }

  #pressed(message) {
    this.#end()
    const geometry = this.#geometry
    if (!this.#enabled || !this.#fits(geometry) || !Number.isInteger(message.seq)) return
    const kind = gestureKind(this.#mode, message.button)
    if (!kind) return
    const start = this.#point(message)
    const targets = axesAt(geometry, start, kind === "zoom" ? "zoom" : "pan")
    if (targets.length === 0) return
    const state = { point: start, key: this.#key }
    this.#gesture = {
      kind,
      direction: message.button === BUTTON.LEFT ? "in" : "out",
      geometry,
      targets,
      start,
      pressed: state,
      pointer: state,
      moves: [],
      release: null,
    }
  }

  #released(message) {
    const gesture = this.#gesture
    if (!gesture) return
    if (!Number.isInteger(message.seq)) {
      this.#end()
      return
    }
    gesture.release = { seq: message.seq, point: this.#point(message), key: this.#key }
    clearTimeout(this.#releaseTimeout)
    this.#releaseTimeout = setTimeout(() => this.#end(), RELEASE_WAIT_MS)
    this.#requestFrame()
  }

  // matplotlib's wheel zoom on wheel message `message`: the axes it zooms and the key it
  // zooms under, or null where it does nothing.
  #wheelZoom(message) {
    const geometry = this.#geometry
    if (!this.#enabled || !geometry?.wheel_zoom) return null
    const key = wheelZoomKey(this.#key, message.modifiers ?? [])
    const axes = key ? topmostAt(geometry, message) : null
    return axes ? { axes, key } : null
  }

  #wheeled(message) {
    const zoom = this.#wheelZoom(message)
    const geometry = this.#geometry
    if (!zoom || this.#gesture || this.#pinch || !Number.isInteger(message.seq)) return
    if (!this.#fits(geometry) || !Number.isFinite(message.step)) return
    // A fixed aspect makes matplotlib's draw change the other direction too (or the box).
    if (zoom.key !== "control" && zoom.axes.equal) return
    const mapping = wheelMapping(message, message.step, zoom.key)
    this.#addStep(message.seq, movedAxes(geometry, [zoom.axes], () => mapping))
  }

  #pinched(message) {
    const pinch = this.#pinch
    this.#pinch = null
    if (pinch?.targets.length && Number.isInteger(message.seq)) {
      const { x, y, scale, dx, dy } = message
      const mapping = pinchMapping({ centre: { x, y }, scale, dx, dy })
      this.#addStep(message.seq, movedAxes(pinch.geometry, pinch.targets, () => mapping))
    }
    this.#requestFrame()
  }

  #addStep(seq, moved) {
    this.#steps.push({ seq, moved })
    clearTimeout(this.#stepsTimeout)
    this.#stepsTimeout = setTimeout(() => {
      this.#steps = []
      this.#show()
    }, RELEASE_WAIT_MS)
    this.#requestFrame()
  }

  // Whether `geometry` is that of the picture shown.
  #fits(geometry) {
    const { width, height } = this.#picture
    return Boolean(geometry) && geometry.size?.[0] === width && geometry.size?.[1] === height
  }

  // Whether `axes` is where the current geometry has it.
  #placed(axes) {
    const now = this.#geometry?.axes.find(({ id }) => id === axes.id)
    if (!now) return false
    const [a, b] = [boundsBox(now), boundsBox(axes)]
    return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height
  }

  #point(position) {
    return matplotlibPoint(position, this.#picture.height)
  }

  // Ends the drag, the pinch and the view changes on their way: nothing is moved any more.
  #forget() {
    clearTimeout(this.#stepsTimeout)
    clearTimeout(this.#releaseTimeout)
    cancelAnimationFrame(this.#frameRequest)
    this.#frameRequest = 0
    this.#steps = []
    this.#pinch = null
    this.#gesture = null
    this.#show()
  }

  // Ends the drag.
  #end() {
    clearTimeout(this.#releaseTimeout)
    if (!this.#gesture) return
    this.#gesture = null
    this.#show()
  }

  #requestFrame() {
    if (!this.#frameRequest) this.#frameRequest = requestAnimationFrame(this.#frame)
  }

  #frame = () => {
    this.#frameRequest = 0
    this.#show()
  }

  // Shows the picture where `changes` (a frame's) say it changed, and the axes the gesture
  // moves, moved.
  #show(changes = NO_CHANGES) {
    const gesture = this.#gesture
    if (gesture?.release && this.#pictureSeq >= gesture.release.seq) {
      // The server drew the end of the gesture: the picture is the truth again.
      this.#gesture = null
      clearTimeout(this.#releaseTimeout)
    }
    this.#steps = this.#steps.filter((step) => step.seq > this.#pictureSeq)
    if (this.#steps.length === 0) clearTimeout(this.#stepsTimeout)
    this.#picture.show(
      changes,
      this.#moved().map(({ axes, mapping }) => ({ box: clipBox(axes), face: axes.face, mapping })),
    )
  }

  // The axes moved, each with where its pixels go from the picture's state to what the user
  // did since: the view changes on their way and the drag, in the order they were made, then
  // the pinch under way; none where boxes that overlap would move apart (the frame will show
  // them).
  #moved() {
    const layers = [...this.#steps]
    const gesture = this.#gesture
    if (gesture) layers.push({ seq: gesture.release?.seq ?? Infinity, moved: this.#movedAxes(gesture) })
    const pinch = this.#pinch
    // (Without the preview's geometry a pinch has no targets: the frame shows it.)
    if (pinch?.targets.length) {
      const mapping = pinchMapping(pinch.change)
      layers.push({ seq: Infinity, moved: movedAxes(pinch.geometry, pinch.targets, () => mapping) })
    }
    // (A stable sort: the drag under way comes before a pinch that ended it.)
    layers.sort((a, b) => (a.seq > b.seq) - (a.seq < b.seq))
    const combined = new Map()
    for (const { moved } of layers) {
      for (const { axes, mapping } of moved) {
        const before = combined.get(axes.id)?.mapping
        combined.set(axes.id, { axes, mapping: before ? compose(mapping, before) : mapping })
      }
    }
    const moved = [...combined.values()].filter(({ mapping }) => !isIdentity(mapping))
    return conflicting(moved) ? [] : moved
  }

  // The axes the gesture moves, with where their pixels go from the picture's state to the
  // pointer's.
  #movedAxes(gesture) {
    const mappingOf = this.#mappingOf(gesture)
    return mappingOf ? movedAxes(gesture.geometry, gesture.targets, mappingOf) : []
  }

  #mappingOf(gesture) {
    if (gesture.kind === "zoom") {
      // A zoom changes nothing until its release; a picture from before the release shows
      // the view before the zoom.
      const { release } = gesture
      if (!release || this.#pictureSeq >= release.seq) return null
      return (axes) => {
        const rect = zoomRect(gesture.start, release.point, release.key, gesture.targets[0])
        return rect ? zoomMapping(rect, axes, gesture.direction) : IDENTITY
      }
    }
    // After the release, the pan ends where the last move left it.
    const target = gesture.release ? (gesture.moves.at(-1) ?? gesture.pressed) : gesture.pointer
    const shown = this.#stateShown(gesture)
    if (gesture.kind === "pan") return () => panMapping(gesture.start, shown, target)
    return (axes) => scaleMapping(gesture.start, shown, target, axes)
  }

  // The pointer state the picture shows: that of the last move it reflects.
  #stateShown(gesture) {
    let shown = gesture.pressed
    for (const move of gesture.moves) {
      if (move.seq > this.#pictureSeq) break
      shown = move
    }
    return shown
  }
}

// Where matplotlib takes a pointer message to be: its events hold whole pixels, counted from
// the bottom (it truncates), here turned back to the canvas' top-left origin.
function matplotlibPoint({ x, y }, height) {
  return { x: Math.trunc(x), y: height - Math.trunc(height - y) }
}

// "pan" (left button in pan mode), "scale" (right button in pan mode: a zoom about the press
// point), "zoom" (zoom to rectangle, either button) or null.
function gestureKind(mode, button) {
  if (button !== BUTTON.LEFT && button !== BUTTON.RIGHT) return null
  if (mode === NAVIGATE_MODE.PAN) return button === BUTTON.LEFT ? "pan" : "scale"
  if (mode === NAVIGATE_MODE.ZOOM) return "zoom"
  return null
}
