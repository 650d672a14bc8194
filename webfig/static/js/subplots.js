// The least room the subplot tool leaves between left and right, bottom and top.
export const MIN_SPAN = 0.01

const PAIRS = [
  ["left", "right"],
  ["bottom", "top"],
]

// The parameters with ``moved`` (the slider the user moves) kept at least MIN_SPAN from its
// partner: the partner gives way, as far as it can, then the moved one stops.
export function adjustedSubplots(values, moved) {
  const result = { ...values }
  for (const [low, high] of PAIRS) {
    if (result[high] - result[low] >= MIN_SPAN) continue
    if (moved === low) {
      result[high] = Math.min(1, result[low] + MIN_SPAN)
      result[low] = result[high] - MIN_SPAN
    } else {
      result[low] = Math.max(0, result[high] - MIN_SPAN)
      result[high] = result[low] + MIN_SPAN
    }
  }
  return result
}
