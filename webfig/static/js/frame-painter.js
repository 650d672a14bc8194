// Paints PNG frames on the canvas in the order they arrived, though decoding is async.
export class FramePainter {
  #canvas
  #context
  #callbacks
  #mode = "full"
  #queue = Promise.resolve()
  // Frames still decoding when the painter disconnects belong to an old generation.
  #generation = 0

  constructor(canvas, { onPainted, onFailed }) {
    this.#canvas = canvas
    this.#context = canvas.getContext("2d")
    this.#callbacks = { onPainted, onFailed }
  }

  connect() {
    this.#generation += 1
    this.#mode = "full"
  }

  disconnect() {
    this.#generation += 1
  }

  set imageMode(mode) {
    this.#mode = mode
  }

  paint(blob) {
    // The mode in force when the frame arrived, not when its decode finishes.
    const mode = this.#mode
    const generation = this.#generation
    const decoding = createImageBitmap(blob).catch(() => null)
    this.#queue = this.#queue.then(async () => {
      const bitmap = await decoding
      if (generation !== this.#generation) {
        bitmap?.close()
        return
      }
      if (bitmap) {
        this.#draw(bitmap, mode)
        bitmap.close()
      } else {
        this.#callbacks.onFailed()
      }
      this.#callbacks.onPainted()
    })
  }

  #draw(bitmap, mode) {
    if (mode === "full") {
      if (this.#canvas.width !== bitmap.width || this.#canvas.height !== bitmap.height) {
        this.#canvas.width = bitmap.width
        this.#canvas.height = bitmap.height
      }
      this.#context.clearRect(0, 0, this.#canvas.width, this.#canvas.height)
    }
    this.#context.drawImage(bitmap, 0, 0)
  }
}
