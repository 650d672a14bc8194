import { layerClip, layerTransform } from "./layer-geometry.js"

// One box of the picture moved by the gesture preview, on the compositor: an element over
// the visible canvas, clipped to the box, showing a copy of the box's pixels moved by a CSS
// transform. Moving it again changes the transform only, which the browser applies as it
// composites, without redrawing pixels on the page's thread.
//
// The copy is an ImageBitmap of the box's size shown by a "bitmaprenderer" canvas: Chromium
// hands a 2D canvas' pixels to its compositor anew whenever the page's layers change, which a
// move does, but a bitmap only when it is replaced.
export class PreviewLayer {
  #element = document.createElement("div")
  #content = document.createElement("canvas")
  #context = this.#content.getContext("bitmaprenderer")
  // Where the copy is drawn, the box's size, before it goes to the layer.
  #scratch = new OffscreenCanvas(1, 1)
  #scratchContext = this.#scratch.getContext("2d")
  // The box it shows, or null while hidden, and the size of the picture it is a box of.
  #box = null
  #pictureSize = null

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
    // Only the box's pixels are copied, at every frame that comes during a drag: a copy the
    // picture's size took the page 1.6 times as long (docs/benchmarks.md, Preview).
    if (this.#scratch.width !== box.width || this.#scratch.height !== box.height) {
      this.#scratch.width = box.width
      this.#scratch.height = box.height
    }
    // (Each transfer leaves the scratch canvas blank.)
    const { x, y, width, height } = box
    this.#scratchContext.drawImage(source, x, y, width, height, 0, 0, width, height)
    this.#context.transferFromImageBitmap(this.#scratch.transferToImageBitmap())
    this.#setProperties(this.#element, layerClip(box, source))
    if (face) this.#element.style.setProperty("--webfig-layer-face", face)
    else this.#element.style.removeProperty("--webfig-layer-face")
    this.#box = box
    this.#pictureSize = { width: source.width, height: source.height }
    this.#element.hidden = false
  }

  // Moves the copy by `mapping` ({sx, sy, tx, ty}, canvas device pixels).
  move(mapping) {
    this.#setProperties(this.#content, layerTransform(mapping, this.#box, this.#pictureSize))
  }

  hide() {
    this.#box = null
    this.#element.hidden = true
    this.#context.transferFromImageBitmap(null)
  }

  #setProperties(element, values) {
    for (const [name, value] of Object.entries(values)) {
      element.style.setProperty(`--webfig-layer-${name}`, String(value))
    }
  }
}
