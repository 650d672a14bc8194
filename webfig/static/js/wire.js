// The names and numbers of the wire protocol (docs/protocol.md), in one place: every module
// that sends, reads or compares one imports it from here.

// The protocol version this client speaks, sent in webfig_hello.
export const PROTOCOL_VERSION = 1

// The extensions this client asks for, by the names the server accepts them under.
export const EXTENSION = Object.freeze({
  RECT_FRAMES: "rect_frames",
  MOTION_ACK: "motion_ack",
  LOSSY_FRAMES: "lossy_frames",
  PREVIEW: "preview",
  HEARTBEAT: "heartbeat",
  VISIBILITY: "visibility",
  PINCH: "pinch",
  DESCRIPTION: "description",
})
export const EXTENSIONS = Object.freeze(Object.values(EXTENSION))

// The types of the messages this client sends.
export const TO_SERVER = Object.freeze({
  WEBFIG_HELLO: "webfig_hello",
  SUPPORTS_BINARY: "supports_binary",
  SEND_IMAGE_MODE: "send_image_mode",
  SET_DEVICE_PIXEL_RATIO: "set_device_pixel_ratio",
  REFRESH: "refresh",
  RESIZE: "resize",
  DRAW: "draw",
  ACK: "ack",
  BUTTON_PRESS: "button_press",
  BUTTON_RELEASE: "button_release",
  DBLCLICK: "dblclick",
  MOTION_NOTIFY: "motion_notify",
  SCROLL: "scroll",
  FIGURE_ENTER: "figure_enter",
  FIGURE_LEAVE: "figure_leave",
  KEY_PRESS: "key_press",
  KEY_RELEASE: "key_release",
  TOOLBAR_BUTTON: "toolbar_button",
  TRIGGER_TOOL: "trigger_tool",
  SUBPLOTS_ADJUST: "subplots_adjust",
  SUBPLOTS_RESET: "subplots_reset",
  CLOSE_FIGURE: "close_figure",
  WEBFIG_VISIBILITY: "webfig_visibility",
  PINCH: "pinch",
})

// The types of the messages the server sends, on a figure's socket and on the figure list's.
export const FROM_SERVER = Object.freeze({
  WEBFIG_WELCOME: "webfig_welcome",
  FIGURE_LABEL: "figure_label",
  RESIZE: "resize",
  IMAGE_MODE: "image_mode",
  DRAW: "draw",
  CURSOR: "cursor",
  MESSAGE: "message",
  RUBBERBAND: "rubberband",
  HISTORY_BUTTONS: "history_buttons",
  NAVIGATE_MODE: "navigate_mode",
  CAPTURE_SCROLL: "capture_scroll",
  SAVE: "save",
  TOOL_ITEMS: "tool_items",
  TOOL_TOGGLED: "tool_toggled",
  TOOL_HELP: "tool_help",
  SUBPLOT_PARAMS: "subplot_params",
  MOTION_ACK: "motion_ack",
  PREVIEW_GEOMETRY: "preview_geometry",
  FRAME_SEQ: "frame_seq",
  HEARTBEAT: "heartbeat",
  DESCRIPTION: "description",
  FIGURES: "figures",
})

// The code the server closes a socket with when the script closed the figure: nothing to
// come back to.
export const FIGURE_CLOSED = 4000
// The code the server closes every socket with when it stops (the script ended): it may come
// back, if the script runs again on the same port, but not in a moment.
export const SERVER_STOPPED = 4001

// The close a socket counts as when the server went silent (no close frame ever came): the
// client's own, from the range the server's codes come from but none of them.
export const WENT_SILENT = Object.freeze({ code: 4009, reason: "the server went silent" })

// The mode image_mode announces for frames drawn on a cleared canvas (the other, "diff", is
// drawn over the last frame).
export const FULL_IMAGE_MODE = "full"

// The navigate modes navigate_mode announces ("NONE" when neither).
export const NAVIGATE_MODE = Object.freeze({ PAN: "PAN", ZOOM: "ZOOM" })

// A pinch scales the view by at most this much either way (the server refuses more).
export const MAX_PINCH_SCALE = 2 ** 10

// Pointer messages carry the DOM's button numbers.
export const BUTTON = Object.freeze({ LEFT: 0, RIGHT: 2 })

// The names a pointer message lists in `modifiers`.
export const MODIFIER = Object.freeze({ CTRL: "ctrl", ALT: "alt", SHIFT: "shift", META: "meta" })

// A key message's `key`: the prefixes of the modifiers held (in the order ctrl, alt, super,
// shift), then KEY_MARK, then the DOM key.
export const KEY_PREFIX = Object.freeze({
  CTRL: "ctrl+",
  ALT: "alt+",
  SUPER: "super+",
  SHIFT: "shift+",
})
export const KEY_MARK = "k"
