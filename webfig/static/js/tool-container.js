import { ToolButtons } from "./tool-buttons.js"
import { TO_SERVER } from "./wire.js"

// A ToolManager's toolbar: the server says what it holds (groups of tools, in order) and
// which toggle tools are on; a click asks the server to trigger the tool, but for matplotlib's
// copy tool (a script may put it on the toolbar), which the page runs itself with `copy`: only
// a user's gesture in the page may write its clipboard.
export class ToolContainer {
  #element
  #buttons
  #connected = false

  constructor(element, { send, copy }) {
    this.#element = element
    this.#buttons = new ToolButtons(element, {
      attribute: "data-tool-name",
      type: TO_SERVER.TRIGGER_TOOL,
      send,
      local: new Map([["copy", copy]]),
    })
  }

  listen() {
    this.#buttons.listen()
  }

  unlisten() {
    this.#buttons.unlisten()
  }

  set connected(value) {
    this.#connected = value
    for (const [, button] of this.#buttons.entries()) button.disabled = !value
  }

  // The whole toolbar, as the server's tool_items says.
  set groups(groups) {
    if (!this.#element || !Array.isArray(groups)) return
    this.#element.replaceChildren(...groups.map((group) => this.#group(group)))
  }

  toggled(name, toggled) {
    for (const [tool, button] of this.#buttons.entries()) {
      if (tool === name) button.setAttribute("aria-pressed", String(Boolean(toggled)))
    }
  }

  #group({ name, tools }) {
    const element = document.createElement("div")
    element.className = "webfig-tool-group"
    element.dataset.group = String(name)
    element.append(...(Array.isArray(tools) ? tools : []).map((tool) => this.#button(tool)))
    return element
  }

  #button({ name, description, toggle, toggled, icon }) {
    const button = document.createElement("button")
    button.type = "button"
    button.className = "webfig-tool"
    button.dataset.toolName = String(name)
    button.title = description || String(name)
    button.disabled = !this.#connected
    if (toggle) button.setAttribute("aria-pressed", String(Boolean(toggled)))
    if (typeof icon === "string" && icon.startsWith("data:image/")) {
      const image = document.createElement("img")
      image.src = icon
      image.alt = button.title
      image.width = image.height = 20
      button.append(image)
    } else {
      button.classList.add("webfig-tool-text")
      button.textContent = String(name)
    }
    return button
  }
}
