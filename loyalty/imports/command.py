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
    total = None if args.file == "-" else os.path.getsize(args.file)
    started = time.monotonic()
    with ExitStack() as stack:
        stream: IO[bytes] = (
            sys.stdin.buffer if args.file == "-" else stack.enter_context(open(args.file, "rb"))
        )
        out = stack.enter_context(open(rejects_path(args), "wb"))

        def reject(line: int, reason: str) -> None:
            out.write(msgspec.json.encode({"line": line, "reason": reason}) + b"\n")

        bar = Bar(total, enabled=sys.stderr.isatty())
        try:
            report = asyncio.run(_import(settings, args, stream, reject, bar))
        finally:
            bar.close()
    if not report.rows_rejected and os.path.getsize(rejects_path(args)) == 0:
        os.remove(rejects_path(args))
    seconds = time.monotonic() - started
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
    options = runner.Options(workers=args.workers, notify=args.notify, resume=not args.restart)
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
