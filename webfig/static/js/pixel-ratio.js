// Reports devicePixelRatio changes: the window moved to another screen, or the page was zoomed.
export class PixelRatioWatcher {
  #onChange
  #query = null

  constructor(onChange) {
    this.#onChange = onChange
  }

  connect() {
    // A resolution query matches one ratio only, so each change needs a new query.
    this.#query = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`)
    this.#query.addEventListener("change", this.#changed)
  }

  disconnect() {
    this.#query?.removeEventListener("change", this.#changed)
    this.#query = null
  }

  #changed = () => {
    this.disconnect()
    this.connect()
    this.#onChange(window.devicePixelRatio)
  }
}
