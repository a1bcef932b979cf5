"""Helpers of the chaos tests: ports, subprocesses of the real commands, killing backends."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

from loyalty.embedded import free_port
from loyalty.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def port(avoid: frozenset[int] = frozenset()) -> int:
    """A free port, inside ``LOYALTY_TEST_PORTS`` (``9200-9299``) when a shared machine sets
    one, else any free port."""
    span = os.environ.get("LOYALTY_TEST_PORTS", "")
    if not span:
        return free_port()
    low, high = (int(p) for p in span.split("-"))
    for candidate in range(low + os.getpid() % (high - low + 1), high + 1):
        if candidate in avoid:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return candidate
    return free_port()


def command_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a ``loyalty`` subprocess aimed at the test's database and Redis."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("LOYALTY_")}
    return {
        **keep,
        "DATABASE_URL": str(settings.database_url),
        "REDIS_URL": str(settings.redis_url),
        "LOYALTY_SHOP_SECRET": settings.shop_secret,
        "LOYALTY_JWT_SECRET": settings.jwt_secret,
        "LOYALTY_DATA_DIR": str(ROOT / ".data" / "chaos"),
        **extra,
    }


@asynccontextmanager
async def command(
    args: list[str], env: dict[str, str], log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m loyalty.cli ARGS``, killed at the end if still running."""
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "loyalty.cli", *args, cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def kill_backends(database_url: str) -> int:
    """Terminate every other session on the database (the pools of the API or worker)."""
    conn = await asyncpg.connect(database_url)
    try:
        killed = await conn.fetchval(
            """SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
               WHERE datname = current_database() AND pid <> pg_backend_pid()"""
        )
    finally:
        await conn.close()
    return int(killed or 0)


async def wait_for(check: object, timeout_s: float = 20.0) -> None:
    """Until ``await check()`` is truthy (an exception counts as not yet)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            if await check():  # type: ignore[operator]
                return
        except Exception:  # not up yet
            pass
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def redis_server(port: int, folder: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """A throw-away ``redis-server`` on ``port`` (no persistence), killed at the end."""
    proc = await asyncio.create_subprocess_exec(
        "redis-server",
        *("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
        *("--dir", str(folder)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def daytime_zone() -> str:
    """A time zone where it is day now: tests on real time must not meet the quiet hours."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    zones = ("UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "America/Los_Angeles")
    now = datetime.now(UTC)
    return next(z for z in zones if 9 <= now.astimezone(ZoneInfo(z)).hour < 20)
