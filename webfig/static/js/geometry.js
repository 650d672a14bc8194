// Pure conversions between CSS pixels, device pixels and the protocol's coordinates.

export const MIN_FIGURE_SIZE = 50

// Device pixels from the canvas' top-left corner, whatever the backing/CSS ratio is.
export function devicePoint(clientX, clientY, rect, backingWidth, backingHeight) {
  return {
    x: (clientX - rect.left) * (backingWidth / rect.width),
    y: (clientY - rect.top) * (backingHeight / rect.height),
  }
}

// The CSS box of a rubberband given in device pixels from the bottom-left corner,
// or null when the server removes it (all corners -1).
export function rubberbandBox({ x0, y0, x1, y1 }, backingHeight, ratioX, ratioY) {
  if ([x0, y0, x1, y1].every((value) => value === -1)) return null
  return {
    left: Math.min(x0, x1) / ratioX,
    top: (backingHeight - Math.max(y0, y1)) / ratioY,
    width: Math.abs(x1 - x0) / ratioX,
    height: Math.abs(y1 - y0) / ratioY,
  }
}

export function draggedSize(start, clientX, clientY) {
  return {
    width: Math.max(MIN_FIGURE_SIZE, Math.round(start.width + clientX - start.clientX)),
    height: Math.max(MIN_FIGURE_SIZE, Math.round(start.height + clientY - start.clientY)),
  }
}

// Socket paths are relative to the page origin; the scheme follows the page's.
export function socketUrl(path, pageUrl) {
  const url = new URL(path, pageUrl)
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:"
  return url.href
}

export function downloadUrl(path, format) {
  return `${path}.${format}`
}
