// The buttons of a toolbar that each name a tool in the data attribute `attribute`: a click on
// an enabled one sends a message of type `type` with the tool's name, unless `local` (a Map
// from names to functions) runs that tool in the page.
export class ToolButtons {
  #element
  #attribute
  #type
  #send
  #local

  constructor(element, { attribute, type, send, local = new Map() }) {
    this.#element = element
    this.#attribute = attribute
    this.#type = type
    this.#send = send
    this.#local = local
  }

  listen() {
    this.#element?.addEventListener("click", this.#clicked)
  }

  unlisten() {
    this.#element?.removeEventListener("click", this.#clicked)
  }

  // Each tool button as [name, button], in document order.
  *entries() {
    if (!this.#element) return
    for (const button of this.#element.querySelectorAll(`button[${this.#attribute}]`)) {
      yield [button.getAttribute(this.#attribute), button]
    }
  }

  #clicked = (event) => {
    const button = event.target.closest(`button[${this.#attribute}]`)
    if (!button || button.disabled) return
    const name = button.getAttribute(this.#attribute)
    const run = this.#local.get(name)
    if (run) run()
    else this.#send(this.#type, { name })
  }
}
