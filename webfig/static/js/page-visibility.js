// Whether the page can be seen (the Page Visibility API): a background tab or a minimised
// window is hidden. A browser freezes only hidden pages, so a page that resumes is shown again
// by a visibility change too. onChange(visible) follows each change.
export class PageVisibility {
  #document
  #onChange
  #visible

  constructor(document, onChange) {
    this.#document = document
    this.#onChange = onChange
    this.#visible = this.#shown()
  }

  get visible() {
    return this.#visible
  }

  listen() {
    this.#visible = this.#shown()
    this.#document.addEventListener("visibilitychange", this.#changed)
  }

  unlisten() {
    this.#document.removeEventListener("visibilitychange", this.#changed)
  }

  #shown() {
    return this.#document.visibilityState === "visible"
  }

  #changed = () => {
    const visible = this.#shown()
    if (visible === this.#visible) return
    this.#visible = visible
    this.#onChange(visible)
  }
}
