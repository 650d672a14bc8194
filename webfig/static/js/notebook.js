import { NotebookView } from "./notebook-view.js"

// The notebook widget's front end (anywidget's module interface): a NotebookView for each
// place the figure's widget is displayed, gone with it.
//
// The views of each widget (by its `view_group`: anywidget hands every view a model object of
// its own), so that a view replacing one whose output was rendered anew (which JupyterLab
// leaves detached, never removed) takes over from it, and the old one stops.
const viewsOf = new Map()

export const widget = {
  render({ model, el }) {
    const group = model.get("view_group")
    const views = viewsOf.get(group) ?? new Set()
    viewsOf.set(group, views)
    const detached = [...views].filter((view) => view.detached)
    const view = new NotebookView(model, el, detached.at(-1))
    for (const old of detached) {
      views.delete(old)
      old.disconnect()
    }
    views.add(view)
    view.connect()
    return () => {
      views.delete(view)
      if (views.size === 0) viewsOf.delete(group)
      view.remove()
    }
  },
}
