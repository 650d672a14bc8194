// A file name for the figure labelled `label` (figure `num`), as the server names downloads:
// the label with anything unusual replaced.
export function downloadName(label, num, extension) {
  const stem =
    label
      .replace(/[^A-Za-z0-9._-]+/g, "_")
      .replace(/^[._]+|[._]+$/g, "")
      .slice(0, 100) || `figure_${num}`
  return `${stem}.${extension}`
}
