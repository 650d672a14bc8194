import { FigureGallery } from "./figure-gallery.js"
import { FigureView } from "./figure-view.js"

export { Connection } from "./connection.js"
export { FigureGallery } from "./figure-gallery.js"
export { FigureView } from "./figure-view.js"
export { FramePainter } from "./frame-painter.js"
export { PixelRatioWatcher } from "./pixel-ratio.js"
export { PointerInput } from "./pointer-input.js"
export { ResizeHandle } from "./resize-handle.js"
export { Rubberband } from "./rubberband.js"
export { Toolbar } from "./toolbar.js"

const GALLERY = ".webfig-gallery[data-list-path]"
const views = new WeakMap()
const galleries = new WeakMap()

// Connects every figure in `scope` that has no view yet, so calling it twice is harmless.
export function connectFigures(scope = document) {
  connectEach(scope, ".webfig-figure", views, (root) => new FigureView(root))
}

export function disconnectFigures(scope = document) {
  disconnectEach(scope, ".webfig-figure", views)
}

// Keeps each figure gallery in `scope` (the all-figures page) in step with the script.
export function connectGalleries(scope = document) {
  connectEach(
    scope,
    GALLERY,
    galleries,
    (root) =>
      new FigureGallery(root, root.parentElement.querySelector(".webfig-empty"), {
        onAdded: connectFigures,
        onRemoving: disconnectFigures,
      }),
  )
}

export function disconnectGalleries(scope = document) {
  disconnectEach(scope, GALLERY, galleries)
}

function connectEach(scope, selector, controllers, create) {
  for (const root of scope.querySelectorAll(selector)) {
    if (controllers.has(root)) continue
    const controller = create(root)
    controllers.set(root, controller)
    controller.connect()
  }
}

function disconnectEach(scope, selector, controllers) {
  for (const root of scope.querySelectorAll(selector)) {
    controllers.get(root)?.disconnect()
    controllers.delete(root)
  }
}

function start() {
  connectFigures()
  connectGalleries()
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true })
} else {
  start()
}
