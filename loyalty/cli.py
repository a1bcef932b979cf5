"""The ``loyalty`` command: run everything locally, or one part in production.

``loyalty run`` is the one-command demo: embedded PostgreSQL and Redis when no URLs are set,
migrations, the demo program, the API with the admin pages, and the worker in one process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from loyalty import db, logs, reactions_table
from loyalty.embedded import Servers
from loyalty.settings import Settings, SettingsError, load_settings

log = logging.getLogger("loyalty")
T = TypeVar("T")
GRACE_S = 2
"""On SIGTERM, requests in flight get this long to finish; then the process stops anyway
(with the pool's own 2 s close it is down well within 5 s, even with a dead database)."""


def with_servers(settings: Settings) -> tuple[Settings, Servers | None]:
    """Settings with both URLs: the given ones, or embedded servers started for the missing."""
    if settings.database_url and settings.redis_url:
        return settings, None
    from loyalty import embedded

    servers = embedded.start(
        settings.data_dir,
        need_postgres=not settings.database_url,
        need_redis=not settings.redis_url,
    )
    return settings.with_urls(
        settings.database_url or servers.database_url, settings.redis_url or servers.redis_url
    ), servers


async def prepare(settings: Settings, *, demo: bool) -> None:
    """Open the pool, migrate, make sure the first admin exists, seed the demo program."""
    from loyalty import demo as demo_data
    from loyalty import migrate, staff

    assert settings.database_url
    db.configure(settings.database_url)
    await db.open_pool(settings.db_pool_size, count_statements=settings.db_stats)
    await migrate.migrate(quiet=True)
    now = datetime.now(UTC)
    await staff.ensure_admin(settings.admin_email, settings.admin_password, now=now)
    if demo and await demo_data.seed(now):
        log.info("seeded the demo program (example 004)")


def print_banner(settings: Settings) -> None:
    base = f"http://{settings.host}:{settings.port}"
    print(f"Loyalty engine on {base}  (OpenAPI docs: {base}/schema, admin pages: {base}/admin/)")
    print(f"  database: {settings.database_url}\n  redis:    {settings.redis_url}")
    for name in settings.defaults_in_use():
        print(f"  {name} is the development default (set it before production)")
    if "LOYALTY_ADMIN_PASSWORD" in settings.defaults_in_use():
        print(f"  admin login: {settings.admin_email} / {settings.admin_password}")
    print("  shopper token: loyalty token CUSTOMER_ID", flush=True)


def uvicorn_config(app: Any, *, access_log: bool, **kwargs: Any) -> Any:
    """uvicorn on httptools (C parser) without websockets; no access log unless asked for.

    ``log_config=None`` leaves logging to :func:`main`'s configuration, so uvicorn's lines
    (the access log included, with ``--access-log``) come out in the same format as ours.
    """
    import uvicorn

    return uvicorn.Config(
        app,
        http="httptools",
        ws="none",
        lifespan="on",
        log_config=None,
        access_log=access_log,
        timeout_graceful_shutdown=GRACE_S,
        **kwargs,
    )


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run an API process's event loop on uvloop (libuv), the fastest loop uvicorn knows."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def default_workers(cpus: int | None = None) -> int:
    """``loyalty api``'s process count: one per two cores, as ``bench/accrual`` measured (on 2
    cores, PostgreSQL and the load need the second one: 2 API processes were slower than 1)."""
    return max(1, (cpus or os.cpu_count() or 1) // 2)


async def serve(settings: Settings, *, worker: bool, demo: bool, access_log: bool = False) -> None:
    import uvicorn
    from arq import create_pool
    from arq.connections import RedisSettings

    from api.app import create_app
    from jobs.worker import keep_working
    from loyalty.notify import localfakes

    await prepare(settings, demo=demo)
    settings, fakes = await localfakes.maybe_start(settings) if worker else (settings, None)
    assert settings.redis_url
    redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    app = create_app(settings, redis=redis, manage_resources=False)
    level = logs.uvicorn_level()
    server = uvicorn.Server(
        uvicorn_config(
            app, access_log=access_log, host=settings.host, port=settings.port, log_level=level
        )
    )
    tasks = [asyncio.create_task(server.serve())]
    if worker:  # reconnects by itself when Redis goes away; the API goes on meanwhile
        tasks.append(asyncio.create_task(keep_working(settings, manage_pool=False)))
    print_banner(settings)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        server.should_exit = True
        for task in tasks[1:]:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()
        await db.close_pool()
        if fakes is not None:
            await fakes.stop()


async def _serve_on(settings: Settings, sock: socket.socket, access_log: bool) -> None:
    """One API process serving an inherited listening socket (its own pool and Redis)."""
    import uvicorn

    from api.app import create_app

    app = create_app(settings)
    await uvicorn.Server(uvicorn_config(app, access_log=access_log)).serve(sockets=[sock])


def serve_workers(settings: Settings, workers: int, *, access_log: bool = False) -> None:
    """``workers`` API processes on one listening socket.

    The socket is created with ``IPPROTO_TCP`` so asyncio sets ``TCP_NODELAY`` on every accepted
    connection; ``uvicorn --workers`` binds with protocol 0, asyncio then leaves Nagle on and
    each small response waits for the client's delayed ACK (about 40 ms a request).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    children: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_loop(_serve_on(settings, sock, access_log))
            except BaseException:
                code = 1
            os._exit(code)
        children.append(pid)
    log.info("API on http://%s:%s with %d processes", settings.host, settings.port, workers)
    try:
        for pid in children:
            os.waitpid(pid, 0)
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        _forget_metrics_of(children)


def _forget_metrics_of(pids: list[int]) -> None:
    """Drop the live gauges of API processes that ended (multiprocess metrics)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        for pid in pids:
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


async def run_job(settings: Settings, name: str, as_of: datetime) -> dict[str, object]:
    from jobs import table

    if name not in table.BY_NAME:
        raise SystemExit(f"unknown job {name!r}; known: {', '.join(sorted(table.BY_NAME))}")
    await prepare(settings, demo=False)
    try:
        return await table.run(name, as_of)
    finally:
        await db.close_pool()


async def check_ledger(settings: Settings) -> int:
    from loyalty import ledger

    await prepare(settings, demo=False)
    try:
        drift = await ledger.drift()
        total = await db.fetchval("SELECT count(*) FROM member")
    finally:
        await db.close_pool()
    for row in drift:
        print(f"DRIFT {row}")
    print(f"checked {total} members: {len(drift)} with a cache different from the ledger")
    return 1 if drift else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="loyalty", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="everything for a local try (embedded servers if no URLs)")
    run.add_argument("--no-demo", action="store_true", help="do not seed the demo program")
    run.add_argument("--access-log", action="store_true", help="log every HTTP request")
    run.add_argument("-v", "--verbose", action="store_true", help="show every server's logs")
    api = sub.add_parser("api", help="the HTTP API and admin pages")
    workers = default_workers()
    api.add_argument(
        "--workers",
        type=int,
        default=workers,
        help=f"API processes (default {workers}: one per two cores)",
    )
    api.add_argument("--access-log", action="store_true", help="log every HTTP request")
    sub.add_parser("worker", help="the background worker (jobs and schedules)")
    sub.add_parser("migrate", help="apply database migrations")
    token = sub.add_parser("token", help="print a shopper JWT for trying the app API")
    token.add_argument("customer_id")
    token.add_argument("--hours", type=float, default=24.0)
    sub.add_parser("check-ledger", help="prove every cached balance equals its ledger")
    jobs = sub.add_parser("jobs", help="scheduled jobs")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True)
    job_run = jobs_sub.add_parser("run", help="run one job once")
    job_run.add_argument("name")
    job_run.add_argument("--as-of", type=_iso_datetime, default=None)
    from loyalty.imports import command as import_command

    import_command.add_parser(sub)
    return parser.parse_args(argv)


def _iso_datetime(value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date: {value}") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    verbose = bool(getattr(args, "verbose", False))
    logs.configure(verbose=verbose, quiet=args.command == "run" and not verbose)
    reactions_table.install()
    try:
        settings = load_settings()
        settings.check_production()
    except SettingsError as exc:
        print(f"loyalty: {exc}", file=sys.stderr)
        return 2
    if args.command == "token":
        from api.tokens import issue

        print(
            issue(
                settings, args.customer_id, now=datetime.now(UTC), ttl=timedelta(hours=args.hours)
            )
        )
        return 0
    # uvicorn re-raises SIGTERM after its own shutdown; turn it into a normal exit so the
    # embedded servers below are stopped instead of left running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.command in ("run", "api", "worker"):
        from loyalty import metrics  # before anything imports prometheus_client

        metrics.prepare_multiprocess(settings.data_dir)
    settings, servers = with_servers(settings)
    try:
        return _dispatch(args, settings)
    except KeyboardInterrupt:
        return 130
    finally:
        if servers is not None:
            servers.stop()


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "run":
        asyncio.run(serve(settings, worker=True, demo=not args.no_demo, access_log=args.access_log))
    elif args.command == "api" and args.workers > 1:
        asyncio.run(_prepare_and_close(settings))
        serve_workers(settings, args.workers, access_log=args.access_log)
    elif args.command == "api":
        run_loop(serve(settings, worker=False, demo=False, access_log=args.access_log))
    elif args.command == "worker":
        asyncio.run(_worker(settings))
    elif args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "check-ledger":
        return asyncio.run(check_ledger(settings))
    elif args.command == "import":
        from loyalty.imports import command as import_command

        return import_command.main(settings, args)
    elif args.command == "jobs":
        as_of = args.as_of or datetime.now(UTC)
        print(asyncio.run(run_job(settings, args.name, as_of)))
    return 0


async def _prepare_and_close(settings: Settings) -> None:
    await prepare(settings, demo=False)
    await db.close_pool()


async def _migrate(settings: Settings) -> None:
    from loyalty import migrate

    assert settings.database_url
    db.configure(settings.database_url)
    await migrate.migrate()


async def _worker(settings: Settings) -> None:
    from jobs.worker import keep_working

    await keep_working(settings)


if __name__ == "__main__":
    sys.exit(main())
