import { NO_CHANGES } from "./canvas-changes.js"
import {
  IDENTITY,
  axesAt,
  clipBox,
  isIdentity,
  movedAxes,
  panMapping,
  scaleMapping,
  zoomMapping,
  zoomRect,
} from "./preview-geometry.js"
import { BUTTON, KEY_MARK, NAVIGATE_MODE, TO_SERVER } from "./wire.js"

// Past this long without the server saying it handled a release, the picture is shown as
// the server drew it (it is always right; only the preview of the release would be missing).
const RELEASE_WAIT_MS = 5000

// Keys matplotlib's pan and zoom read while held: the names this client sends, and
// matplotlib's.
const NAVIGATION_KEYS = new Map([
  [`${KEY_MARK}Control`, "control"],
  [`${KEY_MARK}Shift`, "shift"],
  [`${KEY_MARK}x`, "x"],
  [`${KEY_MARK}y`, "y"],
])

// Shows the picture (a Picture) moved by the drag the server has not drawn yet (the `preview`
// extension, see docs/protocol.md).
//
// While the user pans or zooms, each animation frame shows the picture with the navigated
// axes' pixels moved as matplotlib will move them: by the pointer's offset since the state the
// picture shows (the frames say which of this viewer's pointer messages they reflect). Once a
// frame reflects the release, the picture is shown as it is, so no preview pixel outlives
// the drag. Off (the server did not negotiate `preview`), frames are only shown.
export class GesturePreview {
  #picture
  #enabled = false
  #geometry = null
  #mode = ""
  #key = null
  #gesture = null
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
    if (!value) this.#end()
  }

  // The navigate mode matplotlib's toolbar is in: "PAN", "ZOOM" or "NONE" ("" until it says).
  set mode(mode) {
    this.#mode = mode
  }

  // A `preview_geometry` message: the navigable axes of the frames that follow.
  set geometry(geometry) {
    this.#geometry = Array.isArray(geometry?.axes) ? geometry : null
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
    }
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
    this.#end()
  }

  #pressed(message) {
    this.#end()
    const geometry = this.#geometry
    const { width, height } = this.#picture
    if (!this.#enabled || !geometry || !Number.isInteger(message.seq)) return
    if (geometry.size?.[0] !== width || geometry.size?.[1] !== height) return
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

  #point(position) {
    return matplotlibPoint(position, this.#picture.height)
  }

  #end() {
    clearTimeout(this.#releaseTimeout)
    cancelAnimationFrame(this.#frameRequest)
    this.#frameRequest = 0
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
    const moved = this.#gesture ? this.#movedAxes(this.#gesture) : []
    this.#picture.show(
      changes,
      moved.map(({ axes, mapping }) => ({ box: clipBox(axes), face: axes.face, mapping })),
    )
  }

  // The axes the gesture moves, with where their pixels go from the picture's state to the
  // pointer's; none while nothing moved.
  #movedAxes(gesture) {
    const mappingOf = this.#mappingOf(gesture)
    if (!mappingOf) return []
    return movedAxes(gesture.geometry, gesture.targets, mappingOf).filter(
      ({ mapping }) => !isIdentity(mapping),
    )
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
