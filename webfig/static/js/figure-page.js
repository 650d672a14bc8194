import { FigureGallery } from "./figure-gallery.js"
import { FigureView } from "./figure-view.js"

const FIGURE = ".webfig-figure"
const GALLERY = ".webfig-gallery[data-list-path]"

// The figures of a document, or of an element of one: a view for each figure, and a gallery
// for each live list of figures (the all-figures page), which owns the views of its cards.
//
// connect() starts whatever in `scope` it has not started yet, so calling it again is
// harmless (and picks up figures added since); disconnect() stops everything it started.
export class FigurePage {
  #scope
  #controllers = new Map()

  constructor(scope) {
    this.#scope = scope
  }

  connect() {
    for (const root of this.#scope.querySelectorAll(GALLERY)) {
      this.#start(
        root,
        () => new FigureGallery(root, emptyNote(root), { createView, stoppedNote: stoppedNote(root) }),
      )
    }
    for (const root of this.#scope.querySelectorAll(FIGURE)) {
      if (!root.closest(GALLERY)) this.#start(root, () => createView(root))
    }
  }

  disconnect() {
    this.#controllers.forEach((controller) => controller.disconnect())
    this.#controllers.clear()
  }

  #start(root, create) {
    if (this.#controllers.has(root)) return
    const controller = create()
    this.#controllers.set(root, controller)
    controller.connect()
  }
}

function createView(root) {
  return new FigureView(root)
}

// What the all-figures page shows while it has no figures, next to the gallery.
function emptyNote(gallery) {
  return gallery.parentElement.querySelector(".webfig-empty")
}

// What it shows while the server is stopped.
function stoppedNote(gallery) {
  return gallery.parentElement.querySelector(".webfig-stopped")
}
