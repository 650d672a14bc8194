// What a frame changed on the canvas, as the painter reports it and the picture shows it:
// {full: true}, the whole canvas, or {full: false, rects: [{x, y, width, height}]}, in device
// pixels.

export const WHOLE_CANVAS = Object.freeze({ full: true, rects: [] })

export const NO_CHANGES = Object.freeze({ full: false, rects: [] })
