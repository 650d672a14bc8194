import { socketUrl } from "./geometry.js"
import { FIGURE_CLOSED, FROM_SERVER, SERVER_STOPPED, WENT_SILENT } from "./wire.js"

export const FIRST_RETRY_MS = 500
export const MAX_RETRY_MS = 10_000
// After SERVER_STOPPED the retries start later: a script takes seconds to run again.
export const STOPPED_FIRST_RETRY_MS = 2_000
// At most this fraction of a delay is taken off at random, so the tabs of a restarted server
// do not all come back in the same instant.
const RETRY_JITTER = 0.25
// A socket that stayed open this long was healthy: after it drops, retries start over fast.
const HEALTHY_MS = 5_000
// A server that sends heartbeats (the heartbeat extension) is given up on after this many of
// its intervals without a message: the path died without a close (laptop asleep, a NAT or
// proxy that forgot the connection), and only a new socket gets through.
export const MISSED_HEARTBEATS = 2.5

// The wait before retry number `attempt` (0 for the first after a drop): doubling from
// `first` up to MAX_RETRY_MS, less a random part; `random` is in [0, 1).
export function retryDelay(attempt, random, first = FIRST_RETRY_MS) {
  const delay = Math.min(MAX_RETRY_MS, first * 2 ** attempt)
  return Math.round(delay * (1 - RETRY_JITTER * random))
}

// One websocket to a server path; JSON messages and binary frames are handed to callbacks.
//
// When the socket drops it is opened again, with backoff, until the server closes it with
// FIGURE_CLOSED or disconnect() is called. The root's data-state says where it is:
// "connecting" (first attempt), "open", "reconnecting" (waiting for or making a retry),
// "stopped" (the server said it stopped: retrying quietly until a socket opens again), and
// "closed" (final: the server closed it for good, or disconnect() was called).
//
// onClose({ code, reason, final, stopped }) follows every close, failed attempts included;
// onRetry(delay), optional, says when the next attempt starts (0: now), except while stopped.
export class Connection {
  #root
  #url
  #callbacks
  #socket = null
  #attempt = 0
  #retryTimer = 0
  #openedAt = null
  #stopped = false
  #silenceTimer = 0
  #silenceLimitMs = 0

  constructor(root, path, { onOpen, onMessage, onFrame, onClose, onRetry = () => {} }) {
    this.#root = root
    this.#url = socketUrl(path, window.location.href)
    this.#callbacks = { onOpen, onMessage, onFrame, onClose, onRetry }
  }

  connect() {
    // A network that comes back, or a laptop that wakes up, deserves a retry now.
    window.addEventListener("online", this.#retryNow)
    document.addEventListener("visibilitychange", this.#visibilityChanged)
    this.#attempt = 0
    this.#stopped = false
    this.#setState("connecting")
    this.#open()
  }

  disconnect() {
    window.removeEventListener("online", this.#retryNow)
    document.removeEventListener("visibilitychange", this.#visibilityChanged)
    this.#cancelRetry()
    this.#close()
    this.#setState("closed")
  }

  get isOpen() {
    return this.#socket?.readyState === WebSocket.OPEN
  }

  send(message) {
    if (this.isOpen) this.#socket.send(JSON.stringify(message))
  }

  #open() {
    this.#socket = new WebSocket(this.#url)
    this.#socket.binaryType = "blob"
    this.#socket.addEventListener("open", this.#opened)
    this.#socket.addEventListener("message", this.#received)
    this.#socket.addEventListener("close", this.#closed)
  }

  #close() {
    this.#stopWatching()
    if (!this.#socket) return
    this.#socket.removeEventListener("open", this.#opened)
    this.#socket.removeEventListener("message", this.#received)
    this.#socket.removeEventListener("close", this.#closed)
    this.#socket.close()
    this.#socket = null
    this.#openedAt = null
  }

  #opened = () => {
    this.#openedAt = performance.now()
    this.#stopped = false
    this.#setState("open")
    this.#callbacks.onOpen()
  }

  #received = ({ data }) => {
    this.#heard()
    if (typeof data !== "string") {
      this.#callbacks.onFrame(data)
      return
    }
    const message = parseMessage(data)
    if (message?.type === FROM_SERVER.HEARTBEAT) this.#heartbeat(message)
    else if (message) this.#callbacks.onMessage(message)
  }

  // From the first heartbeat on, silence for MISSED_HEARTBEATS of its intervals ends the socket.
  #heartbeat({ interval }) {
    const seconds = Number(interval)
    if (!Number.isFinite(seconds) || seconds <= 0) return
    this.#silenceLimitMs = seconds * 1000 * MISSED_HEARTBEATS
    this.#heard()
  }

  #heard() {
    if (!this.#silenceLimitMs) return
    clearTimeout(this.#silenceTimer)
    this.#silenceTimer = setTimeout(this.#wentSilent, this.#silenceLimitMs)
  }

  #stopWatching() {
    clearTimeout(this.#silenceTimer)
    this.#silenceTimer = 0
    this.#silenceLimitMs = 0
  }

  // The socket is dead but no close will come (or only much later): drop it and go on as
  // after a close, with a new socket.
  #wentSilent = () => {
    this.#silenceTimer = 0
    this.#closed(WENT_SILENT)
  }

  #closed = ({ code, reason }) => {
    if (this.#openedAt !== null && performance.now() - this.#openedAt >= HEALTHY_MS) {
      this.#attempt = 0
    }
    // Stopped until a socket opens again: the attempts that fail meanwhile are no news.
    if (code === SERVER_STOPPED) {
      this.#stopped = true
      this.#attempt = 0
    }
    this.#close()
    const final = code === FIGURE_CLOSED
    const stopped = this.#stopped && !final
    this.#setState(final ? "closed" : stopped ? "stopped" : "reconnecting")
    this.#callbacks.onClose({ code, reason, final, stopped })
    if (final) return
    const first = stopped ? STOPPED_FIRST_RETRY_MS : FIRST_RETRY_MS
    const delay = retryDelay(this.#attempt, Math.random(), first)
    this.#attempt += 1
    this.#retryTimer = setTimeout(this.#retry, delay)
    this.#announceRetry(delay)
  }

  #announceRetry(delay) {
    if (!this.#stopped) this.#callbacks.onRetry(delay)
  }

  #retry = () => {
    this.#retryTimer = 0
    this.#open()
  }

  // Only while waiting: an attempt under way or a final close is left alone.
  #retryNow = () => {
    if (!this.#retryTimer) return
    this.#cancelRetry()
    this.#announceRetry(0)
    this.#retry()
  }

  #visibilityChanged = () => {
    if (document.visibilityState === "visible") this.#retryNow()
  }

  #cancelRetry() {
    clearTimeout(this.#retryTimer)
    this.#retryTimer = 0
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
