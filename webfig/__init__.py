"""webfig: live, interactive matplotlib figures in the browser, over websockets.

Use it as a matplotlib backend (``matplotlib.use("webfig")``) and call ``plt.show()``; the
figures are served at the URL it prints. See the README for the whole story.
"""

from __future__ import annotations

from .config import ConfigError, Settings, configure, current_settings
from .rendering.cache import RenderCache
from .rendering.render import content_type, render, to_rgba
from .rendering.render_pool import RenderPool, RenderTimeout, WorkerCrashed
from .rendering.stores import MemcachedStore, RedisStore

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "MemcachedStore",
    "RedisStore",
    "RenderCache",
    "RenderPool",
    "RenderTimeout",
    "Settings",
    "WorkerCrashed",
    "__version__",
    "configure",
    "content_type",
    "current_settings",
    "render",
    "to_rgba",
]
