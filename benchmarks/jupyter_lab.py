"""A real JupyterLab (or Notebook 7) for the notebook tests and benchmarks/notebook.py: a server
of its own on a free port, in a folder of its own, with settings of its own (the user's are
never read), and a notebook opened in a Playwright page, whose cells and kernel can be
driven."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Literal

import nbformat

from .common import free_port

STARTUP_TIMEOUT = 60.0  # seconds for the server to answer, or a notebook's kernel to be ready
TOKEN = "webfig-tests"
# The page's own knowledge of the notebook it shows and of its kernel (expose_app_in_browser;
# the app is there once JupyterLab started).
_NOTEBOOK = "window.jupyterapp?.shell.currentWidget"
# No news or update prompts over the notebook, and no language servers looked for.
_PAGE_CONFIG = {
    "disabledExtensions": {
        "@jupyterlab/apputils-extension:announcements": True,
        "@jupyter/lsp-extension": True,
    }
}


# Each front end: the module that runs it, the address of a notebook's page, and its own
# options (its app in the page, no update checks).
_FRONT_ENDS = {
    "lab": (
        "jupyterlab",
        "lab/tree",
        [
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
    ),
    "notebook": ("notebook", "notebooks", ["--JupyterNotebookApp.expose_app_in_browser=True"]),
}


class JupyterLab:
    """``jupyter lab`` (or, with ``front_end="notebook"``, Notebook 7, the same front end one
    notebook a page) serving a new temporary folder on loopback; :meth:`stop` ends it and
    its kernels. Its log is in ``folder / "jupyter.log"``."""

    def __init__(self, front_end: Literal["lab", "notebook"] = "lab") -> None:
        module, self._notebook_path, options = _FRONT_ENDS[front_end]
        self._temporary = tempfile.TemporaryDirectory(prefix="webfig-lab-")
        base = Path(self._temporary.name)
        self.folder = base / "notebooks"
        self.folder.mkdir()
        config = base / "config"
        (config / "labconfig").mkdir(parents=True)
        (config / "labconfig" / "page_config.json").write_text(json.dumps(_PAGE_CONFIG))
        self.port = free_port()
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTER_RUNTIME_DIR=str(base / "runtime"),
            JUPYTER_PLATFORM_DIRS="1",
            # The kernels log nothing about themselves into the cells.
            PYTHONWARNINGS="ignore",
        )
        self._log = (base / "jupyter.log").open("w")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "--no-browser",
                "--allow-root",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}",
                f"--ServerApp.token={TOKEN}",
                f"--ServerApp.root_dir={self.folder}",
                *options,
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self._wait_until_up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited: {self.log()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={TOKEN}", timeout=5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"jupyter lab did not start: {self.log()[-2000:]}") from None
                time.sleep(0.1)

    def log(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text()

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        notebook.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        path = self.folder / name
        nbformat.write(notebook, path)
        return path

    def open(self, page: Any, name: str) -> Notebook:
        """Open the notebook ``name`` in ``page``; returns once its kernel is ready."""
        page.goto(f"{self.url}/{self._notebook_path}/{name}?token={TOKEN}")
        notebook = Notebook(page, self.folder / name)
        notebook.wait_for_kernel()
        return notebook

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()
        self._temporary.cleanup()


class Notebook:
    """One notebook open in a page of JupyterLab's."""

    def __init__(self, page: Any, path: Path) -> None:
        self.page = page
        self.path = path

    def wait_for_kernel(self) -> None:
        self.page.wait_for_function(
            f"""() => {{
                const kernel = {_NOTEBOOK}?.sessionContext?.session?.kernel
                return kernel?.connectionStatus === "connected" && kernel.status === "idle"
            }}""",
            timeout=STARTUP_TIMEOUT * 1000,
        )

    def run_cell(self, index: int) -> None:
        """Run cell ``index`` as Shift+Enter would, and wait until it ran."""
        self._on_cell(index, "notebook:run-cell")
        self.wait_idle()

    def clear_output(self, index: int) -> None:
        """Clear cell ``index``'s output, as its context menu's "Clear Cell Output" does."""
        self._on_cell(index, "notebook:clear-cell-output")

    def _on_cell(self, index: int, command: str) -> None:
        """Make cell ``index`` the active one and run JupyterLab's ``command`` on it."""
        self.page.evaluate(
            f"""async ([index, command]) => {{
                const panel = {_NOTEBOOK}
                panel.content.activeCellIndex = index
                await window.jupyterapp.commands.execute(command)
            }}""",
            [index, command],
        )

    def close_and_open_again(self) -> None:
        """Save the notebook, close its tab (its kernel left running, as JupyterLab does) and
        open it again: it reconnects to the same kernel."""
        self.save()
        self.page.evaluate(
            f"""async (path) => {{
                {_NOTEBOOK}.dispose()
                const reopened = await window.jupyterapp.commands.execute("docmanager:open", {{
                    path,
                }})
                await reopened.sessionContext.ready
            }}""",
            self.path.name,
        )
        self.wait_for_kernel()

    def run_all(self) -> None:
        self.page.evaluate(
            "async () => { await window.jupyterapp.commands.execute('notebook:run-all-cells') }"
        )
        self.wait_idle()

    def wait_idle(self) -> None:
        """Until the kernel has nothing queued: every cell asked for has run."""
        self.page.wait_for_function(
            f"""() => {{
                const panel = {_NOTEBOOK}
                const kernel = panel.sessionContext.session.kernel
                const queued = panel.content.widgets.some(
                    (cell) =>
                        cell.model.type === "code" && cell.promptNode?.textContent.includes("*"),
                )
                return kernel.status === "idle" && !queued
            }}""",
            timeout=STARTUP_TIMEOUT * 1000,
        )

    def kernel_says(self, code: str) -> str:
        """What ``code`` prints when the notebook's kernel runs it, apart from any cell."""
        text: str = self.page.evaluate(
            f"""async (code) => {{
                const kernel = {_NOTEBOOK}.sessionContext.session.kernel
                const future = kernel.requestExecute({{ code, store_history: false }})
                let text = ""
                future.onIOPub = ({{ header, content }}) => {{
                    if (header.msg_type === "stream") text += content.text
                    if (header.msg_type === "error") {{
                        text += `${{content.ename}}: ${{content.evalue}}`
                    }}
                }}
                await future.done
                return text
            }}""",
            code,
        )
        return text

    def shut_down_kernel(self) -> None:
        self.page.evaluate(f"async () => {{ await {_NOTEBOOK}?.sessionContext?.shutdown() }}")

    def save(self) -> dict[str, Any]:
        """Save the notebook as JupyterLab does (what a user's Ctrl+S saves); its JSON."""
        self.page.evaluate(
            "async () => { await window.jupyterapp.commands.execute('docmanager:save') }"
        )
        saved: dict[str, Any] = json.loads(self.path.read_text())
        return saved
