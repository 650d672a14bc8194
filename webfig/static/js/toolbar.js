import { ToolButtons } from "./tool-buttons.js"
import { NAVIGATE_MODE, TO_SERVER } from "./wire.js"

// The tools whose button follows history_buttons (by its field), and navigate_mode.
const HISTORY_TOOLS = { back: "Back", forward: "Forward" }
const MODE_TOOLS = new Map([
  ["pan", NAVIGATE_MODE.PAN],
  ["zoom", NAVIGATE_MODE.ZOOM],
])

// The navigation buttons, the download button with its format picker, the copy button, and
// the status line.
export class Toolbar {
  #buttons
  #save
  #format
  #status
  #announcer
  #connected = false
  #closed = false
  #stopped = false
  #pictured = false
  #history = { Back: false, Forward: false }

  // download(format) saves the figure as a file (the view knows how); copy is the page's alone.
  constructor(element, { send, download, copy }) {
    this.#buttons = new ToolButtons(element, {
      attribute: "data-tool",
      type: TO_SERVER.TOOLBAR_BUTTON,
      send,
      local: new Map([
        ["download", () => this.download()],
        ["copy", copy],
      ]),
    })
    this.#save = download
    this.#format = element.querySelector("select.webfig-format")
    this.#status = element.querySelector(".webfig-status")
    this.#announcer = element.querySelector(".webfig-announcer")
  }

  listen() {
    this.#buttons.listen()
  }

  unlisten() {
    this.#buttons.unlisten()
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

  // The page has a picture of the figure (which copy copies, connected or not).
  set pictured(value) {
    this.#pictured = value
    this.#updateDisabled()
  }

  // The status line: the server's (cursor coordinates, many a second), shown, not announced.
  set message(text) {
    if (this.#status) this.#status.textContent = text
  }

  // A status worth a screen reader's words (what a copy did): shown, and announced.
  announce(text) {
    this.message = text
    if (this.#announcer) this.#announcer.textContent = text
  }

  set history(state) {
    this.#history = { Back: Boolean(state.Back), Forward: Boolean(state.Forward) }
    this.#updateDisabled()
  }

  set navigateMode(mode) {
    for (const [name, button] of this.#buttons.entries()) {
      const toolMode = MODE_TOOLS.get(name)
      if (toolMode) button.setAttribute("aria-pressed", String(mode === toolMode))
    }
  }

  download() {
    const format = this.#format?.value
    if (format) this.#save(format)
  }

  // Everything but download and copy talks to the server through the socket; download (over
  // HTTP, from a page of webfig's) needs only a server that has the figure; copy, only a
  // picture.
  #updateDisabled() {
    const downloadable = !this.#closed && !this.#stopped
    if (this.#format) this.#format.disabled = !downloadable
    for (const [name, button] of this.#buttons.entries()) {
      if (name === "download") {
        button.disabled = !downloadable
        continue
      }
      if (name === "copy") {
        button.disabled = !this.#pictured
        continue
      }
      const historyKey = HISTORY_TOOLS[name]
      button.disabled = !this.#connected || (historyKey !== undefined && !this.#history[historyKey])
    }
  }
}
