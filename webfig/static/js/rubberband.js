import { rubberbandBox } from "./geometry.js"

// The zoom rectangle, drawn by CSS over the canvas.
export class Rubberband {
  #element
  #canvas

  constructor(element, canvas) {
    this.#element = element
    this.#canvas = canvas
  }

  show(corners) {
    const { width, height, clientWidth, clientHeight } = this.#canvas
    const box = rubberbandBox(corners, height, width / clientWidth, height / clientHeight)
    if (!box) {
      this.hide()
      return
    }
    for (const [name, value] of Object.entries(box)) {
      this.#element.style.setProperty(`--webfig-rubberband-${name}`, `${value}px`)
    }
    this.#element.hidden = false
  }

  hide() {
    this.#element.hidden = true
  }
}
