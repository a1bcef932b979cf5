"""The import as an operator meets it: rejects with line and reason, opening balances once,
resuming a stopped run, ``--notify``, and the command reading stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec
import pytest

from loyalty import db
from loyalty.clock import FrozenClock
from loyalty.imports import runner
from loyalty.settings import Settings
from tests.helpers import Api, assert_ledger_consistent, balances
from tests.imports.support import history, run_file, snapshot, write_ndjson


async def test_bad_rows_are_rejected_with_line_and_reason(
    api: Api, clock: FrozenClock, tmp_path: Path
) -> None:
    await api.order("o-live", customer_id="c-live", total_minor=10_000, status="completed")
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_id,customer_id,status,currency,total_minor,placed_at\n"
        "o-1,c-1,completed,EUR,10000,2026-01-05T10:00:00Z\n"
        "o-2,c-1,shipped,EUR,10000,2026-01-06T10:00:00Z\n"
        "o-3,c-1,completed,EUR,-5,2026-01-06T10:00:00Z\n"
        "o-live,c-other,completed,EUR,10000,2026-01-06T10:00:00Z\n"
        "o-4,c-2,completed,EUR\n"
        'o-5,c-2,completed,EUR,20000,"2026-01-07T10:00:00Z"\n'
    )
    report, rejects = await run_file("orders", path, clock)
    assert report.rows_ok == 2 and report.rows_rejected == 4
    assert sorted(line for line, _ in rejects) == [3, 4, 5, 6]
    reasons = dict(rejects)
    assert "status" in reasons[3] and "total_minor" in reasons[4]
    assert reasons[5].startswith("order_customer_mismatch")
    assert "fewer cells" in reasons[6]
    assert (await balances("c-1"))["available"] == 1_000
    assert (await balances("c-2"))["available"] == 2_000
    assert (await balances("c-live"))["available"] == 1_000  # live traffic left as it was


async def test_opening_balance_is_posted_once(clock: FrozenClock, tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(
        "customer_id,email,name,newsletter,opening_balance,opening_balance_at\n"
        "c-1,kari@example.no,Kari,true,7000,2025-12-01T00:00:00Z\n"
        "c-2,not-an-email,Ola,false,10,\n"
    )
    report, rejects = await run_file("members", path, clock)
    assert report.rows_ok == 1 and [line for line, _ in rejects] == [3]
    assert await balances("c-1") == {
        "available": 2_000,
        "pending": 0,
        "lifetime": 7_000,
        "spent": 5_000,
        "expired": 0,
    }  # 7,000 brought in crossed the 5,000 threshold: a coupon, as any credit would
    assert await db.fetchval("SELECT count(*) FROM coupon") == 1
    assert await db.fetchval("SELECT count(*) FROM notification") == 0
    path.write_text("customer_id,opening_balance\nc-1,9000\n")  # a corrected file
    await run_file("members", path, clock)
    assert (await balances("c-1"))["lifetime"] == 7_000
    m = await db.fetchrow("SELECT name, newsletter FROM member WHERE customer_id = 'c-1'")
    assert m["name"] == "Kari" and m["newsletter"] is True
    await assert_ledger_consistent()


class Stop(Exception):
    pass


async def test_a_stopped_run_resumes_after_its_last_chunk(
    clock: FrozenClock, tmp_path: Path
) -> None:
    _, orders = history(seed=11, customers=6, orders=60)
    path = write_ndjson(tmp_path / "orders.ndjson", orders)
    calls = 0

    def stop_after_two(*_: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Stop

    with path.open("rb") as f, pytest.raises(Stop):
        await runner.run(
            "orders",
            f,
            source=str(path),
            clock=clock,
            options=runner.Options(chunk_rows=20),
            on_reject=lambda *_: None,
            on_progress=stop_after_two,
        )
    report, rejects = await run_file("orders", path, clock, chunk_rows=20)
    assert report.resumed_from_line == 40 and report.rows_skipped == 40
    assert report.rows_ok == len(orders) - 40 and rejects == []
    resumed = await snapshot()
    done = await db.fetchval("SELECT finished_at IS NOT NULL FROM import_run ORDER BY id DESC")
    assert done
    await db.execute(
        "TRUNCATE member, shop_order, ledger_entry, point_lot, lot_use, coupon CASCADE"
    )
    await run_file("orders", path, clock, resume=False)
    assert await snapshot() == resumed


async def test_notify_opts_in_to_the_notifications_of_history(
    clock: FrozenClock, tmp_path: Path
) -> None:
    path = write_ndjson(
        tmp_path / "o.ndjson",
        [
            {
                "order_id": "o-1",
                "customer_id": "c-1",
                "status": "completed",
                "currency": "EUR",
                "total_minor": 60_000,
                "placed_at": "2026-02-01T10:00:00Z",
            },
        ],
    )
    await run_file("orders", path, clock, notify=True)
    events = {r["event"] for r in await db.fetch("SELECT event FROM notification")}
    assert {"welcome", "points_earned", "coupon_issued"} <= events


def test_the_command_reads_stdin(settings: Settings, tmp_path: Path) -> None:
    _, orders = history(seed=5, customers=3, orders=10)
    body = b"".join(msgspec.json.encode(r) + b"\n" for r in orders) + b"{not json\n"
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
    }
    rejects = tmp_path / "rejects.ndjson"
    out = subprocess.run(
        [sys.executable, "-m", "loyalty.cli", "import", "orders", "-", "--rejects", str(rejects)],
        input=body,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 1, out.stderr
    assert f"imported {len(orders)} orders rows".encode() in out.stdout
    lines = [msgspec.json.decode(line) for line in rejects.read_bytes().splitlines()]
    assert lines == [{"line": len(orders) + 1, "reason": lines[0]["reason"]}]
    assert "invalid JSON" in lines[0]["reason"]


async def test_processes_split_customers_and_give_the_same_result(
    settings: Settings, clock: FrozenClock, tmp_path: Path, _tables: list[str]
) -> None:
    from tests.imports.support import wipe

    _, orders = history(seed=9, customers=8, orders=50)
    orders.append({"order_id": "o-bad", "customer_id": "c-1", "status": "nope"})
    path = write_ndjson(tmp_path / "orders.ndjson", orders)
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
    }

    def cli(*extra: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "loyalty.cli", "import", "orders", str(path), *extra],
            env=env,
            capture_output=True,
            timeout=300,
        )

    one = cli()
    assert one.returncode == 1, one.stderr
    single = await snapshot()
    await wipe(_tables)
    many = cli("--processes", "3")
    assert many.returncode == 1, many.stderr
    assert b"with 3 processes" in many.stdout and b"1 rejected" in many.stdout

    def timeless(snap: dict[str, Any]) -> dict[str, Any]:  # the CLI runs on the real clock
        return {c: {k: v[k] for k in ("member", "lots", "orders")} for c, v in snap.items()}

    assert timeless(await snapshot()) == timeless(single)
    rejects = (tmp_path / "orders.ndjson.rejects.ndjson").read_bytes().splitlines()
    assert [msgspec.json.decode(r)["line"] for r in rejects] == [len(orders)]
