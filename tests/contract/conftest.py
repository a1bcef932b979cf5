"""Fixtures of the contract tests: the app served over real HTTP on this test's event loop.

The server runs as a task on the test's loop, so it shares the database pool and the frozen
clock with the test body (see STACK-NOTES on event loops); blocking clients (schemathesis's
requests, urllib, the generated client) run in a thread so the loop keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
import uvicorn


@pytest.fixture
async def live_server(app: Any) -> AsyncIterator[str]:
    """The app over real HTTP on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    for _ in range(1000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    await task
    sock.close()
