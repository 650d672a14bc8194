import { WHOLE_CANVAS } from "./canvas-changes.js"

// The server's picture of the figure, and the figure's canvas that shows it.
//
// Frames are painted on `canvas`, a canvas outside the document, and copied to the visible one
// where they changed it. The gesture preview may have the visible canvas show some boxes of
// the picture moved; whatever a later show() no longer moves gets the picture's pixels back.
export class Picture {
  #canvas = document.createElement("canvas")
  #visible
  #context
  // The boxes the visible canvas shows moved, not as the picture has them.
  #movedBoxes = []

  constructor(visible) {
    this.#visible = visible
    this.#context = visible.getContext("2d")
  }

  // The canvas frames are painted on.
  get canvas() {
    return this.#canvas
  }

  get width() {
    return this.#canvas.width
  }

  get height() {
    return this.#canvas.height
  }

  // Draws the visible canvas: the picture where `changes` say it changed, and each of `moved`
  // ([{box, face, mapping}]) moved by its mapping. So an animation frame of a drag redraws the
  // moved boxes only, not the whole canvas.
  show(changes, moved = []) {
    const { width, height } = this.#canvas
    if (this.#visible.width !== width || this.#visible.height !== height) {
      // Sizing clears the canvas: everything is drawn anew.
      this.#visible.width = width
      this.#visible.height = height
      changes = WHOLE_CANVAS
    }
    const boxes = moved.map(({ box }) => box)
    // A box moved again is drawn over whole anyway.
    const unmoved = this.#movedBoxes.filter((box) => !boxes.some((other) => sameBox(box, other)))
    const restored = changes.full ? [{ x: 0, y: 0, width, height }] : [...changes.rects, ...unmoved]
    for (const box of restored) this.#copy(box)
    for (const { box, face, mapping } of moved) this.#drawMoved(box, face, mapping)
    this.#movedBoxes = boxes
  }

  // The picture's pixels of `box`, as they are.
  #copy({ x, y, width, height }) {
    this.#context.clearRect(x, y, width, height)
    this.#context.drawImage(this.#canvas, x, y, width, height, x, y, width, height)
  }

  // The picture's pixels of `box` where the mapping takes them, clipped to the box; what they
  // uncover is `face` (a CSS colour, or nothing).
  #drawMoved(box, face, { sx, sy, tx, ty }) {
    if (sx === 1 && sy === 1) {
      // A pan: whole pixels copy exactly, where a fraction of one would blur the picture.
      tx = Math.round(tx)
      ty = Math.round(ty)
    }
    const context = this.#context
    context.save()
    context.beginPath()
    context.rect(box.x, box.y, box.width, box.height)
    context.clip()
    // What the moved pixels uncover is the axes' background until the server draws it.
    context.clearRect(box.x, box.y, box.width, box.height)
    context.fillStyle = face ?? "rgba(0, 0, 0, 0)"
    context.fillRect(box.x, box.y, box.width, box.height)
    context.drawImage(
      this.#canvas,
      box.x,
      box.y,
      box.width,
      box.height,
      sx * box.x + tx,
      sy * box.y + ty,
      sx * box.width,
      sy * box.height,
    )
    context.restore()
  }
}

function sameBox(a, b) {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height
}
