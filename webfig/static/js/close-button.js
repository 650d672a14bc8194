import { TO_SERVER } from "./wire.js"

// The figure header's close button (×): asks the server to close the figure, as q would.
// Only pyplot's figures have one; it works while the socket is open.
export class CloseButton {
  #button
  #send

  constructor(button, { send }) {
    this.#button = button
    this.#send = send
  }

  listen() {
    this.#button?.addEventListener("click", this.#clicked)
  }

  unlisten() {
    this.#button?.removeEventListener("click", this.#clicked)
  }

  set enabled(value) {
    if (this.#button) this.#button.disabled = !value
  }

  #clicked = () => {
    this.#send(TO_SERVER.CLOSE_FIGURE)
  }
}
