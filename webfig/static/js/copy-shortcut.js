import { hasSelectedText, isCopyChord } from "./copy-keys.js"

// ctrl+c (cmd+c) in a figure that has the keyboard copies the figure, unless text is selected
// on the page (the browser copies that). The key still reaches matplotlib, as a desktop
// window's key events do: a script's key_press_event callbacks get it.
export class CopyShortcut {
  #frame
  #copy

  constructor(frame, copy) {
    this.#frame = frame
    this.#copy = copy
  }

  listen() {
    this.#frame.addEventListener("keydown", this.#pressed)
  }

  unlisten() {
    this.#frame.removeEventListener("keydown", this.#pressed)
  }

  #pressed = (event) => {
    if (event.repeat || !isCopyChord(event) || hasSelectedText(this.#frame.ownerDocument)) return
    this.#copy()
  }
}
