import { CloseButton } from "./close-button.js"
import { Connection } from "./connection.js"
import { ConnectionBadge } from "./connection-badge.js"
import { CopyShortcut } from "./copy-shortcut.js"
import { downloadName } from "./file-names.js"
import { FigureCopy } from "./figure-copy.js"
import { FigureDescription } from "./figure-description.js"
import { FramePainter } from "./frame-painter.js"
import { downloadUrl } from "./geometry.js"
import { GesturePreview } from "./gesture-preview.js"
import { takeKeyboard } from "./keyboard-focus.js"
import { PageVisibility } from "./page-visibility.js"
import { Picture } from "./picture.js"
import { PixelRatioWatcher } from "./pixel-ratio.js"
import { PointerInput } from "./pointer-input.js"
import { ResizeHandle } from "./resize-handle.js"
import { Rubberband } from "./rubberband.js"
import { SubplotTool } from "./subplot-tool.js"
import { ToolContainer } from "./tool-container.js"
import { ToolHelp } from "./tool-help.js"
import { Toolbar } from "./toolbar.js"
import { EXTENSION, EXTENSIONS, FROM_SERVER, PROTOCOL_VERSION, TO_SERVER } from "./wire.js"

// One figure on the page: its socket, and the canvas, toolbar and input that use it.
//
// By default the figure's server is reached over a websocket (`Connection`) and downloads over
// HTTP. Elsewhere (a notebook, where only the kernel's own connection reaches the figure)
// `connection(callbacks)` makes an object with Connection's methods and callbacks, and
// `download(format, fileName)` saves the figure as a file.
export class FigureView {
  #root
  #num
  #title
  #frame
  #size
  #extensions = []
  #connection
  #badge
  #painter
  #preview
  #toolbar
  #copy
  #copyShortcut
  #description
  #tools
  #subplotTool
  #help
  #closeButton
  #input
  #rubberband
  #resizeHandle
  #pixelRatio
  #visibility
  // The server hears when the page is hidden (it negotiated `visibility`).
  #tellsVisibility = false
  // A frame of this view's was painted.
  #pictured = false

  constructor(root, { connection, download } = {}) {
    const { figureNum, socketPath, downloadPath, width, height } = root.dataset
    const canvas = root.querySelector("canvas.webfig-canvas")
    this.#root = root
    this.#num = Number(figureNum)
    this.#title = root.querySelector(".webfig-title")
    this.#frame = root.querySelector(".webfig-canvas-frame")
    this.#size = { width: Number(width), height: Number(height) }
    const callbacks = {
      onOpen: this.#opened,
      onMessage: this.#received,
      onFrame: this.#frameReceived,
      onClose: this.#closed,
      onRetry: (delay) => this.#badge.retrying(delay),
    }
    this.#connection = connection
      ? connection(callbacks)
      : new Connection(root, socketPath, callbacks)
    this.#badge = new ConnectionBadge(root.querySelector(".webfig-connection"))
    const picture = new Picture(canvas)
    this.#preview = new GesturePreview(picture)
    this.#painter = new FramePainter(picture.canvas, {
      onPainted: this.#painted,
      onFailed: this.#paintFailed,
    })
    this.#copy = new FigureCopy(picture.canvas, {
      fileName: () => downloadName(this.#title.textContent, this.#num, "png"),
      report: (text) => this.#toolbar.announce(text),
    })
    const save = download ?? ((format) => saveFromServer(downloadUrl(downloadPath, format)))
    this.#toolbar = new Toolbar(root.querySelector(".webfig-toolbar"), {
      send: this.#send,
      download: (format) => save(format, downloadName(this.#title.textContent, this.#num, format)),
      copy: () => this.#copy.copy(),
    })
    this.#copyShortcut = new CopyShortcut(this.#frame, () => this.#copy.copy())
    this.#description = new FigureDescription(root.querySelector(".webfig-description"))
    this.#tools = new ToolContainer(root.querySelector(".webfig-tool-groups"), {
      send: this.#send,
      copy: () => this.#copy.copy(),
    })
    this.#subplotTool = new SubplotTool(root.querySelector(".webfig-subplot-tool"), {
      send: this.#send,
    })
    this.#help = new ToolHelp(root.querySelector(".webfig-help"))
    this.#closeButton = new CloseButton(root.querySelector(".webfig-close"), { send: this.#send })
    this.#input = new PointerInput(this.#frame, canvas, this.#send, {
      onSent: (type, message) => this.#preview.sent(type, message),
      onPointer: (point) => this.#preview.pointerAt(point),
      onPinch: (fingers) => this.#preview.pinching(fingers),
      zoomsOnWheel: (message) => this.#preview.zoomsOnWheel(message),
    })
    this.#rubberband = new Rubberband(root.querySelector(".webfig-rubberband"), canvas)
    this.#resizeHandle = new ResizeHandle(root.querySelector(".webfig-resize-handle"), {
      root,
      canvas,
      onPreview: ({ width, height }) => this.#applySize(width, height),
      onCancel: () => this.#applySize(this.#size.width, this.#size.height),
      onResize: (size) => this.#send(TO_SERVER.RESIZE, size),
    })
    this.#pixelRatio = new PixelRatioWatcher(this.#pixelRatioChanged)
    this.#visibility = new PageVisibility(document, this.#visibilityChanged)
  }

  // The protocol extensions the server accepted.
  get extensions() {
    return this.#extensions
  }

  connect() {
    this.#applySize(this.#size.width, this.#size.height)
    this.#toolbar.listen()
    this.#tools.listen()
    this.#subplotTool.listen()
    this.#closeButton.listen()
    this.#input.listen()
    this.#copyShortcut.listen()
    this.#resizeHandle.listen()
    this.#pixelRatio.listen()
    this.#visibility.listen()
    this.#connection.connect()
    // A figure alone on its page has the keyboard as it opens (the page does not scroll to it).
    if ("takeKeyboard" in this.#frame.dataset) takeKeyboard(this.#frame)
  }

  disconnect() {
    this.#connection.disconnect()
    this.#pixelRatio.unlisten()
    this.#visibility.unlisten()
    this.#painter.reset()
    this.#preview.reset()
    this.#resizeHandle.unlisten()
    this.#input.unlisten()
    this.#copyShortcut.unlisten()
    this.#toolbar.unlisten()
    this.#toolbar.connected = false
    this.#tools.unlisten()
    this.#tools.connected = false
    this.#subplotTool.unlisten()
    this.#help.close()
    this.#closeButton.unlisten()
    this.#closeButton.enabled = false
    this.#badge.clear()
  }

  #send = (type, fields = {}) => {
    this.#connection.send({ type, figure_id: this.#num, ...fields })
  }

  // Every socket, the first or a reconnection, starts the same way (the one before it was
  // forgotten when it closed); refresh brings a full frame.
  #opened = () => {
    this.#badge.clear()
    this.#send(TO_SERVER.WEBFIG_HELLO, { protocol: PROTOCOL_VERSION, extensions: EXTENSIONS })
    this.#send(TO_SERVER.SUPPORTS_BINARY, { value: true })
    this.#send(TO_SERVER.SEND_IMAGE_MODE)
    this.#send(TO_SERVER.SET_DEVICE_PIXEL_RATIO, { device_pixel_ratio: window.devicePixelRatio })
    this.#send(TO_SERVER.REFRESH)
    this.#toolbar.connected = true
    this.#toolbar.stopped = false
    this.#tools.connected = true
    this.#closeButton.enabled = true
  }

  // The canvas keeps its picture; what the server told this socket is forgotten.
  #closed = ({ final, stopped }) => {
    this.#painter.reset()
    this.#input.reset()
    this.#preview.reset()
    this.#extensions = []
    this.#tellsVisibility = false
    this.#toolbar.connected = false
    this.#tools.connected = false
    this.#subplotTool.hide()
    this.#closeButton.enabled = false
    this.#toolbar.message = closedMessage({ final, stopped })
    this.#toolbar.closed = final
    this.#toolbar.stopped = stopped
    this.#rubberband.hide()
    if (final) this.#badge.closed()
    else if (stopped) this.#badge.stopped()
  }

  #frameReceived = (blob) => {
    this.#painter.paint(blob)
  }

  #painted = (changes) => {
    this.#preview.painted(changes)
    // Lets the page style the figure before its first frame (and tests wait for one).
    if (!this.#pictured) {
      this.#pictured = true
      this.#root.dataset.painted = ""
      this.#toolbar.pictured = true
    }
    this.#send(TO_SERVER.ACK)
  }

  // A warning, not an error: the next full frame puts the picture right.
  #paintFailed = (error) => {
    console.warn(`webfig: figure ${this.#num}: a frame could not be shown`, error)
    this.#send(TO_SERVER.REFRESH)
  }

  #pixelRatioChanged = (ratio) => {
    this.#send(TO_SERVER.SET_DEVICE_PIXEL_RATIO, { device_pixel_ratio: ratio })
  }

  // A hidden page gets no frames (nobody would see them); shown again, it gets the picture as
  // it is then.
  #visibilityChanged = (visible) => {
    if (this.#tellsVisibility) this.#send(TO_SERVER.WEBFIG_VISIBILITY, { visible })
  }

  #received = (message) => {
    switch (message.type) {
      case FROM_SERVER.FIGURE_LABEL:
        this.#title.textContent = message.label
        break
      case FROM_SERVER.RESIZE:
        this.#resized(message.size)
        break
      case FROM_SERVER.IMAGE_MODE:
        this.#painter.imageMode = message.mode
        break
      case FROM_SERVER.DRAW:
        this.#send(TO_SERVER.DRAW)
        break
      case FROM_SERVER.CURSOR:
        this.#frame.dataset.cursor = message.cursor
        break
      case FROM_SERVER.MESSAGE:
        this.#toolbar.message = message.message
        break
      case FROM_SERVER.RUBBERBAND:
        this.#rubberband.show(message)
        break
      case FROM_SERVER.HISTORY_BUTTONS:
        this.#toolbar.history = message
        break
      case FROM_SERVER.NAVIGATE_MODE:
        this.#toolbar.navigateMode = message.mode
        this.#preview.mode = message.mode
        break
      case FROM_SERVER.PREVIEW_GEOMETRY:
        this.#preview.geometry = message
        break
      case FROM_SERVER.FRAME_SEQ:
        this.#preview.frameSeq(message)
        break
      case FROM_SERVER.CAPTURE_SCROLL:
        this.#input.captureScroll = Boolean(message.capture_scroll)
        break
      case FROM_SERVER.SAVE:
        this.#toolbar.download()
        break
      case FROM_SERVER.TOOL_ITEMS:
        this.#tools.groups = message.groups
        break
      case FROM_SERVER.TOOL_TOGGLED:
        this.#tools.toggled(message.name, message.toggled)
        break
      case FROM_SERVER.SUBPLOT_PARAMS:
        this.#subplotTool.show(message.params, { open: Boolean(message.open) })
        break
      case FROM_SERVER.TOOL_HELP:
        this.#help.show(message.tools)
        break
      case FROM_SERVER.WEBFIG_WELCOME:
        this.#welcomed(message)
        break
      case FROM_SERVER.DESCRIPTION:
        this.#description.text = message.text
        break
      case FROM_SERVER.MOTION_ACK:
        this.#input.motionAcknowledged()
        break
    }
  }

  #welcomed({ extensions }) {
    this.#extensions = Array.isArray(extensions) ? extensions : []
    this.#painter.format = this.#extensions.includes(EXTENSION.RECT_FRAMES) ? "rect" : "png"
    this.#input.pacedByServer = this.#extensions.includes(EXTENSION.MOTION_ACK)
    const preview = this.#extensions.includes(EXTENSION.PREVIEW)
    this.#input.sequenced = preview
    this.#input.pinches = this.#extensions.includes(EXTENSION.PINCH)
    this.#preview.enabled = preview
    this.#tellsVisibility = this.#extensions.includes(EXTENSION.VISIBILITY)
    // A tab opened in the background, say.
    if (!this.#visibility.visible) this.#visibilityChanged(false)
  }

  #resized([width, height]) {
    this.#size = { width, height }
    this.#applySize(width, height)
  }

  // The canvas' CSS size follows these properties; its backing size follows the frames.
  #applySize(width, height) {
    this.#root.style.setProperty("--webfig-width", String(width))
    this.#root.style.setProperty("--webfig-height", String(height))
  }
}

// A download over HTTP: the server answers with Content-Disposition, so the browser saves
// instead of navigating.
function saveFromServer(url) {
  const link = document.createElement("a")
  link.href = url
  link.download = ""
  link.click()
}

// What the status line says after a close; nothing while the socket is merely retrying.
function closedMessage({ final, stopped }) {
  if (final) return "This figure was closed"
  if (stopped) return "Run the script again to bring the figure back."
  return ""
}
