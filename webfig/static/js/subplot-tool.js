import { adjustedSubplots } from "./subplots.js"
import { TO_SERVER } from "./wire.js"

// How long after the user's last move the panel ignores the figure's echoes (ms).
const ECHO_GRACE_MS = 300

// The subplot tool: a slider for each of the figure's subplot parameters. Moving one sends
// all six (at most once a display frame); every viewer's panel follows what the figure has.
export class SubplotTool {
  #form
  #send
  #pending = null
  #frame = 0
  #lastInput = -Infinity

  constructor(form, { send }) {
    this.#form = form
    this.#send = send
  }

  listen() {
    this.#form?.addEventListener("input", this.#moved)
    this.#form?.addEventListener("click", this.#clicked)
  }

  unlisten() {
    this.#form?.removeEventListener("input", this.#moved)
    this.#form?.removeEventListener("click", this.#clicked)
    cancelAnimationFrame(this.#frame)
    this.#pending = null
    this.hide()
  }

  get shown() {
    return Boolean(this.#form && !this.#form.hidden)
  }

  // The figure's parameters: open the panel if asked, else only follow them when open (but
  // not under the user's hand: the echo of a value sent a moment ago is already stale).
  show(params, { open }) {
    if (!this.#form) return
    if (open) this.#form.hidden = false
    const busy = this.#pending !== null || performance.now() - this.#lastInput < ECHO_GRACE_MS
    if (!this.#form.hidden && (open || !busy)) this.#setValues(params)
  }

  hide() {
    if (this.#form) this.#form.hidden = true
  }

  #values() {
    const values = {}
    for (const input of this.#form.querySelectorAll("input[type=range]")) values[input.name] = Number(input.value)
    return values
  }

  #setValues(params) {
    for (const input of this.#form.querySelectorAll("input[type=range]")) {
      const value = Number(params?.[input.name])
      if (!Number.isFinite(value)) continue
      input.value = String(value)
      input.nextElementSibling.textContent = value.toFixed(3)
    }
  }

  #moved = (event) => {
    const input = event.target
    if (!(input instanceof HTMLInputElement)) return
    // Left stays left of right, bottom below top, as matplotlib requires.
    this.#lastInput = performance.now()
    const values = adjustedSubplots(this.#values(), input.name)
    this.#setValues(values)
    this.#pending = values
    if (!this.#frame) this.#frame = requestAnimationFrame(this.#flush)
  }

  #flush = () => {
    this.#frame = 0
    if (this.#pending) this.#send(TO_SERVER.SUBPLOTS_ADJUST, this.#pending)
    this.#pending = null
  }

  #clicked = (event) => {
    const action = event.target.closest("button[data-action]")?.dataset.action
    if (action === "reset") {
      // What the figure says next is the reset's answer: take it, however recent the moves.
      this.#lastInput = -Infinity
      cancelAnimationFrame(this.#frame)
      this.#frame = 0
      this.#pending = null
      this.#send(TO_SERVER.SUBPLOTS_RESET)
    }
    else if (action === "close") this.hide()
  }
}
