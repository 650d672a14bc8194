import { socketUrl } from "./geometry.js"

// One websocket to a figure; JSON messages and PNG frames are handed to callbacks.
export class Connection {
  #root
  #url
  #callbacks
  #socket = null

  constructor(root, path, { onOpen, onMessage, onFrame, onClose }) {
    this.#root = root
    this.#url = socketUrl(path, window.location.href)
    this.#callbacks = { onOpen, onMessage, onFrame, onClose }
  }

  connect() {
    this.#setState("connecting")
    this.#socket = new WebSocket(this.#url)
    this.#socket.binaryType = "blob"
    this.#socket.addEventListener("open", this.#opened)
    this.#socket.addEventListener("message", this.#received)
    this.#socket.addEventListener("close", this.#closed)
  }

  disconnect() {
    if (!this.#socket) return
    this.#socket.removeEventListener("open", this.#opened)
    this.#socket.removeEventListener("message", this.#received)
    this.#socket.removeEventListener("close", this.#closed)
    this.#socket.close()
    this.#socket = null
    this.#setState("closed")
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN
  }

  send(message) {
    if (this.isOpen) this.#socket.send(JSON.stringify(message))
  }

  #opened = () => {
    this.#setState("open")
    this.#callbacks.onOpen()
  }

  #received = ({ data }) => {
    if (typeof data !== "string") {
      this.#callbacks.onFrame(data)
      return
    }
    const message = parseMessage(data)
    if (message) this.#callbacks.onMessage(message)
  }

  #closed = () => {
    this.#setState("closed")
    this.#callbacks.onClose()
  }

  #setState(state) {
    this.#root.dataset.state = state
  }
}

// A JSON object with a string `type`, or null for anything else.
export function parseMessage(text) {
  try {
    const message = JSON.parse(text)
    return typeof message?.type === "string" ? message : null
  } catch {
    return null
  }
}
