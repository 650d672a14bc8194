// Reports devicePixelRatio changes: the window moved to another screen, or the page was zoomed.
export class PixelRatioWatcher {
  #onChange
  #query = null

  constructor(onChange) {
    this.#onChange = onChange
  }

  listen() {
    // A resolution query matches one ratio only, so each change needs a new query.
    this.#query = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`)
    this.#query.addEventListener("change", this.#changed)
  }

  unlisten() {
    this.#query?.removeEventListener("change", this.#changed)
    this.#query = null
  }

  #changed = () => {
    this.unlisten()
    this.listen()
    this.#onChange(window.devicePixelRatio)
  }
}
