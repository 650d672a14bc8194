// The entry module of webfig's pages: it connects the figures of the document. Pages of your
// own import the classes from webfig.js instead, which starts nothing.
import { FigurePage } from "./figure-page.js"

const page = new FigurePage(document)

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", () => page.connect(), { once: true })
} else {
  page.connect()
}
