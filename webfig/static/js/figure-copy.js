// How long a download's object URL is kept: the browser reads it after the click returns.
const DOWNLOAD_URL_LIFETIME_MS = 60_000

// The figure's picture, as the page shows it at the screen's full resolution (the server's
// last frame, device pixels), put on the clipboard as PNG; downloaded as a PNG file where the
// browser refuses. `report(text)` says what happened; `fileName()` names the download.
//
// The page's own picture, not the server's PNG download: it is what the viewer sees (a
// blitted animation's artists included, which a save leaves out), at the screen's pixel
// ratio rather than the figure's dpi, ready at once within the click's user activation, and
// there while the server is stopped.
export class FigureCopy {
  #canvas
  #fileName
  #report

  constructor(canvas, { fileName, report }) {
    this.#canvas = canvas
    this.#fileName = fileName
    this.#report = report
  }

  async copy() {
    if (this.#canvas.width === 0 || this.#canvas.height === 0) {
      this.#report("Nothing to copy yet: the figure has not been shown")
      return
    }
    const png = pngBlob(this.#canvas)
    let refusal = clipboardRefusal()
    if (!refusal) {
      try {
        // The item takes the promise, so the write starts within the key's or click's
        // activation while the PNG is still being encoded.
        await navigator.clipboard.write([new ClipboardItem({ "image/png": png })])
        this.#report("Copied the figure to the clipboard")
        return
      } catch (error) {
        refusal =
          error?.name === "NotAllowedError"
            ? "The browser did not allow the clipboard"
            : `The clipboard failed (${error?.name ?? error})`
      }
    }
    const name = this.#fileName()
    download(await png, name)
    this.#report(`${refusal}: downloaded ${name} instead`)
  }
}

// Why this page cannot write an image to the clipboard at all, or nothing if it may try.
function clipboardRefusal() {
  if (!window.isSecureContext) return "Copying needs a secure (https) page"
  if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") {
    return "This browser cannot copy images"
  }
  return ""
}

function pngBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no PNG"))), "image/png")
  })
}

function download(blob, name) {
  const url = URL.createObjectURL(blob)
  const link = document.createElement("a")
  link.href = url
  link.download = name
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), DOWNLOAD_URL_LIFETIME_MS)
}
