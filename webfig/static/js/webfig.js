// webfig's client for pages of your own: the classes, with no side effect on import. No socket
// opens until something is connected, e.g. `new FigurePage(document).connect()`.
//
// Throughout, connect() and disconnect() open and close sockets (those of everything inside,
// for a page, a gallery or a view); listen() and unlisten() add and remove DOM listeners.
export { Connection } from "./connection.js"
export { FigureGallery } from "./figure-gallery.js"
export { FigurePage } from "./figure-page.js"
export { FigureView } from "./figure-view.js"
export { FramePainter } from "./frame-painter.js"
export { GesturePreview } from "./gesture-preview.js"
export { Picture } from "./picture.js"
export { PixelRatioWatcher } from "./pixel-ratio.js"
export { PointerInput } from "./pointer-input.js"
export { ResizeHandle } from "./resize-handle.js"
export { Rubberband } from "./rubberband.js"
export { Toolbar } from "./toolbar.js"
