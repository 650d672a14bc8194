// The help tool's answer: every tool with its keys and what it does, in a dialog.
export class ToolHelp {
  #dialog

  constructor(dialog) {
    this.#dialog = dialog
  }

  show(tools) {
    if (!this.#dialog || !Array.isArray(tools)) return
    const rows = tools.map((entry) => {
      const row = document.createElement("tr")
      for (const text of Array.isArray(entry) ? entry.slice(0, 3) : []) {
        const cell = document.createElement("td")
        cell.textContent = String(text)
        row.append(cell)
      }
      return row
    })
    this.#dialog.querySelector("tbody").replaceChildren(...rows)
    if (!this.#dialog.open) this.#dialog.showModal()
  }

  close() {
    if (this.#dialog?.open) this.#dialog.close()
  }
}
