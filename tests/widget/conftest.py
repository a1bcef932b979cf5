"""Fixtures of the widget tests: a shop's page on a second loopback origin, the engine allowing
exactly that origin (``LOYALTY_WIDGET_ORIGINS``), and the browser fixtures of the back office.

The shop server is a few lines of ASGI served by uvicorn on the test's own event loop (like
the engine's live server), answering the pages a test puts into ``ShopSite.pages``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import uvicorn

from loyalty.settings import Settings
from tests.admin_ui.conftest import browser, chromium_path, context, live_server, pages_as

__all__ = ["browser", "chromium_path", "context", "live_server", "pages_as"]


@dataclasses.dataclass
class ShopSite:
    origin: str
    pages: dict[str, str] = dataclasses.field(default_factory=dict)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        html = self.pages.get(scope["path"])
        status, body = (200, html.encode()) if html is not None else (404, b"not found")
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture
def shop_socket() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock
    sock.close()


@pytest.fixture
def settings(settings: Settings, shop_socket: socket.socket) -> Settings:
    """The suite's settings, allowing the shop's origin (and only it) to use the widget."""
    origin = f"http://127.0.0.1:{shop_socket.getsockname()[1]}"
    return dataclasses.replace(settings, widget_origins=(origin,))


@pytest.fixture
async def shop(shop_socket: socket.socket) -> AsyncIterator[ShopSite]:
    """The shop's web server on its own origin (``http://127.0.0.1:<port>``)."""
    site = ShopSite(origin=f"http://127.0.0.1:{shop_socket.getsockname()[1]}")
    config = uvicorn.Config(site, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[shop_socket]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield site
    server.should_exit = True
    await task
