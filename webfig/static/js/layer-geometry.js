// Pure geometry of the preview's layers (PreviewLayer). A layer lies over the whole canvas, so
// that the browser lays it out where it lays out the canvas (it snaps both to device pixels
// alike), and shows only a box of it. Its pixels are the box's alone, stretched over the layer
// and brought back to the box by its transform: a transform is not snapped as the layout is,
// so the box's pixels land on the device's one for one. Fractions of the canvas' size, not
// CSS pixels, so that the page's layout scales them as it scales the canvas.

// The clip of the layer to `box` (canvas device pixels) of a canvas of `width` × `height`:
// how far in from each edge, as fractions of the canvas' size.
export function layerClip(box, { width, height }) {
  return {
    top: box.y / height,
    right: 1 - (box.x + box.width) / width,
    bottom: 1 - (box.y + box.height) / height,
    left: box.x / width,
  }
}

// The transform that takes the box's pixels, stretched over a canvas of `width` × `height`,
// to where `mapping` ({sx, sy, tx, ty}: the pixel at (x, y) goes to (sx * x + tx, sy * y +
// ty)) takes them from where the picture has them: a scale by (sx, sy) about the top-left
// corner, then a translation by (dx, dy), fractions of the canvas' size.
export function layerTransform({ sx, sy, tx, ty }, box, { width, height }) {
  if (sx === 1 && sy === 1) {
    // A pan: whole pixels copy exactly, where a fraction of one would blur the picture.
    tx = Math.round(tx)
    ty = Math.round(ty)
  }
  return {
    dx: (sx * box.x + tx) / width,
    dy: (sy * box.y + ty) / height,
    sx: (sx * box.width) / width,
    sy: (sy * box.height) / height,
  }
}
