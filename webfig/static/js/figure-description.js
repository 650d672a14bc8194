// The figure's text alternative (its titles, axes and what it holds), as the server words it
// (the description extension): assistive technology reads it for the canvas frame, which
// points at it with aria-describedby.
export class FigureDescription {
  #element

  constructor(element) {
    this.#element = element
  }

  set text(value) {
    if (this.#element && typeof value === "string") this.#element.textContent = value
  }
}
