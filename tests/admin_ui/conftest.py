"""Fixtures of the back-office tests: page clients per role (plain HTTP through the ASGI app)
and, for browser tests, the app served by uvicorn on a loopback port plus headless Chromium.

The live server runs as a task on the test's own event loop, so it shares the database pool
and the frozen clock with the test body (see STACK-NOTES on event loops).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from loyalty import staff
from loyalty.clock import FrozenClock
from tests.admin_ui.chromium import ARGS, ensure_chromium

SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
log = logging.getLogger("tests.admin_ui")


def field(html: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page."""
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, f"no {name} field in the page"
    return found.group(1)


def password_of(role: str) -> str:
    return f"{role}-password-1"


async def ensure_staff(role: str, clock: FrozenClock, *, name: str | None = None) -> str:
    email = f"{role}@test.example"
    await staff.ensure_account(email, password_of(role), role, now=clock.now(), name=name)
    return email


class Pages:
    """A staff member's browserless session: cookies kept, CSRF read from the pages."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, email: str, password: str) -> httpx.Response:
        form = await self.client.get("/admin/login")
        response = await self.client.post(
            "/admin/login",
            data={
                "email": email,
                "password": password,
                "_login_csrf": field(form.text, "_login_csrf"),
            },
        )
        if response.status_code == 303:
            self.csrf = field((await self.client.get("/admin/")).text, "_csrf")
        return response

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.client.get(path, **kw)

    async def post(self, path: str, data: dict[str, Any], *, csrf: bool = True) -> httpx.Response:
        body = {**data, "_csrf": self.csrf} if csrf else data
        return await self.client.post(path, data=body)


PagesAs = Callable[[str], Awaitable[Pages]]
"""``await pages_as("staff")``: a logged-in page session of that role."""


@pytest.fixture
async def pages_as(app: Any, clock: FrozenClock) -> AsyncIterator[PagesAs]:
    """``await pages_as("staff")``: a logged-in page session of that role."""
    clients: list[httpx.AsyncClient] = []

    async def make(role: str) -> Pages:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://test")
        clients.append(client)
        session = Pages(client)
        if role != "anonymous":
            email = await ensure_staff(role, clock)
            response = await session.login(email, password_of(role))
            assert response.status_code == 303, response.text
        return session

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    path, why = ensure_chromium()
    log.warning("chromium for browser tests: %s (%s)", path, why)
    if path is None:
        pytest.skip(f"browser tests need Chromium: {why}")
    return path


@pytest.fixture(scope="session")
async def browser(chromium_path: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(chromium_path), args=ARGS)
        yield browser
        await browser.close()


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[str]:
    """The app over real HTTP on a free loopback port, on this test's event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://localhost:{port}"
    server.should_exit = True
    await task
    sock.close()


@pytest.fixture
async def context(browser: Any) -> AsyncIterator[Any]:
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    await ctx.close()


async def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in tests/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
