import { downloadUrl } from "./geometry.js"
import { NAVIGATE_MODE, TO_SERVER } from "./wire.js"

const HISTORY_TOOLS = { back: "Back", forward: "Forward" }
const MODE_TOOLS = { pan: NAVIGATE_MODE.PAN, zoom: NAVIGATE_MODE.ZOOM }

// The navigation buttons, the download button with its format picker, and the status line.
export class Toolbar {
  #element
  #send
  #downloadPath
  #format
  #status
  #connected = false
  #closed = false
  #stopped = false
  #history = { Back: false, Forward: false }

  constructor(element, { send, downloadPath }) {
    this.#element = element
    this.#send = send
    this.#downloadPath = downloadPath
    this.#format = element.querySelector("select.webfig-format")
    this.#status = element.querySelector(".webfig-status")
  }

  connect() {
    this.#element.addEventListener("click", this.#clicked)
  }

  disconnect() {
    this.#element.removeEventListener("click", this.#clicked)
  }

  set connected(value) {
    this.#connected = value
    this.#updateDisabled()
  }

  // The figure is gone for good: nothing left to press, not even download.
  set closed(value) {
    this.#closed = value
    this.#updateDisabled()
  }

  // The server stopped: download, too, has nobody to answer it until it is back.
  set stopped(value) {
    this.#stopped = value
    this.#updateDisabled()
  }

  set message(text) {
    if (this.#status) this.#status.textContent = text
  }

  set history(state) {
    this.#history = { Back: Boolean(state.Back), Forward: Boolean(state.Forward) }
    this.#updateDisabled()
  }

  set navigateMode(mode) {
    for (const [name, toolMode] of Object.entries(MODE_TOOLS)) {
      this.#button(name)?.setAttribute("aria-pressed", String(mode === toolMode))
    }
  }

  download() {
    const format = this.#format?.value
    if (!format) return
    // The server answers with Content-Disposition, so the browser saves instead of navigating.
    const link = document.createElement("a")
    link.href = downloadUrl(this.#downloadPath, format)
    link.download = ""
    link.click()
  }

  #clicked = (event) => {
    const button = event.target.closest("button[data-tool]")
    if (!button || button.disabled) return
    const name = button.dataset.tool
    if (name === "download") this.download()
    else this.#send(TO_SERVER.TOOLBAR_BUTTON, { name })
  }

  // Everything but download talks to the server through the socket; download, over HTTP,
  // needs only a server that has the figure.
  #updateDisabled() {
    const downloadable = !this.#closed && !this.#stopped
    if (this.#format) this.#format.disabled = !downloadable
    for (const button of this.#element.querySelectorAll("button[data-tool]")) {
      const name = button.dataset.tool
      if (name === "download") {
        button.disabled = !downloadable
        continue
      }
      const historyKey = HISTORY_TOOLS[name]
      button.disabled = !this.#connected || (historyKey !== undefined && !this.#history[historyKey])
    }
  }

  #button(name) {
    return this.#element.querySelector(`button[data-tool="${name}"]`)
  }
}
