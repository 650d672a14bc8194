import { draggedSize } from "./geometry.js"

// A grip at the canvas' corner: dragging previews a size, releasing asks the server for it.
export class ResizeHandle {
  #handle
  #root
  #canvas
  #callbacks
  #start = null
  #size = null

  constructor(handle, { root, canvas, onPreview, onCancel, onResize }) {
    this.#handle = handle
    this.#root = root
    this.#canvas = canvas
    this.#callbacks = { onPreview, onCancel, onResize }
  }

  listen() {
    this.#handle.addEventListener("pointerdown", this.#pressed)
    this.#handle.addEventListener("pointermove", this.#moved)
    this.#handle.addEventListener("pointerup", this.#released)
    this.#handle.addEventListener("pointercancel", this.#cancelled)
  }

  unlisten() {
    this.#handle.removeEventListener("pointerdown", this.#pressed)
    this.#handle.removeEventListener("pointermove", this.#moved)
    this.#handle.removeEventListener("pointerup", this.#released)
    this.#handle.removeEventListener("pointercancel", this.#cancelled)
    if (this.#start) this.#cancelled()
  }

  #pressed = (event) => {
    if (event.button !== 0) return
    event.preventDefault()
    this.#handle.setPointerCapture(event.pointerId)
    this.#start = {
      clientX: event.clientX,
      clientY: event.clientY,
      width: this.#canvas.clientWidth,
      height: this.#canvas.clientHeight,
    }
    this.#root.dataset.resizing = ""
  }

  #moved = (event) => {
    if (!this.#start) return
    this.#size = draggedSize(this.#start, event.clientX, event.clientY)
    this.#callbacks.onPreview(this.#size)
  }

  #released = () => {
    if (!this.#start) return
    const { width, height } = this.#start
    const size = this.#size
    this.#finish()
    // A click without a drag, or a drag back to the start, resizes nothing.
    if (size && (size.width !== width || size.height !== height)) this.#callbacks.onResize(size)
  }

  #cancelled = () => {
    this.#finish()
    this.#callbacks.onCancel()
  }

  #finish() {
    this.#start = null
    this.#size = null
    delete this.#root.dataset.resizing
  }
}
