"""The API docs page at ``/schema``, served without any CDN.

Redoc's standalone bundle (2.5.4, MIT; its licences beside it) is shipped in
``api/docs_assets/`` and served from ``/schema/assets/``; the page loads no web fonts (Redoc
falls back to the system's) and no remote favicon, the bundle's one remote image (its footer
logo) is an empty ``data:`` SVG, so a shop's intranet without internet
access still gets readable docs. ``/schema/openapi.json`` is the document itself.
"""

from __future__ import annotations

from pathlib import Path

from litestar.openapi.plugins import RedocRenderPlugin
from litestar.static_files import create_static_files_router

ASSETS = Path(__file__).resolve().parent / "docs_assets"
ASSETS_PATH = "/schema/assets"

REDOC = RedocRenderPlugin(
    js_url=f"{ASSETS_PATH}/redoc.standalone.js",
    google_fonts=False,
    favicon="<link rel='icon' href='data:,'>",
    path="/redoc",
)

ASSETS_ROUTER = create_static_files_router(
    path=ASSETS_PATH,
    directories=[ASSETS],
    include_in_schema=False,
    name="docs_assets",
    cache_control=None,
)
