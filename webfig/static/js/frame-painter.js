import { parseRectFrame } from "./rect-frame.js"

// Paints frames on the canvas in the order they arrived, though decoding is async. A frame is
// decoded whole (every tile) before any of it is painted, so no frame shows half-painted.
export class FramePainter {
  #canvas
  #context
  #callbacks
  #mode = "full"
  #format = "png"
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
    this.#format = "png"
  }

  disconnect() {
    this.#generation += 1
  }

  set imageMode(mode) {
    this.#mode = mode
  }

  // "png" (WebAgg's whole-canvas frames) or "rect" (the rect_frames extension).
  set format(format) {
    this.#format = format
  }

  paint(blob) {
    // The mode in force when the frame arrived, not when its decode finishes.
    const decoding = this.#format === "rect" ? this.#decodeRects(blob) : this.#decodePng(blob)
    const draw = decoding.catch(() => null)
    const generation = this.#generation
    this.#queue = this.#queue.then(async () => {
      const paint = await draw
      if (generation !== this.#generation) {
        paint?.release()
        return
      }
      if (paint) {
        paint.run()
        paint.release()
      } else {
        this.#callbacks.onFailed()
      }
      this.#callbacks.onPainted()
    })
  }

  // A decoded frame: `run` paints it, `release` frees its bitmaps.
  async #decodePng(blob) {
    const mode = this.#mode
    const bitmap = await createImageBitmap(blob).catch(() => null)
    if (!bitmap) return null
    return {
      run: () => {
        if (mode === "full") this.#resetCanvas(bitmap.width, bitmap.height)
        this.#context.drawImage(bitmap, 0, 0)
      },
      release: () => bitmap.close(),
    }
  }

  async #decodeRects(blob) {
    const frame = parseRectFrame(await blob.arrayBuffer())
    if (!frame) return null
    const tiles = frame.tiles.map((tile) =>
      createImageBitmap(blob.slice(tile.offset, tile.offset + tile.length, "image/png")),
    )
    const bitmaps = await Promise.all(tiles).catch(() => null)
    if (!bitmaps) return null
    return {
      run: () => {
        if (frame.full) this.#resetCanvas(frame.width, frame.height)
        frame.tiles.forEach((tile, index) => {
          // An overlay's unchanged pixels are transparent; any other tile replaces what is
          // under it, translucent pixels included.
          if (!tile.overlay) this.#context.clearRect(tile.x, tile.y, tile.width, tile.height)
          this.#context.drawImage(bitmaps[index], tile.x, tile.y)
        })
      },
      release: () => bitmaps.forEach((bitmap) => bitmap.close()),
    }
  }

  #resetCanvas(width, height) {
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      // Setting the size clears the canvas too.
      this.#canvas.width = width
      this.#canvas.height = height
    } else {
      this.#context.clearRect(0, 0, width, height)
    }
  }
}
