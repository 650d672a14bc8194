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

const views = new WeakMap()
const galleries = new WeakMap()

// Connects every figure in `scope` that has no view yet, so calling it twice is harmless.
export function connectFigures(scope = document) {
  for (const root of scope.querySelectorAll(".webfig-figure")) {
    if (views.has(root)) continue
    const view = new FigureView(root)
    views.set(root, view)
    view.connect()
  }
}

export function disconnectFigures(scope = document) {
  for (const root of scope.querySelectorAll(".webfig-figure")) {
    views.get(root)?.disconnect()
    views.delete(root)
  }
}

// Keeps each figure gallery in `scope` (the all-figures page) in step with the script.
export function connectGalleries(scope = document) {
  for (const root of scope.querySelectorAll(".webfig-gallery[data-list-path]")) {
    if (galleries.has(root)) continue
    const gallery = new FigureGallery(root, root.parentElement.querySelector(".webfig-empty"), {
      onAdded: connectFigures,
      onRemoving: disconnectFigures,
    })
    galleries.set(root, gallery)
    gallery.connect()
  }
}

export function disconnectGalleries(scope = document) {
  for (const root of scope.querySelectorAll(".webfig-gallery[data-list-path]")) {
    galleries.get(root)?.disconnect()
    galleries.delete(root)
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
