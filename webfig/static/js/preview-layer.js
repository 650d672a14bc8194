import { layerClip, layerTransform } from "./layer-geometry.js"

// One box of the picture moved by the gesture preview, on the compositor: an element over
// the visible canvas, clipped to the box, showing a copy of the box's pixels moved by a CSS
// transform. Moving it again changes the transform only, which the browser applies as it
// composites, without redrawing pixels on the page's thread.
export class PreviewLayer {
  #element = document.createElement("div")
  #content = document.createElement("canvas")
  #context = this.#content.getContext("2d")
  // The box it shows, or null while hidden.
  #box = null

  // Its element goes right after `canvas`, the visible one, so it lies over it.
  constructor(canvas) {
    this.#element.className = "webfig-preview-layer"
    this.#element.hidden = true
    this.#content.className = "webfig-preview-layer-content"
    this.#element.append(this.#content)
    canvas.after(this.#element)
  }

  get box() {
    return this.#box
  }

  // Shows the pixels of `box` as `source` (the picture) has them now, over `face` (a CSS
  // colour, or nothing) where the pixels it moves uncover the box.
  show(source, box, face) {
    const { width, height } = source
    if (this.#content.width !== width || this.#content.height !== height) {
      this.#content.width = width
      this.#content.height = height
    } else {
      this.#context.clearRect(0, 0, width, height)
    }
    const { x, y } = box
    this.#context.drawImage(source, x, y, box.width, box.height, x, y, box.width, box.height)
    this.#setProperties(this.#element, layerClip(box, source))
    if (face) this.#element.style.setProperty("--webfig-layer-face", face)
    else this.#element.style.removeProperty("--webfig-layer-face")
    this.#box = box
    this.#element.hidden = false
  }

  // Moves the copy by `mapping` ({sx, sy, tx, ty}, canvas device pixels).
  move(mapping) {
    this.#setProperties(this.#content, layerTransform(mapping, this.#content))
  }

  hide() {
    this.#box = null
    this.#element.hidden = true
  }

  #setProperties(element, values) {
    for (const [name, value] of Object.entries(values)) {
      element.style.setProperty(`--webfig-layer-${name}`, String(value))
    }
  }
}
