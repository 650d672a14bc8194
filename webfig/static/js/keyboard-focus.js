// When a figure may take the keyboard by itself (the pointer entered it), as a desktop window
// under the pointer gets the keys: not from a control the user is typing in or choosing with.

// <input> types that take no typed text: leaving one for the figure loses nothing.
const NON_TEXT_INPUTS = new Set([
  "button",
  "checkbox",
  "color",
  "file",
  "image",
  "radio",
  "reset",
  "submit",
])

// ARIA roles of widgets that take typed text.
const TYPING_ROLES = new Set(["textbox", "combobox", "searchbox", "spinbutton"])

// Whether `element` (the document's active element) is one keys are being typed into.
export function takesTyping(element) {
  if (!element || element === element.ownerDocument?.body) return false
  if (element.isContentEditable) return true
  switch (element.localName) {
    case "textarea":
    case "select":
      return true
    case "input":
      return !NON_TEXT_INPUTS.has(element.type)
    default:
      return TYPING_ROLES.has(element.getAttribute("role"))
  }
}

// Gives `frame` the keyboard unless the user is typing somewhere else; the page does not
// scroll to it.
export function takeKeyboard(frame) {
  const active = frame.ownerDocument.activeElement
  if (active === frame || takesTyping(active)) return
  frame.focus({ preventScroll: true })
}
