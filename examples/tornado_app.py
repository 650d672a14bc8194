"""webfig inside a Tornado application of your own: your pages at ``/``, figures at ``/figures``.

``server.routes("/figures")`` gives webfig's routes (the pages, the websockets, the
downloads) to add to your ``tornado.web.Application`` next to your own handlers.

Where the application runs matters. webfig's figures live on webfig's server thread
(``webfig.runtime.event_loop.server_thread()``): their viewers, events, renders and timers are all
handled on that thread's event loop, and the handlers from ``figure_routes`` talk to them
directly. So the application holding those routes must be served on that same loop, not on
an IOLoop of your own in another thread. ``FigureServer(application=app)`` does exactly that:
it listens (on ``WEBFIG_PORT`` / ``WEBFIG_ADDRESS``, as ``plt.show()`` would), serves ``app`` on
webfig's loop and prints the figures' URL; your main thread stays free, and here just waits
for Ctrl+C. Your own handlers run on that loop too: keep them quick, and hand slow work to a
thread (``await IOLoop.current().run_in_executor(None, work)``) so the figures stay live.
(An application that must keep its own loop can run webfig's server beside it on another
port instead, ``plt.show(block=False)``, and link to it.)

Run it with ``python examples/tornado_app.py`` and open the figures' printed address: it
carries webfig's token, which the browser then keeps in a cookie, so the links of the printed
home page work too. Ctrl+C stops it.
"""

from __future__ import annotations

import logging
from html import escape
from urllib.parse import urlsplit

import matplotlib

matplotlib.use("webfig")

import matplotlib.pyplot as plt
import numpy as np
import tornado.web

from webfig.server import FigureServer

PREFIX = "/figures"


class Home(tornado.web.RequestHandler):
    """The application's own page, linking to the figures."""

    def get(self) -> None:
        links = "".join(
            f'<li><a href="{PREFIX}/{num}">{escape(label)}</a></li>'
            for num, label in zip(plt.get_fignums(), plt.get_figlabels(), strict=False)
        )
        self.write(
            "<!doctype html><title>My application</title><h1>My application</h1>"
            f'<p><a href="{PREFIX}/">All figures</a>, or one of them:</p><ul>{links}</ul>'
        )


def make_figures() -> None:
    x = np.linspace(0, 10, 400)
    _, ax = plt.subplots(num="Signal")
    ax.plot(x, np.sin(x) * np.exp(-x / 5))
    ax.set(xlabel="t", title="A decaying signal")
    _, ax = plt.subplots(num="Noise")
    ax.hist(np.random.default_rng(0).normal(size=2000), bins=40)
    ax.set(title="Normal noise")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tornado.access").setLevel(logging.WARNING)  # not a line per request
    make_figures()
    app = tornado.web.Application([(r"/", Home)])
    server = FigureServer(application=app)
    # webfig's routes, with the server's access rules (its token); the printed URL (and the
    # browser tab) is theirs.
    app.add_handlers(r".*", server.routes(PREFIX))
    server.ensure_started()  # prints "webfig: serving figures at http://.../figures/?token=..."
    home = urlsplit(server.url)._replace(path="/", query="").geturl()
    print(f"tornado_app: home page at {home}", flush=True)
    server.serve_until_interrupted()


if __name__ == "__main__":
    main()
