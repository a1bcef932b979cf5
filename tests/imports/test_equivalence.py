"""Imported history gives exactly what the same orders sent through the API give: balances,
lots, expiry dates, coupons, ledger entries; a rerun changes nothing; history notifies nobody."""

from __future__ import annotations

from pathlib import Path

import pytest

from loyalty import db, ledger, program
from loyalty.clock import FrozenClock
from schemas.program import CouponTerms, ProgramRules, Validity
from tests.helpers import Api, assert_ledger_consistent
from tests.imports.support import (
    diff,
    history,
    run_file,
    snapshot,
    through_api,
    wipe,
    write_csv,
    write_ndjson,
)


def rules(policy: str) -> ProgramRules:
    return ProgramRules(
        threshold_points=5_000,
        coupon=CouponTerms(kind="percent_off", value=10, min_order_minor=10_000, valid_days=30),
        validity=Validity(policy=policy, days=365, reminder_days=[30]),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("policy", ["rolling", "per_lot"])
async def test_import_equals_the_api_on_a_mixed_history(
    api: Api, clock: FrozenClock, tmp_path: Path, _tables: list[str], policy: str
) -> None:
    await program.save_rules(rules(policy), actor=None, now=clock.now())
    people, orders = history()
    await through_api(api, people, orders)
    by_api = await snapshot()
    assert await db.fetchval("SELECT count(*) FROM notification") > 0
    assert any(c["coupons"] for c in by_api.values()), "the history should cross the threshold"

    await wipe(_tables)
    members_file = write_csv(tmp_path / "members.csv", people)
    orders_file = write_ndjson(tmp_path / "orders.ndjson", orders)
    report, rejects = await run_file("members", members_file, clock)
    assert rejects == [] and report.rows_ok == len(people)
    report, rejects = await run_file("orders", orders_file, clock, chunk_rows=25, batch_rows=7)
    assert rejects == [] and report.rows_ok == len(orders)
    assert diff(await snapshot(), by_api) == []
    assert await db.fetchval("SELECT count(*) FROM notification") == 0
    await assert_ledger_consistent()
    assert await ledger.lot_drift() == []

    entries = await db.fetchval("SELECT count(*) FROM ledger_entry")
    again, _ = await run_file("orders", orders_file, clock, resume=False)
    assert again.rows_ok == len(orders)
    assert await db.fetchval("SELECT count(*) FROM ledger_entry") == entries
    assert diff(await snapshot(), by_api) == []


async def test_csv_orders_with_items_equal_ndjson(
    clock: FrozenClock, tmp_path: Path, _tables: list[str]
) -> None:
    await program.save_rules(rules("rolling"), actor=None, now=clock.now())
    _, orders = history(seed=3, customers=5, orders=30)
    await run_file("orders", write_ndjson(tmp_path / "o.ndjson", orders), clock)
    by_ndjson = await snapshot()
    await wipe(_tables)
    _, rejects = await run_file("orders", write_csv(tmp_path / "o.csv", orders), clock)
    assert rejects == [], rejects
    assert await snapshot() == by_ndjson
