import { FIGURE_CLOSED } from "./wire.js"

// A figure's connection in a notebook: its widget's model (the kernel's own comm) in place of
// a websocket, with Connection's methods and callbacks. Several views may share one model
// (a figure displayed twice, an output opened in a second tab): each has its own `view` id,
// which the kernel addresses and every view but its own ignores.
//
// What goes to the kernel: {view, open: true}, {view, message}, {view, close: true, cleared},
// {view, pong}, and {view, request, download: {format}} or {view, request, tab: true}. What
// comes back: {to, message}, {to, frame: true} with the frame as the one buffer, {to, ping},
// {to, closed: reason}, and {to, reply, error?} (a file's with its type, and the file as the
// one buffer). docs/notebook.md has them all.
//
// There is no reconnecting: the comm lives as long as the kernel does.
export class CommConnection {
  #root
  #model
  #view
  #callbacks
  #open = false
  #cleared = false
  #requests = new Map()
  #nextRequest = 1

  constructor(root, model, view, { onOpen, onMessage, onFrame, onClose }) {
    this.#root = root
    this.#model = model
    this.#view = view
    this.#callbacks = { onOpen, onMessage, onFrame, onClose }
  }

  connect() {
    this.#model.on("msg:custom", this.#received)
    this.#open = true
    this.#root.dataset.state = "open"
    if (this.#post({ open: true })) this.#callbacks.onOpen()
  }

  disconnect() {
    this.#model.off("msg:custom", this.#received)
    if (this.#open) this.#post({ close: true, cleared: this.#cleared })
    this.#open = false
    this.#root.dataset.state = "closed"
    this.#failRequests("the view closed")
  }

  // The view closes because its output was cleared (the kernel then closes the figure if no
  // other view of it is left).
  outputCleared() {
    this.#cleared = true
  }

  get isOpen() {
    return this.#open
  }

  send(message) {
    if (this.#open) this.#post({ message })
  }

  // Sends `fields` as this view's; false if the comm is gone (its kernel shut down or
  // restarted), which ends the connection for good.
  #post(fields) {
    try {
      this.#model.send({ view: this.#view, ...fields })
      return true
    } catch {
      if (this.#open) this.#closed("the kernel is gone")
      return false
    }
  }

  // The figure as a file in `format`: a Blob, from the kernel, of the type it says.
  download(format) {
    return this.#request({ download: { format } }).then(
      ({ reply, buffers }) => new Blob([buffers[0]], { type: String(reply.type) }),
    )
  }

  // The address of a browser tab of the figure's own server, which the kernel starts.
  tabUrl() {
    return this.#request({ tab: true }).then(({ reply }) => reply.url)
  }

  #request(fields) {
    if (!this.#open) return Promise.reject(new Error("the figure is not connected"))
    const request = this.#nextRequest++
    return new Promise((resolve, reject) => {
      this.#requests.set(request, { resolve, reject })
      this.#post({ request, ...fields })
    })
  }

  #received = (content, buffers = []) => {
    if (content?.to !== this.#view) return
    if (content.frame) this.#callbacks.onFrame(new Blob([buffers[0]]))
    else if (content.message) this.#callbacks.onMessage(content.message)
    else if ("reply" in content) this.#replied(content, buffers)
    else if ("ping" in content) this.#post({ pong: content.ping })
    else if ("closed" in content) this.#closed(String(content.closed))
  }

  #replied(reply, buffers) {
    const pending = this.#requests.get(reply.reply)
    if (!pending) return
    this.#requests.delete(reply.reply)
    if (reply.error) pending.reject(new Error(reply.error))
    else pending.resolve({ reply, buffers })
  }

  #closed(reason) {
    this.#open = false
    this.#root.dataset.state = "closed"
    this.#failRequests("the figure was closed")
    this.#callbacks.onClose({ code: FIGURE_CLOSED, reason, final: true, stopped: false })
  }

  #failRequests(why) {
    this.#requests.forEach(({ reject }) => reject(new Error(why)))
    this.#requests.clear()
  }
}
