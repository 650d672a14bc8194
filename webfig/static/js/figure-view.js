import { CloseButton } from "./close-button.js"
import { Connection } from "./connection.js"
import { ConnectionBadge } from "./connection-badge.js"
import { FramePainter } from "./frame-painter.js"
import { PixelRatioWatcher } from "./pixel-ratio.js"
import { PointerInput } from "./pointer-input.js"
import { Preview } from "./preview.js"
import { ResizeHandle } from "./resize-handle.js"
import { Rubberband } from "./rubberband.js"
import { SubplotTool } from "./subplot-tool.js"
import { ToolContainer } from "./tool-container.js"
import { ToolHelp } from "./tool-help.js"
import { Toolbar } from "./toolbar.js"

const PROTOCOL_VERSION = 1
const EXTENSIONS = ["rect_frames", "motion_ack", "lossy_frames", "preview", "heartbeat"]

// One figure on the page: its socket, and the canvas, toolbar and input that use it.
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
  #tools
  #subplotTool
  #help
  #closeButton
  #input
  #rubberband
  #resizeHandle
  #pixelRatio

  constructor(root) {
    const { figureNum, socketPath, downloadPath, width, height } = root.dataset
    const canvas = root.querySelector("canvas.webfig-canvas")
    this.#root = root
    this.#num = Number(figureNum)
    this.#title = root.querySelector(".webfig-title")
    this.#frame = root.querySelector(".webfig-canvas-frame")
    this.#size = { width: Number(width), height: Number(height) }
    this.#connection = new Connection(root, socketPath, {
      onOpen: this.#opened,
      onMessage: this.#received,
      onFrame: this.#frameReceived,
      onClose: this.#closed,
      onRetry: (delay) => this.#badge.retrying(delay),
    })
    this.#badge = new ConnectionBadge(root.querySelector(".webfig-connection"))
    this.#preview = new Preview(canvas)
    this.#painter = new FramePainter(this.#preview.picture, {
      onPainted: this.#painted,
      onFailed: this.#paintFailed,
    })
    this.#toolbar = new Toolbar(root.querySelector(".webfig-toolbar"), {
      send: this.#send,
      downloadPath,
    })
    this.#tools = new ToolContainer(root.querySelector(".webfig-tool-groups"), { send: this.#send })
    this.#subplotTool = new SubplotTool(root.querySelector(".webfig-subplot-tool"), {
      send: this.#send,
    })
    this.#help = new ToolHelp(root.querySelector(".webfig-help"))
    this.#closeButton = new CloseButton(root.querySelector(".webfig-close"), { send: this.#send })
    this.#input = new PointerInput(this.#frame, canvas, this.#send, {
      onSent: (type, message) => this.#preview.sent(type, message),
      onPointer: (point) => this.#preview.pointerAt(point),
    })
    this.#rubberband = new Rubberband(root.querySelector(".webfig-rubberband"), canvas)
    this.#resizeHandle = new ResizeHandle(root.querySelector(".webfig-resize-handle"), {
      root,
      canvas,
      onPreview: ({ width, height }) => this.#applySize(width, height),
      onCancel: () => this.#applySize(this.#size.width, this.#size.height),
      onResize: (size) => this.#send("resize", size),
    })
    this.#pixelRatio = new PixelRatioWatcher(this.#pixelRatioChanged)
  }

  // The protocol extensions the server accepted.
  get extensions() {
    return this.#extensions
  }

  connect() {
    this.#applySize(this.#size.width, this.#size.height)
    this.#toolbar.connect()
    this.#tools.connect()
    this.#subplotTool.connect()
    this.#closeButton.connect()
    this.#input.connect()
    this.#resizeHandle.connect()
    this.#pixelRatio.connect()
    this.#connection.connect()
  }

  disconnect() {
    this.#connection.disconnect()
    this.#pixelRatio.disconnect()
    this.#painter.disconnect()
    this.#preview.reset()
    this.#resizeHandle.disconnect()
    this.#input.disconnect()
    this.#toolbar.disconnect()
    this.#toolbar.connected = false
    this.#tools.disconnect()
    this.#tools.connected = false
    this.#subplotTool.disconnect()
    this.#help.close()
    this.#closeButton.disconnect()
    this.#closeButton.enabled = false
    this.#badge.clear()
  }

  #send = (type, fields = {}) => {
    this.#connection.send({ type, figure_id: this.#num, ...fields })
  }

  // Every socket, the first or a reconnection, starts the same way; refresh brings a full frame.
  #opened = () => {
    this.#painter.connect()
    this.#badge.clear()
    this.#send("webfig_hello", { protocol: PROTOCOL_VERSION, extensions: EXTENSIONS })
    this.#send("supports_binary", { value: true })
    this.#send("send_image_mode")
    this.#send("set_device_pixel_ratio", { device_pixel_ratio: window.devicePixelRatio })
    this.#send("refresh")
    this.#toolbar.connected = true
    this.#toolbar.stopped = false
    this.#tools.connected = true
    this.#closeButton.enabled = true
  }

  // The canvas keeps its picture; what the server told this socket is forgotten.
  #closed = ({ final, stopped }) => {
    this.#painter.disconnect()
    this.#input.reset()
    this.#preview.reset()
    this.#extensions = []
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
    if (!("painted" in this.#root.dataset)) this.#root.dataset.painted = ""
    this.#send("ack")
  }

  // A warning, not an error: the next full frame puts the picture right.
  #paintFailed = (error) => {
    console.warn(`webfig: figure ${this.#num}: a frame could not be shown`, error)
    this.#send("refresh")
  }

  #pixelRatioChanged = (ratio) => {
    this.#send("set_device_pixel_ratio", { device_pixel_ratio: ratio })
  }

  #received = (message) => {
    switch (message.type) {
      case "figure_label":
        this.#title.textContent = message.label
        break
      case "resize":
        this.#resized(message.size)
        break
      case "image_mode":
        this.#painter.imageMode = message.mode
        break
      case "draw":
        this.#send("draw")
        break
      case "cursor":
        this.#frame.dataset.cursor = message.cursor
        break
      case "message":
        this.#toolbar.message = message.message
        break
      case "rubberband":
        this.#rubberband.show(message)
        break
      case "history_buttons":
        this.#toolbar.history = message
        break
      case "navigate_mode":
        this.#toolbar.navigateMode = message.mode
        this.#preview.mode = message.mode
        break
      case "preview_geometry":
        this.#preview.geometry = message
        break
      case "frame_seq":
        this.#preview.frameSeq(message)
        break
      case "capture_scroll":
        this.#input.captureScroll = Boolean(message.capture_scroll)
        break
      case "save":
        this.#toolbar.download()
        break
      case "tool_items":
        this.#tools.groups = message.groups
        break
      case "tool_toggled":
        this.#tools.toggled(message.name, message.toggled)
        break
      case "subplot_params":
        this.#subplotTool.show(message.params, { open: Boolean(message.open) })
        break
      case "tool_help":
        this.#help.show(message.tools)
        break
      case "webfig_welcome":
        this.#welcomed(message)
        break
      case "motion_ack":
        this.#input.motionAcknowledged()
        break
    }
  }

  #welcomed({ extensions }) {
    this.#extensions = Array.isArray(extensions) ? extensions : []
    this.#painter.format = this.#extensions.includes("rect_frames") ? "rect" : "png"
    this.#input.pacedByServer = this.#extensions.includes("motion_ack")
    const preview = this.#extensions.includes("preview")
    this.#input.sequenced = preview
    this.#preview.enabled = preview
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

// What the status line says after a close; nothing while the socket is merely retrying.
function closedMessage({ final, stopped }) {
  if (final) return "This figure was closed"
  if (stopped) return "Run the script again to bring the figure back."
  return ""
}
