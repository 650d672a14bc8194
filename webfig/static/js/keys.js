import { KEY_MARK, KEY_PREFIX, MODIFIER, TO_SERVER } from "./wire.js"

// Pure helpers that turn DOM input events into the values of the wire protocol.

const MODIFIER_FLAGS = [
  ["ctrlKey", MODIFIER.CTRL],
  ["altKey", MODIFIER.ALT],
  ["shiftKey", MODIFIER.SHIFT],
  ["metaKey", MODIFIER.META],
]

// Order of the key prefixes matplotlib expects; a modifier key never prefixes itself.
const KEY_PREFIXES = [
  ["ctrlKey", "Control", KEY_PREFIX.CTRL],
  ["altKey", "Alt", KEY_PREFIX.ALT],
  ["metaKey", "Meta", KEY_PREFIX.SUPER],
  ["shiftKey", "Shift", KEY_PREFIX.SHIFT],
]

const GUI_EVENT_FIELDS = [
  "type",
  "button",
  "buttons",
  "clientX",
  "clientY",
  "key",
  "code",
  "altKey",
  "ctrlKey",
  "shiftKey",
  "metaKey",
  "deltaY",
]

// DOM `buttons` bit of each DOM `button` number (middle and right are swapped).
const BUTTON_BITS = [1, 4, 2, 8, 16]

export function modifiers(event) {
  return MODIFIER_FLAGS.filter(([flag]) => event[flag]).map(([, name]) => name)
}

export function keyName(event) {
  const prefix = KEY_PREFIXES
    .filter(([flag, ownKey]) => event[flag] && event.key !== ownKey)
    .map(([, , text]) => text)
    .join("")
  return `${prefix}${KEY_MARK}${event.key}`
}

export function guiEvent(event) {
  const fields = {}
  for (const name of GUI_EVENT_FIELDS) {
    const value = event[name]
    if (value !== undefined && value !== null && typeof value !== "object") fields[name] = value
  }
  return fields
}

export function buttonBit(button) {
  return BUTTON_BITS[button] ?? 0
}

// A pointermove with a `button` reports a second button pressed or released during a drag.
export function chordType(button, buttons) {
  if (button < 0) return null
  return buttons & buttonBit(button) ? TO_SERVER.BUTTON_PRESS : TO_SERVER.BUTTON_RELEASE
}
