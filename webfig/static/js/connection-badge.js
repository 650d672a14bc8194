// The figure header's word on its connection: a countdown to the next retry, that the
// server stopped, or that the figure is gone. Empty (and hidden by the style sheet) while
// all is well.
export class ConnectionBadge {
  #element
  #retryAt = 0
  #timer = 0

  constructor(element) {
    this.#element = element
  }

  // Empty, with no countdown running.
  clear() {
    this.#show("")
  }

  closed() {
    this.#show("Figure closed")
  }

  // Retries go on quietly, so no countdown.
  stopped() {
    this.#show("Server stopped")
  }

  // The next attempt starts in `delay` ms.
  retrying(delay) {
    this.#retryAt = performance.now() + delay
    this.#tick()
  }

  #tick = () => {
    const left = this.#retryAt - performance.now()
    this.#show(retryText(left))
    // Wake up when the number of seconds shown changes.
    if (left > 0) this.#timer = setTimeout(this.#tick, left % 1000 || 1000)
  }

  #show(text) {
    clearTimeout(this.#timer)
    this.#element.textContent = text
  }
}

// What the badge says `left` ms before a retry.
export function retryText(left) {
  const seconds = Math.ceil(left / 1000)
  return seconds > 0 ? `Reconnecting in ${seconds} s…` : "Reconnecting…"
}
