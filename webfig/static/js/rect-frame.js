// Pure parsing of the `rect_frames` extension's binary message (see docs/protocol.md).

const MAGIC = "WFRM"
const VERSION = 1
const FULL = 1
const KINDS = ["replace", "overlay", "store", "restore"]
const HEADER_BYTES = 12
const TILE_BYTES = 16

// {width, height, full, tiles: [{x, y, width, height, kind, slot, offset, length}]}, offsets
// into the message, or null when the message is not a rect frame of this version.
export function parseRectFrame(buffer) {
  if (buffer.byteLength < HEADER_BYTES) return null
  const view = new DataView(buffer)
  const magic = String.fromCharCode(...new Uint8Array(buffer, 0, 4))
  if (magic !== MAGIC || view.getUint8(4) !== VERSION) return null
  const flags = view.getUint8(5)
  const count = view.getUint16(6, true)
  const frame = {
    width: view.getUint16(8, true),
    height: view.getUint16(10, true),
    full: (flags & FULL) !== 0,
    tiles: [],
  }
  let offset = HEADER_BYTES
  for (let index = 0; index < count; index += 1) {
    if (offset + TILE_BYTES > buffer.byteLength) return null
    const length = view.getUint32(offset + 12, true)
    const kind = KINDS[view.getUint8(offset + 8)]
    if (!kind) return null
    frame.tiles.push({
      x: view.getUint16(offset, true),
      y: view.getUint16(offset + 2, true),
      width: view.getUint16(offset + 4, true),
      height: view.getUint16(offset + 6, true),
      kind,
      slot: view.getUint16(offset + 10, true),
      offset: offset + TILE_BYTES,
      length,
    })
    offset += TILE_BYTES + length
  }
  return offset === buffer.byteLength ? frame : null
}
