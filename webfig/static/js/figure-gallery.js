import { Connection } from "./connection.js"
import { FROM_SERVER } from "./wire.js"

// Keeps the all-figures page in step with the script: a card appears for each figure it
// opens and goes away when it closes the figure, without a reload.
//
// The gallery owns the views of its cards, the server-rendered ones and those it adds:
// `createView(figureRoot)` makes one, connected when its card appears and disconnected when
// the card goes. disconnect() disconnects them all, and abandons the cards still on their way.
// `empty`, an element or null, is shown while there are no figures; `stoppedNote`, an
// element or null, while the server is stopped (the cards keep their last pictures).
export class FigureGallery {
  #root
  #empty
  #stoppedNote
  #prefix
  #connection
  #createView
  #views = new Map()
  // The numbers of the figures the server listed last, and the fetches of cards on their way.
  #listed = new Set()
  #fetches = new Map()

  constructor(root, empty, { createView, stoppedNote = null }) {
    this.#root = root
    this.#empty = empty
    this.#stoppedNote = stoppedNote
    this.#prefix = root.dataset.prefix ?? ""
    this.#createView = createView
    this.#connection = new Connection(root, root.dataset.listPath, {
      onOpen: () => this.#showStopped(false),
      onMessage: this.#received,
      onFrame: () => {},
      onClose: ({ stopped }) => this.#showStopped(stopped),
    })
  }

  connect() {
    for (const card of this.#cards()) this.#show(card)
    this.#connection.connect()
  }

  disconnect() {
    this.#connection.disconnect()
    this.#showStopped(false)
    this.#fetches.forEach((fetching) => fetching.abort())
    this.#fetches.clear()
    this.#views.forEach((view) => view.disconnect())
    this.#views.clear()
  }

  #showStopped(stopped) {
    if (this.#stoppedNote) this.#stoppedNote.hidden = !stopped
  }

  #received = (message) => {
    if (message.type === FROM_SERVER.FIGURES && Array.isArray(message.figures)) {
      this.#update(message.figures.map(({ num }) => Number(num)))
    }
  }

  #update(nums) {
    this.#listed = new Set(nums)
    for (const card of this.#cards()) {
      if (!this.#listed.has(cardNum(card))) this.#remove(card)
    }
    for (const num of nums) {
      if (!this.#card(num) && !this.#fetches.has(num)) this.#add(num)
    }
    if (this.#empty) this.#empty.hidden = nums.length > 0
  }

  async #add(num) {
    const fetching = new AbortController()
    this.#fetches.set(num, fetching)
    try {
      const html = await this.#fetchCard(num, fetching.signal)
      // Closed meanwhile (404, or no longer listed), or the gallery let go: nothing to show.
      if (html === null || fetching.signal.aborted) return
      const card = parseCard(html)
      if (!card || !this.#listed.has(num) || this.#card(num)) return
      this.#root.insertBefore(card, this.#cardAfter(num))
      this.#show(card)
    } finally {
      // A fetch the gallery abandoned may end after a new one for the same figure started.
      if (this.#fetches.get(num) === fetching) this.#fetches.delete(num)
    }
  }

  // The card's HTML, or null when the figure is gone, the fetch was aborted or the server
  // could not be reached (the list socket reconnects, and its next list tries again).
  async #fetchCard(num, signal) {
    try {
      const response = await fetch(`${this.#prefix}/${num}/fragment`, { signal })
      return response.ok ? await response.text() : null
    } catch (error) {
      if (!signal.aborted) console.warn(`webfig: the card of figure ${num} did not come`, error)
      return null
    }
  }

  #show(card) {
    const view = this.#createView(card.querySelector(".webfig-figure"))
    this.#views.set(card, view)
    view.connect()
  }

  #remove(card) {
    this.#views.get(card)?.disconnect()
    this.#views.delete(card)
    card.remove()
  }

  #cards() {
    return [...this.#root.querySelectorAll(":scope > [data-figure-card]")]
  }

  #card(num) {
    return this.#cards().find((card) => cardNum(card) === num)
  }

  // Cards stay in figure-number order, as on a fresh page.
  #cardAfter(num) {
    return this.#cards().find((card) => cardNum(card) > num) ?? null
  }
}

function cardNum(card) {
  return Number(card.dataset.figureCard)
}

function parseCard(html) {
  const template = document.createElement("template")
  template.innerHTML = html.trim()
  const card = template.content.firstElementChild
  return card?.matches("[data-figure-card]") ? card : null
}
