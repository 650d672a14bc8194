import { Connection } from "./connection.js"
import { FROM_SERVER } from "./wire.js"

// Keeps the hub's list in step with what is published: whenever the hub's figures change (a
// script publishes one, a figure is kept or deleted, a label changes), the list is fetched
// again from the page's own address (its filter included) and its runs put in place.
//
// `root` holds the runs; its data-list-path is the hub's figure list socket.
export class HubList {
  #root
  #connection
  // The figures the socket listed last (numbers and labels), as text to compare.
  #listed = null
  #fetching = null

  constructor(root) {
    this.#root = root
    this.#connection = new Connection(root, root.dataset.listPath, {
      onOpen: () => {},
      onMessage: this.#received,
      onFrame: () => {},
      onClose: () => {},
    })
  }

  connect() {
    this.#connection.connect()
  }

  disconnect() {
    this.#connection.disconnect()
    this.#fetching?.abort()
    this.#fetching = null
  }

  #received = (message) => {
    if (message.type !== FROM_SERVER.FIGURES || !Array.isArray(message.figures)) return
    const listed = JSON.stringify(message.figures)
    // The first list is news only if the page was made before it (a figure came meanwhile).
    const changed =
      this.#listed === null ? !sameFigures(message.figures, this.#shown()) : listed !== this.#listed
    this.#listed = listed
    if (changed) this.#refresh()
  }

  // The figures the list shows now: their numbers.
  #shown() {
    const items = this.#root.querySelectorAll("[data-figure-id]")
    return [...items].map((item) => Number(item.dataset.figureId))
  }

  async #refresh() {
    this.#fetching?.abort()
    const fetching = new AbortController()
    this.#fetching = fetching
    try {
      const response = await fetch(location.href, {
        signal: fetching.signal,
        headers: { Accept: "text/html" },
      })
      if (!response.ok) return
      const page = new DOMParser().parseFromString(await response.text(), "text/html")
      const fresh = page.querySelector(".webfig-hub-runs")
      if (fresh && !fetching.signal.aborted) this.#root.replaceChildren(...fresh.childNodes)
    } catch (error) {
      if (error.name !== "AbortError") throw error
    }
  }
}

// Whether the socket's `figures` ([{num, label}]) are the figures `shown` lists (a filtered
// list shows some of them: those it shows must all be there).
function sameFigures(figures, shown) {
  const listed = new Set(figures.map(({ num }) => Number(num)))
  return shown.every((num) => listed.has(num)) && (shown.length > 0 || listed.size === 0)
}
