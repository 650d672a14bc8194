import { WHOLE_CANVAS } from "./canvas-changes.js"
import { parseRectFrame } from "./rect-frame.js"
import { FULL_IMAGE_MODE } from "./wire.js"

// Paints frames on the canvas in the order they arrived, though decoding is async. A frame is
// decoded whole (every tile) before any of it is painted, so no frame shows half-painted.
//
// The stored regions, the format and the mode belong to one socket, and so do frames still
// decoding when it closes: reset() forgets them all when it does. The canvas keeps its picture
// in between.
//
// onPainted(changes) follows each frame of the current connection, painted or not, saying
// what of the canvas it may have changed: {full: true}, or {full: false, rects: [{x, y,
// width, height}]}. onFailed(error) comes first for a frame that could not be decoded or
// painted.
export class FramePainter {
  #canvas
  #context
  #callbacks
  #mode = FULL_IMAGE_MODE
  #format = "png"
  // Images the server asked this viewer to keep (blit backgrounds), by slot.
  #regions = new Map()
  #queue = Promise.resolve()
  // Frames still decoding when the painter is reset belong to an old socket: they are neither
  // painted nor acknowledged on the next one.
  #generation = 0

  constructor(canvas, { onPainted, onFailed }) {
    this.#canvas = canvas
    this.#context = canvas.getContext("2d")
    this.#callbacks = { onPainted, onFailed }
  }

  reset() {
    this.#generation += 1
    this.#mode = FULL_IMAGE_MODE
    this.#format = "png"
    this.#regions.forEach((bitmap) => bitmap.close())
    this.#regions.clear()
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
    // Settled at once: a failed decode waiting for its turn is no unhandled rejection.
    const decoded = decoding.then((paint) => ({ paint }), (error) => ({ error }))
    const generation = this.#generation
    this.#queue = this.#queue.then(() => this.#draw(decoded, generation))
  }

  // One frame's turn in the queue. It never rejects, so a frame that fails to decode or to
  // paint holds up none after it: it is reported, and acknowledged like any other.
  async #draw(decoded, generation) {
    const { paint, error } = await decoded
    if (generation !== this.#generation) {
      paint?.release()
      return
    }
    let changes = WHOLE_CANVAS
    if (paint) {
      try {
        paint.run()
        changes = paint.changes
      } catch (thrown) {
        this.#callbacks.onFailed(thrown)
      } finally {
        paint.release()
      }
    } else {
      this.#callbacks.onFailed(error)
    }
    this.#callbacks.onPainted(changes)
  }

  // A decoded frame: `run` paints it, `release` frees its bitmaps, `changes` says where it
  // painted. Rejects when the frame cannot be decoded.
  async #decodePng(blob) {
    const mode = this.#mode
    const bitmap = await createImageBitmap(blob)
    return {
      run: () => {
        if (mode === FULL_IMAGE_MODE) this.#resetCanvas(bitmap.width, bitmap.height)
        this.#context.drawImage(bitmap, 0, 0)
      },
      release: () => bitmap.close(),
      changes: WHOLE_CANVAS,
    }
  }

  async #decodeRects(blob) {
    const frame = parseRectFrame(await blob.arrayBuffer())
    if (!frame) throw new Error("not a rect frame")
    // Every image of the frame decodes (in parallel) before any step is painted.
    const decodes = frame.tiles.map((tile) =>
      tile.kind === "restore"
        ? null
        : createImageBitmap(blob.slice(tile.offset, tile.offset + tile.length)),
    )
    const bitmaps = await decodedOrClosed(decodes)
    const kept = new Set()
    return {
      run: () => {
        if (frame.full) this.#resetCanvas(frame.width, frame.height)
        frame.tiles.forEach((tile, index) => {
          if (tile.kind === "store") {
            this.#regions.get(tile.slot)?.close()
            this.#regions.set(tile.slot, bitmaps[index])
            kept.add(bitmaps[index])
            return
          }
          const image = tile.kind === "restore" ? this.#regions.get(tile.slot) : bitmaps[index]
          // An overlay's unchanged pixels are transparent; everything else replaces what is
          // under it, translucent pixels included.
          if (tile.kind !== "overlay") {
            this.#context.clearRect(tile.x, tile.y, tile.width, tile.height)
          }
          if (image) this.#context.drawImage(image, tile.x, tile.y)
        })
      },
      release: () => bitmaps.forEach((bitmap) => kept.has(bitmap) || bitmap?.close()),
      changes: frame.full ? WHOLE_CANVAS : { full: false, rects: paintedRects(frame.tiles) },
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

// Every decode's bitmap (null for none), once all are done; when one failed, its error, with
// the bitmaps of the others closed.
async function decodedOrClosed(decodes) {
  const results = await Promise.allSettled(decodes)
  const bitmaps = results.map((result) => result.value ?? null)
  const failure = results.find((result) => result.status === "rejected")
  if (!failure) return bitmaps
  for (const bitmap of bitmaps) bitmap?.close()
  throw failure.reason
}

// The rectangles a rect frame's tiles paint (a stored image paints nothing).
function paintedRects(tiles) {
  return tiles
    .filter((tile) => tile.kind !== "store")
    .map(({ x, y, width, height }) => ({ x, y, width, height }))
}
