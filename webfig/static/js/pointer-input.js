import { copiesSelectedText } from "./copy-keys.js"
import { devicePoint } from "./geometry.js"
import { takeKeyboard } from "./keyboard-focus.js"
import { chordType, guiEvent, keyName, modifiers } from "./keys.js"
import { TO_SERVER } from "./wire.js"

// How long to wait for a motion_ack before sending the next move anyway.
const MOTION_ACK_TIMEOUT_MS = 250

// Turns pointer, wheel and key events on the canvas frame into protocol messages.
//
// Moves are coalesced: at most one motion_notify per animation frame, with the latest
// position. When the server acknowledges moves (the motion_ack extension), at most one is in
// flight too, so a drag never builds a backlog on a slow link. With the preview extension each
// pointer message carries a sequence number, which frames refer back to.
//
// onSent(type, message) sees every message sent; onPointer(point) every position the pointer
// takes over the canvas (device pixels), sent or not.
export class PointerInput {
  #frame
  #canvas
  #send
  #callbacks
  #sequenced = false
  #seq = 0
  #captureScroll = false
  #pendingMove = null
  #moveRequest = 0
  #pacedByServer = false
  #awaitingAck = false
  #ackTimeout = 0

  constructor(frame, canvas, send, { onSent = () => {}, onPointer = () => {} } = {}) {
    this.#frame = frame
    this.#canvas = canvas
    this.#send = send
    this.#callbacks = { onSent, onPointer }
  }

  // Whether pointer messages carry a `seq` (the preview extension).
  set sequenced(value) {
    this.#sequenced = value
  }

  set captureScroll(value) {
    this.#captureScroll = value
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
    this.#seq = 0
  }

  #pressed = (event) => {
    this.#frame.focus({ preventScroll: true })
    // Captured, a drag keeps reporting motion and its release outside the canvas.
    this.#frame.setPointerCapture(event.pointerId)
    this.#sendButton(TO_SERVER.BUTTON_PRESS, event)
  }

  #released = (event) => {
    this.#sendButton(TO_SERVER.BUTTON_RELEASE, event)
  }

  #moved = (event) => {
    const chord = chordType(event.button, event.buttons)
    if (chord) {
      this.#sendButton(chord, event)
      return
    }
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
    if (this.#captureScroll) event.preventDefault()
    if (event.deltaY === 0) return
    this.#sendPointer(TO_SERVER.SCROLL, event, { step: event.deltaY < 0 ? 1 : -1 })
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
