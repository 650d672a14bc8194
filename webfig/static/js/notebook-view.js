import { CommConnection } from "./comm-connection.js"
import { FigureView } from "./figure-view.js"
import { takeKeyboard } from "./keyboard-focus.js"

// A notebook's cell in JupyterLab and Notebook 7 (VS Code's cells are not in the page).
const NOTEBOOK_CELL = ".jp-Cell"

// One view of a figure in a notebook's output: the figure's markup, which the kernel made,
// and a FigureView whose connection is the widget's model (CommConnection). Downloads come
// from the kernel too; "Open" asks the kernel for a tab of webfig's own server.
//
// When the kernel brings the output's saved picture up to date, JupyterLab renders the
// output anew: a new view `replacing` the old one, which it left detached. The new view takes
// over the old one's size, pixels and keyboard, so nothing shows the change.
export class NotebookView {
  #element
  #root
  #connection = null
  #view = null
  #openLink = null
  #cell = null
  #hasKeyboard = false
  #takesKeyboard = false

  constructor(model, element, replacing = null) {
    this.#element = element
    // The kernel's own markup (templates/figure.html), its text escaped there.
    element.innerHTML = model.get("markup")
    const root = element.querySelector(".webfig-figure")
    this.#root = root
    if (replacing) this.#takesKeyboard = replacing.handOver(root)
    // JupyterLab's shortcuts and context menu stay out of the figure, which takes every key
    // and the right button (matplotlib's key bindings, zoom out).
    root.dataset.lmSuppressShortcuts = "true"
    root.dataset.jpSuppressContextMenu = ""
    const id = newViewId()
    this.#view = new FigureView(root, {
      connection: (callbacks) => {
        this.#connection = new CommConnection(root, model, id, callbacks)
        return this.#connection
      },
      download: (format, fileName) => this.#download(format, fileName),
    })
    this.#openLink = root.querySelector(".webfig-open-link")
  }

  // Whether the output this view was in is gone from the document.
  get detached() {
    return !this.#element.isConnected
  }

  connect() {
    this.#openLink?.addEventListener("click", this.#openTab)
    this.#root.addEventListener("focusin", this.#focusIn)
    this.#root.addEventListener("focusout", this.#focusOut)
    this.#view.connect()
    // The output is put in its cell after the view renders.
    requestAnimationFrame(this.#findCell)
    if (this.#takesKeyboard) takeKeyboard(this.#root.querySelector(".webfig-canvas-frame"))
  }

  // The view goes with its output. An output cleared leaves its cell in the page, and the
  // kernel is told (it closes the figure if no other view shows it); a notebook closed, a page
  // reloaded or a cell deleted takes the cell with it, and the figure stays open.
  remove() {
    if (this.#cell?.isConnected) this.#connection.outputCleared()
    this.disconnect()
  }

  disconnect() {
    this.#openLink?.removeEventListener("click", this.#openTab)
    this.#root.removeEventListener("focusin", this.#focusIn)
    this.#root.removeEventListener("focusout", this.#focusOut)
    this.#view.disconnect()
    this.#element.replaceChildren()
  }

  // Gives `root`, the markup of the view replacing this one, this view's size and picture
  // until its own frames come; true if this view had the keyboard, which `root` then takes.
  handOver(root) {
    for (const side of ["width", "height"]) {
      const size = this.#root.style.getPropertyValue(`--webfig-${side}`)
      if (size) root.dataset[side] = size
    }
    const shown = this.#root.querySelector("canvas.webfig-canvas")
    const canvas = root.querySelector("canvas.webfig-canvas")
    if ("painted" in this.#root.dataset && shown.width && shown.height) {
      canvas.width = shown.width
      canvas.height = shown.height
      canvas.getContext("2d").drawImage(shown, 0, 0)
      root.dataset.painted = ""
    }
    return this.#hasKeyboard
  }

  #findCell = () => {
    this.#cell = this.#element.closest(NOTEBOOK_CELL)
  }

  #focusIn = () => {
    this.#hasKeyboard = true
  }

  // Focus lost to the output's removal is still this view's to hand over.
  #focusOut = (event) => {
    if (this.#element.isConnected && !this.#root.contains(event.relatedTarget)) {
      this.#hasKeyboard = false
    }
  }

  #download(format, fileName) {
    this.#connection.download(format).then(
      (blob) => saveBlob(blob, fileName),
      (error) => console.warn(`webfig: the ${format} file could not be made`, error),
    )
  }

  // The tab opens within the click's user activation (browsers allow a few seconds).
  #openTab = (event) => {
    event.preventDefault()
    this.#connection.tabUrl().then(
      (url) => window.open(url, "_blank", "noopener"),
      (error) => console.warn("webfig: no tab of the figure's server", error),
    )
  }
}

// A view id no other view of the same model has (randomUUID needs a secure context, which a
// JupyterLab served over plain HTTP is not).
function newViewId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")
}

function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement("a")
  link.href = url
  link.download = fileName
  link.click()
  // After the click's task: the download has its own copy by then.
  setTimeout(() => URL.revokeObjectURL(url), 0)
}
