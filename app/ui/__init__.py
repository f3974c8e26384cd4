"""Pages for analysts (``/ui/...``): a customer's evidence graph, an explanation of two
identifiers, the review queue.

The pages are HTML shells rendered server-side (Jinja2) that hold no data: the browser
loads the data from the JSON API with the analyst's key (kept in ``sessionStorage`` and
sent as ``Authorization: Bearer``), so nothing personal is served without a key and the
key never appears in a URL. The graph library (cytoscape.js, from npm) ships in
``static/vendor``: no CDN at run time.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

UI_DIR = Path(__file__).resolve().parent


def install(app: FastAPI) -> None:
    """Serve the pages under ``/ui`` and their assets under ``/ui/static``."""
    from app.ui.routes import router

    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=UI_DIR / "static"), name="ui-static")
