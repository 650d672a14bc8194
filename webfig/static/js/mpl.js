import { FigureView } from "./figure-view.js"

export { Connection } from "./connection.js"
export { FigureView } from "./figure-view.js"
export { FramePainter } from "./frame-painter.js"
export { PixelRatioWatcher } from "./pixel-ratio.js"
export { PointerInput } from "./pointer-input.js"
export { ResizeHandle } from "./resize-handle.js"
export { Rubberband } from "./rubberband.js"
export { Toolbar } from "./toolbar.js"

const views = new WeakMap()

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

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => connectFigures(), { once: true })
} else {
  connectFigures()
}
