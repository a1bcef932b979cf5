"""``loyalty import members|orders FILE``: the command line around :mod:`.runner`.

On a terminal a ``rich`` progress bar shows the share of the file read, rows per second and the
time left (stdin has no size: then only the count and the rate). Rows that do not land go to
the reject file as NDJSON ``{"line", "reason"}``; the good rows still land. Exit code 0 when
every row landed, 1 when some were rejected.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from typing import IO, Any

import msgspec

from loyalty import db
from loyalty.clock import SystemClock
from loyalty.imports import runner
from loyalty.settings import Settings


def add_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="import members or order history from a CSV/NDJSON file")
    p.add_argument("kind", choices=["members", "orders"])
    p.add_argument("file", help="CSV (header of API field names) or NDJSON; - for stdin")
    p.add_argument("--rejects", help="where rejected rows go (default FILE.rejects.ndjson)")
    p.add_argument("--notify", action="store_true", help="send the notifications of history")
    p.add_argument("--workers", type=int, default=8, help="concurrent database sessions")
    p.add_argument("--restart", action="store_true", help="ignore a half-done earlier run")
    p.add_argument(
        "--processes", type=int, default=1, help="processes, each taking a share of the customers"
    )
    p.add_argument("--partition", help=argparse.SUPPRESS)  # I/N: set by --processes
    p.add_argument("--summary-json", action="store_true", help=argparse.SUPPRESS)


def rejects_path(args: argparse.Namespace) -> str:
    if args.rejects:
        return str(args.rejects)
    return "import-rejects.ndjson" if args.file == "-" else f"{args.file}.rejects.ndjson"


class Bar:
    """The terminal's progress bar (rich), or nothing when output is not a terminal."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.started = time.monotonic()
        self.progress: Any = None
        if not enabled:
            return
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]} rows, {task.fields[rate]} rows/s"),
            TextColumn("{task.fields[rejected]} rejected"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            transient=False,
        )
        self.task = self.progress.add_task("import", total=total, rows=0, rate=0, rejected=0)
        self.progress.start()

    def update(self, bytes_read: int, ok: int, rejected: int) -> None:
        if self.progress is None:
            return
        rate = int((ok + rejected) / max(time.monotonic() - self.started, 1e-6))
        self.progress.update(self.task, completed=bytes_read, rows=ok, rate=rate, rejected=rejected)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def main(settings: Settings, args: argparse.Namespace) -> int:
    """Open the file and the reject file, run the import, print what happened."""
    if args.processes > 1:
        return parallel(args)
    total = None if args.file == "-" else os.path.getsize(args.file)
    started = time.monotonic()
    with ExitStack() as stack:
        stream: IO[bytes] = (
            sys.stdin.buffer if args.file == "-" else stack.enter_context(open(args.file, "rb"))
        )
        out = stack.enter_context(open(rejects_path(args), "wb"))

        def reject(line: int, reason: str) -> None:
            out.write(msgspec.json.encode({"line": line, "reason": reason}) + b"\n")

        bar = Bar(total, enabled=sys.stderr.isatty() and not args.summary_json)
        try:
            report = asyncio.run(_import(settings, args, stream, reject, bar))
        finally:
            bar.close()
    if not report.rows_rejected and os.path.getsize(rejects_path(args)) == 0:
        os.remove(rejects_path(args))
    seconds = time.monotonic() - started
    if args.summary_json:
        print(msgspec.json.encode(report).decode())
        return 1 if report.rows_rejected else 0
    rows = report.rows_ok + report.rows_rejected
    resumed = f", resumed after line {report.resumed_from_line}" if report.resumed_from_line else ""
    print(
        f"imported {report.rows_ok} {args.kind} rows ({report.rows_changed} changed something, "
        f"{report.rows_rejected} rejected{resumed}) in {seconds:.1f} s, "
        f"{rows / max(seconds, 1e-6):.0f} rows/s"
        + (f"; rejects in {rejects_path(args)}" if report.rows_rejected else "")
    )
    return 1 if report.rows_rejected else 0


async def _import(
    settings: Settings,
    args: argparse.Namespace,
    stream: IO[bytes],
    reject: runner.Reject,
    bar: Bar,
) -> runner.Report:
    from loyalty.cli import prepare

    assert settings.database_url
    db.configure(settings.database_url)
    await db.open_pool(max(settings.db_pool_size, args.workers + 2))
    await prepare(settings, demo=False)
    partition = tuple(int(x) for x in args.partition.split("/")) if args.partition else None
    options = runner.Options(
        workers=args.workers,
        notify=args.notify,
        resume=not args.restart,
        partition=partition,  # type: ignore[arg-type]
    )
    try:
        return await runner.run(
            args.kind,
            stream,
            source=args.file,
            clock=SystemClock(),
            options=options,
            on_reject=reject,
            on_progress=bar.update,
        )
    finally:
        await db.close_pool()


def parallel(args: argparse.Namespace) -> int:
    """``--processes N``: N child imports of the same file, each taking the customers of its
    share (so one customer's rows stay in order in one process), each resumable on its own.
    Their reject files are merged into the one asked for; one summary is printed."""
    if args.file == "-":
        print("loyalty import: --processes needs a file (stdin can be read only once)")
        return 2
    started, n = time.monotonic(), args.processes
    parts = [f"{rejects_path(args)}.part{i}" for i in range(n)]
    children = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loyalty.cli",
                "import",
                args.kind,
                args.file,
                "--partition",
                f"{i}/{n}",
                "--rejects",
                parts[i],
                "--workers",
                str(args.workers),
                "--summary-json",
                *(["--notify"] if args.notify else []),
                *(["--restart"] if args.restart else []),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(n)
    ]
    reports = [msgspec.json.decode(c.communicate()[0].splitlines()[-1]) for c in children]
    _merge(parts, rejects_path(args))
    ok, bad = sum(r["rows_ok"] for r in reports), sum(r["rows_rejected"] for r in reports)
    changed = sum(r["rows_changed"] for r in reports)
    seconds = time.monotonic() - started
    print(
        f"imported {ok} {args.kind} rows ({changed} changed something, {bad} rejected) in "
        f"{seconds:.1f} s with {n} processes, {(ok + bad) / max(seconds, 1e-6):.0f} rows/s"
        + (f"; rejects in {rejects_path(args)}" if bad else "")
    )
    return 1 if bad or any(c.returncode not in (0, 1) for c in children) else 0


def _merge(parts: list[str], target: str) -> None:
    with open(target, "wb") as out:
        for part in parts:
            if os.path.exists(part):
                with open(part, "rb") as f:
                    out.write(f.read())
                os.remove(part)
    if os.path.getsize(target) == 0:
        os.remove(target)
