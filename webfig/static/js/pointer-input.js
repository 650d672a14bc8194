import { copiesSelectedText } from "./copy-keys.js"
import { devicePoint } from "./geometry.js"
import { takeKeyboard } from "./keyboard-focus.js"
import { chordType, guiEvent, keyName, modifiers } from "./keys.js"
import { pinchChange } from "./preview-geometry.js"
import { TouchGestures } from "./touch-gestures.js"
import { wheelStep } from "./wheel-zoom.js"
import { MAX_PINCH_SCALE, TO_SERVER } from "./wire.js"

// How long to wait for a motion_ack before sending the next move anyway.
const MOTION_ACK_TIMEOUT_MS = 250
// A finger's press and release are the primary button's.
const PRIMARY_PRESSED = Object.freeze({ button: 0, buttons: 1 })
const UNPRESSED = Object.freeze({ button: 0, buttons: 0 })

// Turns pointer, wheel and key events on the canvas frame into protocol messages.
//
// Moves are coalesced: at most one motion_notify per animation frame, with the latest
// position. When the server acknowledges moves (the motion_ack extension), at most one is in
// flight too, so a drag never builds a backlog on a slow link. With the preview extension each
// pointer message carries a sequence number, which frames refer back to. One finger on a
// touch screen is the mouse; two pinch (TouchGestures), which the server hears of as one
// `pinch` message when they let go (the pinch extension). A pen is the mouse.
//
// onSent(type, message) sees every message sent; onPointer(point) every position the pointer
// takes over the canvas (device pixels), sent or not; onPinch({start, now}) the fingers of a
// pinch under way (device pixels), and null for one that ended without a message.
// zoomsOnWheel({x, y, modifiers}) says whether the figure zooms on a wheel there: the page
// then neither scrolls nor zooms, as it never does while the figure captures the wheel.
export class PointerInput {
  #frame
  #canvas
  #send
  #callbacks
  #touches
  #sequenced = false
  #seq = 0
  #captureScroll = false
  #pinches = false
  #pendingMove = null
  #moveRequest = 0
  #pacedByServer = false
  #awaitingAck = false
  #ackTimeout = 0

  constructor(
    frame,
    canvas,
    send,
    {
      onSent = () => {},
      onPointer = () => {},
      onPinch = () => {},
      zoomsOnWheel = () => false,
    } = {},
  ) {
    this.#frame = frame
    this.#canvas = canvas
    this.#send = send
    this.#callbacks = { onSent, onPointer, onPinch, zoomsOnWheel }
    this.#touches = new TouchGestures({
      press: (event) => this.#press(event, { capture: false }),
      move: (event) => this.#move(event),
      release: (event) => this.#sendPointer(TO_SERVER.BUTTON_RELEASE, event, UNPRESSED),
      pinch: (fingers) => onPinch(fingers && this.#devicePinch(fingers)),
      pinched: (fingers) => this.#pinched(this.#devicePinch(fingers)),
    })
  }

  // Whether pointer messages carry a `seq` (the preview extension).
  set sequenced(value) {
    this.#sequenced = value
  }

  set captureScroll(value) {
    this.#captureScroll = value
  }

  // Whether the server takes a pinch (it negotiated `pinch`).
  set pinches(value) {
    this.#pinches = value
  }

  // Whether the server answers each motion_notify with motion_ack.
  set pacedByServer(value) {
    this.#pacedByServer = value
    if (!value) this.motionAcknowledged()
  }

  motionAcknowledged() {
    clearTimeout(this.#ackTimeout)
    this.#awaitingAck = false
    if (this.#pendingMove) this.#requestFlush()
  }

  // Every listener with its event, so listen and unlisten always match.
  get #listeners() {
    return [
      ["pointerdown", this.#pressed],
      ["pointerup", this.#released],
      ["pointercancel", this.#cancelled],
      ["pointermove", this.#moved],
      ["pointerenter", this.#entered],
      ["pointerleave", this.#left],
      ["dblclick", this.#doubleClicked],
      ["wheel", this.#wheeled, { passive: false }],
      ["contextmenu", this.#contextMenu],
      ["keydown", this.#keyPressed],
      ["keyup", this.#keyReleased],
    ]
  }

  listen() {
    for (const [type, listener, options] of this.#listeners) {
      this.#frame.addEventListener(type, listener, options)
    }
  }

  unlisten() {
    for (const [type, listener, options] of this.#listeners) {
      this.#frame.removeEventListener(type, listener, options)
    }
    this.reset()
  }

  // Forgets the moves of a socket that closed: its motion_ack will never come, and the next
  // socket negotiates pacing anew.
  reset() {
    cancelAnimationFrame(this.#moveRequest)
    clearTimeout(this.#ackTimeout)
    this.#pendingMove = null
    this.#awaitingAck = false
    this.#pacedByServer = false
    this.#sequenced = false
    this.#pinches = false
    this.#seq = 0
    this.#touches.reset()
  }

  #pressed = (event) => {
    if (event.pointerType === "touch") this.#touches.down(event)
    else this.#press(event, { capture: true })
  }

  #released = (event) => {
    if (event.pointerType === "touch") this.#touches.up(event)
    else this.#sendButton(TO_SERVER.BUTTON_RELEASE, event)
  }

  #cancelled = (event) => {
    if (event.pointerType === "touch") this.#touches.cancel(event)
    else this.#sendPointer(TO_SERVER.BUTTON_RELEASE, event, UNPRESSED)
  }

  #moved = (event) => {
    if (event.pointerType === "touch") {
      this.#touches.move(event)
      return
    }
    const chord = chordType(event.button, event.buttons)
    if (chord) {
      this.#sendButton(chord, event)
      return
    }
    this.#move(event)
  }

  // A finger's press is the primary button's, sent once it is sure to be the mouse (the
  // browser captured it to the canvas as it went down).
  #press(event, { capture }) {
    this.#frame.focus({ preventScroll: true })
    if (capture) {
      // Captured, a drag keeps reporting motion and its release outside the canvas.
      this.#frame.setPointerCapture(event.pointerId)
      this.#sendButton(TO_SERVER.BUTTON_PRESS, event)
    } else {
      this.#sendPointer(TO_SERVER.BUTTON_PRESS, event, PRIMARY_PRESSED)
    }
  }

  #move(event) {
    if (!this.#pendingMove && !this.#awaitingAck) this.#requestFlush()
    this.#pendingMove = event
    this.#callbacks.onPointer(this.#devicePoint(event))
  }

  #requestFlush() {
    cancelAnimationFrame(this.#moveRequest)
    this.#moveRequest = requestAnimationFrame(this.#pacedFlush)
  }

  #pacedFlush = () => {
    if (!this.#awaitingAck) this.#flushMove()
  }

  #entered = (event) => {
    // The figure under the pointer gets the keys, as a desktop window does.
    takeKeyboard(this.#frame)
    this.#sendPointer(TO_SERVER.FIGURE_ENTER, event)
  }

  #left = (event) => {
    this.#sendPointer(TO_SERVER.FIGURE_LEAVE, event)
  }

  #doubleClicked = (event) => {
    this.#sendButton(TO_SERVER.DBLCLICK, event)
  }

  #wheeled = (event) => {
    const step = wheelStep(event, window.devicePixelRatio)
    const zooms =
      step !== 0 &&
      this.#callbacks.zoomsOnWheel({ ...this.#devicePoint(event), modifiers: modifiers(event) })
    if (this.#captureScroll || zooms) event.preventDefault()
    if (step !== 0) this.#sendPointer(TO_SERVER.SCROLL, event, { step })
  }

  // Two fingers let go of a pinch: the server applies it as one view change.
  #pinched(fingers) {
    if (!this.#pinches) {
      this.#callbacks.onPinch(null)
      return
    }
    this.#flushMove()
    const { centre, scale, dx, dy } = pinchChange(fingers.start, fingers.now)
    const bounded = Math.min(Math.max(scale, 1 / MAX_PINCH_SCALE), MAX_PINCH_SCALE)
    const message = { x: centre.x, y: centre.y, scale: bounded, dx, dy }
    if (this.#sequenced) message.seq = this.#seq++
    this.#sendMessage(TO_SERVER.PINCH, message)
  }

  #devicePinch({ start, now }) {
    const device = (point) => this.#devicePoint({ clientX: point.x, clientY: point.y })
    return { start: start.map(device), now: now.map(device) }
  }

  #contextMenu = (event) => {
    event.preventDefault()
  }

  #keyPressed = (event) => {
    this.#sendKey(TO_SERVER.KEY_PRESS, event)
  }

  #keyReleased = (event) => {
    this.#sendKey(TO_SERVER.KEY_RELEASE, event)
  }

  #flushMove() {
    const event = this.#pendingMove
    if (!event) return
    cancelAnimationFrame(this.#moveRequest)
    this.#pendingMove = null
    this.#sendPointer(TO_SERVER.MOTION_NOTIFY, event, { buttons: event.buttons })
    if (this.#pacedByServer) {
      this.#awaitingAck = true
      clearTimeout(this.#ackTimeout)
      this.#ackTimeout = setTimeout(() => this.motionAcknowledged(), MOTION_ACK_TIMEOUT_MS)
    }
  }

  #sendButton(type, event) {
    this.#sendPointer(type, event, { button: event.button, buttons: event.buttons })
  }

  #sendPointer(type, event, fields = {}) {
    // A pending motion happened before this event, so the server must see it first.
    this.#flushMove()
    const { x, y } = this.#devicePoint(event)
    const message = { x, y, ...fields, modifiers: modifiers(event), guiEvent: guiEvent(event) }
    if (this.#sequenced) message.seq = this.#seq++
    this.#sendMessage(type, message)
  }

  #devicePoint(event) {
    const rect = this.#canvas.getBoundingClientRect()
    return devicePoint(event.clientX, event.clientY, rect, this.#canvas.width, this.#canvas.height)
  }

  #sendMessage(type, message) {
    this.#send(type, message)
    this.#callbacks.onSent(type, message)
  }

  #sendKey(type, event) {
    // Input methods deliver composed text, not keys.
    if (event.isComposing) return
    // Tab keeps moving the focus out of the figure; the copy chord copies selected text.
    if (event.key !== "Tab" && !copiesSelectedText(event)) event.preventDefault()
    this.#sendMessage(type, { key: keyName(event), guiEvent: guiEvent(event) })
  }
}
