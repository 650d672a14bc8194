import { WHEEL_ZOOM_BASE } from "./wheel-zoom.js"

// Pure geometry of the pan and zoom preview: where matplotlib's navigation will move an axes'
// pixels, worked out in the browser from the pointer alone (see docs/protocol.md, `preview`).
//
// Points and boxes are in canvas device pixels from the top-left corner. A mapping is
// {sx, sy, tx, ty}: the pixel at (x, y) of the picture goes to (sx * x + tx, sy * y + ty).

export const IDENTITY = Object.freeze({ sx: 1, sy: 1, tx: 0, ty: 0 })

// matplotlib ignores a zoom rectangle narrower than this many pixels (a click, or a change
// of mind).
export const MIN_ZOOM_PIXELS = 5

// The box an axes' pixels are clipped to, and the one its mapping is worked out from.
export function clipBox(axes) {
  const [x, y, width, height] = axes.box
  return { x, y, width, height }
}

export function boundsBox(axes) {
  const [x, y, width, height] = axes.bounds ?? axes.box
  return { x, y, width, height }
}

export function contains(box, point) {
  return (
    point.x >= box.x &&
    point.x <= box.x + box.width &&
    point.y >= box.y &&
    point.y <= box.y + box.height
  )
}

// The axes a press at `point` navigates ("pan" or "zoom"): every one under it that can.
export function axesAt(geometry, point, capability) {
  return geometry.axes.filter((axes) => axes[capability] && contains(boundsBox(axes), point))
}

// matplotlib's pointer deltas under a held key, in its own orientation (y up): control makes
// them equal, x or y keeps one, shift snaps to a horizontal, vertical or diagonal move.
export function formatDeltas(key, dx, dy) {
  switch (key) {
    case "control":
      return Math.abs(dx) > Math.abs(dy) ? [dx, dx] : [dy, dy]
    case "x":
      return [dx, 0]
    case "y":
      return [0, dy]
    case "shift":
      if (2 * Math.abs(dx) < Math.abs(dy)) return [0, dy]
      if (2 * Math.abs(dy) < Math.abs(dx)) return [dx, 0]
      if (Math.abs(dx) > Math.abs(dy)) return [dx, Math.sign(dy) * Math.abs(dx)]
      return [Math.sign(dx) * Math.abs(dy), dy]
    default:
      return [dx, dy]
  }
}

// How far a left-button pan has moved the data at pointer state `state` ({point, key}),
// in canvas pixels (y down).
function panOffset(start, state) {
  const [dx, dy] = formatDeltas(state.key, state.point.x - start.x, start.y - state.point.y)
  return { x: dx, y: -dy }
}

// The mapping from a picture drawn at pointer state `from` to one drawn at `to`, during a
// left-button pan: the data follow the pointer, on linear and log scales alike.
export function panMapping(start, from, to) {
  const before = panOffset(start, from)
  const after = panOffset(start, to)
  return { sx: 1, sy: 1, tx: after.x - before.x, ty: after.y - before.y }
}

// matplotlib's zoom factor at pointer state `state` during a right-button pan of `axes`:
// 10 to the power of the pointer's move over the axes' size, per direction.
function scaleFactors(start, state, axes) {
  const bounds = boundsBox(axes)
  let [fx, fy] = formatDeltas(
    state.key,
    (state.point.x - start.x) / bounds.width,
    (start.y - state.point.y) / bounds.height,
  )
  if (axes.equal) fx = fy = (fx + fy) / 2
  return { x: 10 ** fx, y: 10 ** fy }
}

// The mapping from a picture drawn at `from` to one drawn at `to` during a right-button pan,
// which zooms about the press point.
export function scaleMapping(start, from, to, axes) {
  const before = scaleFactors(start, from, axes)
  const after = scaleFactors(start, to, axes)
  const sx = after.x / before.x
  const sy = after.y / before.y
  return { sx, sy, tx: start.x * (1 - sx), ty: start.y * (1 - sy) }
}

// The rectangle matplotlib zooms to, from the press at `start` to the release at `end` (held
// key `key`), clipped to the axes; null when it would ignore it.
export function zoomRect(start, end, key, axes) {
  if (
    (Math.abs(end.x - start.x) < MIN_ZOOM_PIXELS && key !== "y") ||
    (Math.abs(end.y - start.y) < MIN_ZOOM_PIXELS && key !== "x")
  ) {
    return null
  }
  const bounds = boundsBox(axes)
  const clampX = (x) => Math.min(Math.max(x, bounds.x), bounds.x + bounds.width)
  const clampY = (y) => Math.min(Math.max(y, bounds.y), bounds.y + bounds.height)
  let [x0, x1] = [clampX(start.x), clampX(end.x)].sort((a, b) => a - b)
  let [y0, y1] = [clampY(start.y), clampY(end.y)].sort((a, b) => a - b)
  if (key === "x") [y0, y1] = [bounds.y, bounds.y + bounds.height]
  if (key === "y") [x0, x1] = [bounds.x, bounds.x + bounds.width]
  if (x1 - x0 <= 0 || y1 - y0 <= 0) return null
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }
}

// The mapping of a zoom to `rect`: "in" shows the rectangle across the whole axes, "out"
// shrinks the whole axes into the rectangle.
export function zoomMapping(rect, axes, direction) {
  const bounds = boundsBox(axes)
  const [from, to] = direction === "in" ? [rect, bounds] : [bounds, rect]
  const sx = to.width / from.width
  const sy = to.height / from.height
  return { sx, sy, tx: to.x - from.x * sx, ty: to.y - from.y * sy }
}

// The same change of view limits seen in another axes that shares them: the mapping in
// fractions of `source`'s box, applied to `target`'s, along x, y or both.
export function sharedMapping(mapping, source, target, { x, y }) {
  const from = boundsBox(source)
  const to = boundsBox(target)
  const along = (scale, shift, fromStart, fromSize, toStart, toSize) => {
    // The source's fraction u goes to scale * u + offset.
    const offset = (scale * fromStart + shift - fromStart) / fromSize
    return [scale, toStart + toSize * offset - scale * toStart]
  }
  const [sx, tx] = x ? along(mapping.sx, mapping.tx, from.x, from.width, to.x, to.width) : [1, 0]
  const [sy, ty] = y ? along(mapping.sy, mapping.ty, from.y, from.height, to.y, to.height) : [1, 0]
  return { sx, sy, tx, ty }
}

// Every axes the navigation of `targets` moves, each with its mapping: the targets
// themselves (`mappingOf(axes)`), then the axes sharing an x or y axis with one of them,
// along that axis.
export function movedAxes(geometry, targets, mappingOf) {
  const byId = new Map(geometry.axes.map((axes) => [axes.id, axes]))
  const moved = new Map(targets.map((axes) => [axes.id, { axes, mapping: mappingOf(axes) }]))
  for (const target of targets) {
    const mapping = moved.get(target.id).mapping
    const shares = new Map()
    for (const id of target.sharex ?? []) shares.set(id, { x: true, y: false })
    for (const id of target.sharey ?? []) {
      shares.set(id, { x: shares.get(id)?.x ?? false, y: true })
    }
    for (const [id, along] of shares) {
      const sibling = byId.get(id)
      if (!sibling || moved.has(id)) continue
      moved.set(id, { axes: sibling, mapping: sharedMapping(mapping, target, sibling, along) })
    }
  }
  return [...moved.values()]
}

export function isIdentity({ sx, sy, tx, ty }) {
  return sx === 1 && sy === 1 && tx === 0 && ty === 0
}

// `after` applied to the pixels `before` moved.
export function compose(after, before) {
  return {
    sx: after.sx * before.sx,
    sy: after.sy * before.sy,
    tx: after.sx * before.tx + after.tx,
    ty: after.sy * before.ty + after.ty,
  }
}

// The axes matplotlib finds under `point` (its `inaxes`): the topmost of the figure's
// visible axes whose box holds it, if the geometry lists it (null when none does, or when
// the topmost is one it does not list, a polar or 3D one).
export function topmostAt(geometry, point) {
  const byId = new Map(geometry.axes.map((axes) => [axes.id, axes]))
  for (const hit of geometry.stack ?? []) {
    const axes = byId.get(hit.id)
    if (contains(axes ? boundsBox(axes) : boundsBox(hit), point)) return axes ?? null
  }
  return null
}

// The axes a pinch about `point` zooms (the server picks them the same way): the topmost
// there, if it zooms, and the axes twinned with it, which share its box.
export function pinchTargets(geometry, point) {
  const target = topmostAt(geometry, point)
  if (!target?.zoom) return []
  const twins = geometry.axes.filter((axes) => axes.zoom && target.twins?.includes(axes.id))
  return [target, ...twins]
}

// The mapping of matplotlib's wheel zoom: `step` steps about `point`, along x and y with
// "control", along one with "x" or "y".
export function wheelMapping(point, step, key) {
  const scale = WHEEL_ZOOM_BASE ** -step
  const sx = key === "y" ? 1 : scale
  const sy = key === "x" ? 1 : scale
  return { sx, sy, tx: point.x * (1 - sx), ty: point.y * (1 - sy) }
}

// A pinch from fingers at `start` ([a, b]) to `now`: how far apart they went (the scale), and
// how far their midpoint moved, from where it was (`centre`).
export function pinchChange(start, now) {
  const centre = midpoint(start)
  const moved = midpoint(now)
  return {
    centre,
    scale: distance(now) / distance(start),
    dx: moved.x - centre.x,
    dy: moved.y - centre.y,
  }
}

// The mapping of a pinch: the data under the fingers' first midpoint go where the midpoint
// went, scaled about it.
export function pinchMapping({ centre, scale, dx, dy }) {
  return {
    sx: scale,
    sy: scale,
    tx: centre.x + dx - centre.x * scale,
    ty: centre.y + dy - centre.y * scale,
  }
}

function midpoint([a, b]) {
  return { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }
}

function distance([a, b]) {
  return Math.hypot(a.x - b.x, a.y - b.y)
}

// Whether boxes that overlap would be moved apart: one picture cannot show both.
export function conflicting(moved) {
  return moved.some((one, i) =>
    moved
      .slice(i + 1)
      .some((other) => overlaps(clipBox(one.axes), clipBox(other.axes)) && !same(one, other)),
  )
}

function same(one, other) {
  const [a, b] = [one.mapping, other.mapping]
  return a.sx === b.sx && a.sy === b.sy && a.tx === b.tx && a.ty === b.ty
}

function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height
}
