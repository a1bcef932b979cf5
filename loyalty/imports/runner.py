"""Running an import: rows to the same domain services as the API, concurrently, resumable.

Each row goes where its API request would: a member row to :func:`members.upsert_profile`
(and :func:`members.post_opening_balance`), an order row to :func:`orders.report`, so imported
history gets exactly the points, lots, coupons and dates the API would give, and a rerun (or an
overlap with live traffic) changes nothing, by the API's own keys.

Throughput: the file is read in chunks; a chunk's rows are split by customer among
``workers`` tasks, each with its own connection, and each task commits its rows in batches
(one transaction per batch; a batch in which a row fails is redone with a savepoint per row,
so a bad row is rejected alone and the good ones still land). One
customer's rows stay in one task, in file order. After each chunk the line reached is saved in
``import_run``, so a run stopped half-way resumes after the last whole chunk.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

import asyncpg
import msgspec

from loyalty import db, members, orders, outbox
from loyalty.errors import DomainError
from loyalty.imports import rows
from schemas.imports import MemberRow, OrderRow
from schemas.shop import OrderIn

Kind = Literal["members", "orders"]
Progress = Callable[[int, int, int], None]
"""``(bytes_read, rows_ok, rows_rejected)`` after each chunk."""


@dataclass(slots=True)
class Options:
    workers: int = 8
    chunk_rows: int = 4_000
    batch_rows: int = 250
    notify: bool = False
    resume: bool = True
    partition: tuple[int, int] | None = None
    """``(i, n)``: this process takes the customers whose hash is ``i`` modulo ``n`` (the
    command's ``--processes``); unreadable rows are reported by partition 0 only."""


def mine(raw: rows.Raw, partition: tuple[int, int] | None) -> bool:
    """Whether this process handles ``raw`` (always, without partitions)."""
    if partition is None:
        return True
    i, n = partition
    key = (raw.fields or {}).get("customer_id")
    if not isinstance(key, str):
        return i == 0
    return _slot(key, n) == i


def _slot(key: str, n: int) -> int:
    return (zlib.crc32(key.encode()) >> 8) % n


@dataclass(slots=True)
class Report:
    rows_ok: int = 0
    rows_changed: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    resumed_from_line: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    key: str
    apply: Callable[[datetime], Awaitable[bool]]


def parse(kind: Kind, raw: rows.Raw) -> Row | str:
    """The row's domain call, or the reason it is rejected."""
    if raw.error is not None or raw.fields is None:
        return raw.error or "unreadable row"
    try:
        if kind == "orders":
            order = msgspec.convert(raw.fields, OrderRow, strict=False)
            return Row(raw.line, order.customer_id, _order_call(order))
        member = msgspec.convert(raw.fields, MemberRow, strict=False)
        return Row(raw.line, member.customer_id, _member_call(member))
    except msgspec.ValidationError as exc:
        return str(exc)


def _order_call(row: OrderRow) -> Callable[[datetime], Awaitable[bool]]:
    fields = {f: getattr(row, f) for f in OrderIn.__struct_fields__}
    state = OrderIn(**fields)  # the API's body exactly, so its state digest matches

    async def apply(now: datetime) -> bool:
        return (await orders.report(row.order_id, state, now=now)).changed

    return apply


def _member_call(row: MemberRow) -> Callable[[datetime], Awaitable[bool]]:
    profile = members.Profile(
        email=row.email,
        phone=row.phone,
        name=row.name,
        birthday=row.birthday,
        locale=row.locale,
        timezone=row.timezone,
        newsletter=row.newsletter,
        referral_code=row.referral_code,
    )

    async def apply(now: datetime) -> bool:
        await members.upsert_profile(row.customer_id, profile, now=now)
        opened = await members.post_opening_balance(
            row.customer_id, row.opening_balance, earned_at=row.opening_balance_at, now=now
        )
        return opened is not None

    return apply


def fingerprint(path: str) -> str | None:
    """Size plus a hash of the first MiB: the same file again, cheaply (None for stdin)."""
    if path == "-":
        return None
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return f"{os.path.getsize(path)}:{hashlib.sha256(head).hexdigest()}"


Reject = Callable[[int, str], None]
"""``(line, reason)`` for each row that did not land."""


@dataclass(slots=True)
class _Tally:
    ok: int = 0
    changed: int = 0
    rejected: int = 0


async def run(
    kind: Kind,
    stream: IO[bytes],
    *,
    source: str,
    clock: Any,
    options: Options,
    on_reject: Reject,
    on_progress: Progress | None = None,
) -> Report:
    """Import every row of ``stream`` (the file ``source``, ``-`` for stdin)."""
    fp = fingerprint(source) if source != "-" else None
    if fp is not None and options.partition is not None:
        fp += ":{}/{}".format(*options.partition)
    run_id, start_line = await _begin(kind, source, fp, clock.now(), options.resume)
    report = Report(resumed_from_line=start_line)
    muted = outbox.MUTED.set(not options.notify)
    try:
        for chunk, last_line, bytes_read in _chunks(rows.read(stream), options.chunk_rows):
            todo: list[Row] = []
            for raw in chunk:
                if raw.line <= start_line:
                    report.rows_skipped += 1
                    continue
                if not mine(raw, options.partition):
                    continue
                parsed = parse(kind, raw)
                if isinstance(parsed, str):
                    on_reject(raw.line, parsed)
                    report.rows_rejected += 1
                else:
                    todo.append(parsed)
            tally = await _apply_all(todo, options, clock, on_reject)
            report.rows_ok += tally.ok
            report.rows_changed += tally.changed
            report.rows_rejected += tally.rejected
            if last_line > start_line:
                await _checkpoint(run_id, last_line, report, clock.now())
            if on_progress is not None:
                on_progress(bytes_read, report.rows_ok, report.rows_rejected)
        await _finish(run_id, report, clock.now())
    finally:
        outbox.MUTED.reset(muted)
    return report


def _chunks(raws: Iterable[rows.Raw], size: int) -> Iterator[tuple[list[rows.Raw], int, int]]:
    chunk: list[rows.Raw] = []
    for raw in raws:
        chunk.append(raw)
        if len(chunk) >= size:
            yield chunk, raw.line, raw.bytes_read
            chunk = []
    if chunk:
        yield chunk, chunk[-1].line, chunk[-1].bytes_read


async def _apply_all(todo: list[Row], options: Options, clock: Any, reject: Reject) -> _Tally:
    """Split by customer over the workers (one customer's rows in order, in one task)."""
    groups: list[list[Row]] = [[] for _ in range(max(options.workers, 1))]
    for row in todo:
        groups[zlib.crc32(row.key.encode()) % len(groups)].append(row)  # low bits; _slot high
    tallies = await asyncio.gather(
        *(_apply_group(g, options.batch_rows, clock, reject) for g in groups if g)
    )
    total = _Tally()
    for t in tallies:
        total.ok, total.changed, total.rejected = (
            total.ok + t.ok,
            total.changed + t.changed,
            total.rejected + t.rejected,
        )
    return total


_ROW_ERRORS = (
    DomainError,
    *db.TRANSIENT_ERRORS,
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
)


async def _apply_group(group: list[Row], batch: int, clock: Any, reject: Reject) -> _Tally:
    """Each batch first in one plain transaction (the common case: every row lands); if any
    row fails, that batch is rolled back and done again with a savepoint per row."""
    tally = _Tally()
    for start in range(0, len(group), batch):
        rows = group[start : start + batch]
        now = clock.now()
        try:
            changed = 0
            async with db.transaction():
                for row in rows:
                    changed += await row.apply(now)
            tally.ok, tally.changed = tally.ok + len(rows), tally.changed + changed
            continue
        except _ROW_ERRORS:
            pass
        async with db.transaction() as tx:
            for row in rows:
                outcome = await _apply_row(tx, row, now)
                if isinstance(outcome, str):
                    reject(row.line, outcome)
                    tally.rejected += 1
                else:
                    tally.ok += 1
                    tally.changed += outcome
    return tally


async def _apply_row(tx: Any, row: Row, now: datetime) -> bool | str:
    """One row under a savepoint: its outcome, or why it was rolled back alone."""
    for attempt in range(3):
        savepoint = await tx.savepoint("import_row")
        try:
            changed = await row.apply(now)
        except DomainError as exc:
            await savepoint.rollback_to()
            return f"{exc.code}: {exc.message}"
        except db.TRANSIENT_ERRORS:
            await savepoint.rollback_to()
            await asyncio.sleep(0.01 * (attempt + 1))
            continue
        except (
            asyncpg.exceptions.DataError,
            asyncpg.exceptions.IntegrityConstraintViolationError,
        ) as exc:
            await savepoint.rollback_to()
            return f"database refused the row: {type(exc).__name__}: {exc}"
        await savepoint.release()
        return changed
    return "deadlock: retried 3 times, run the file again"


async def _begin(
    kind: Kind, source: str, fp: str | None, now: datetime, resume: bool
) -> tuple[int, int]:
    """The run to continue (same kind and file, unfinished) and its line, or a new run."""
    if fp is not None and resume:
        row = await db.fetchrow(
            """SELECT id, lines_done FROM import_run WHERE kind = $1 AND fingerprint = $2
               AND finished_at IS NULL ORDER BY id DESC LIMIT 1""",
            kind,
            fp,
        )
        if row is not None:
            return int(row["id"]), int(row["lines_done"])
    run_id = await db.fetchval(
        """INSERT INTO import_run (kind, source, fingerprint, lines_done, rows_ok,
               rows_rejected, started_at, updated_at) VALUES ($1, $2, $3, 0, 0, 0, $4, $4)
           RETURNING id""",
        kind,
        source[:1024],
        fp,
        now,
    )
    return int(run_id), 0


async def _checkpoint(run_id: int, line: int, report: Report, now: datetime) -> None:
    await db.execute(
        """UPDATE import_run SET lines_done = $2, rows_ok = $3, rows_rejected = $4,
               updated_at = $5 WHERE id = $1""",
        run_id,
        line,
        report.rows_ok,
        report.rows_rejected,
        now,
    )


async def _finish(run_id: int, report: Report, now: datetime) -> None:
    await db.execute(
        "UPDATE import_run SET finished_at = $2, updated_at = $2 WHERE id = $1", run_id, now
    )
