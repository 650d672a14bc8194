import { WHOLE_CANVAS } from "./canvas-changes.js"
import { PreviewLayer } from "./preview-layer.js"

// The server's picture of the figure, and the figure's canvas that shows it.
//
// Frames are painted on `canvas`, a canvas outside the document, and copied to the visible one
// where they changed it. The gesture preview may have some boxes of the picture shown moved:
// each on a layer of its own (a PreviewLayer) over the visible canvas, which has the box
// cleared meanwhile. Whatever a later show() no longer moves gets the picture's pixels back.
export class Picture {
  #canvas = document.createElement("canvas")
  #visible
  #context
  // Layers, shown (over a box moved) or hidden (for the next box that moves).
  #layers = []

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

  // Shows the picture where `changes` say it changed, and each of `moved` ([{box, face,
  // mapping}]: a box of canvas device pixels, the CSS colour, or nothing, that the moved
  // pixels uncover, and the mapping that moves them) moved. A box that was moved already and
  // whose pixels did not change only has its layer moved: an animation frame of a drag
  // draws no pixels.
  show(changes, moved = []) {
    const { width, height } = this.#canvas
    if (this.#visible.width !== width || this.#visible.height !== height) {
      // Sizing clears the canvas: everything is drawn anew.
      this.#visible.width = width
      this.#visible.height = height
      changes = WHOLE_CANVAS
    }
    const restored = changes.full ? [{ x: 0, y: 0, width, height }] : changes.rects
    for (const box of restored) this.#copy(box)
    for (const layer of this.#layers) {
      if (layer.box && !moved.some(({ box }) => sameBox(box, layer.box))) {
        this.#copy(layer.box)
        layer.hide()
      }
    }
    for (const { box, face, mapping } of moved) {
      let layer = this.#layers.find((shown) => shown.box && sameBox(shown.box, box))
      if (!layer || restored.some((rect) => overlap(rect, box))) {
        layer ??= this.#freeLayer()
        layer.show(this.#canvas, box, face)
        this.#context.clearRect(box.x, box.y, box.width, box.height)
      }
      layer.move(mapping)
    }
  }

  // The picture's pixels of `box`, as they are.
  #copy({ x, y, width, height }) {
    this.#context.clearRect(x, y, width, height)
    this.#context.drawImage(this.#canvas, x, y, width, height, x, y, width, height)
  }

  #freeLayer() {
    let layer = this.#layers.find((each) => !each.box)
    if (!layer) {
      layer = new PreviewLayer(this.#visible)
      this.#layers.push(layer)
    }
    return layer
  }
}

function sameBox(a, b) {
  return a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height
}

function overlap(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}
