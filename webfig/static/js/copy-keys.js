// The copy chord, and when it belongs to the browser rather than the figure.

// Whether `event` is ctrl+c or cmd+c (no other modifier: ctrl+shift+c is another key).
export function isCopyChord(event) {
  return (
    (event.ctrlKey || event.metaKey) &&
    !event.altKey &&
    !event.shiftKey &&
    event.key.toLowerCase() === "c"
  )
}

// Whether the document has text selected: the copy chord then copies that text, as anywhere.
export function hasSelectedText(document) {
  const selection = document.getSelection()
  return Boolean(selection && !selection.isCollapsed && selection.toString().trim())
}

// Whether `event` is the browser's own copy of the text selected on the page.
export function copiesSelectedText(event) {
  return isCopyChord(event) && hasSelectedText(event.target.ownerDocument)
}
