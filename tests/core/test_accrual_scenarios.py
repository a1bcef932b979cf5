"""Rules 1 and 2 through the HTTP API, asserting ledger rows (ERPNext-style scenarios)."""

from __future__ import annotations

from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows


async def test_order_pending_then_confirmed(api: Api) -> None:
    placed = await api.order("o-1", customer_id="c-1", total_minor=12_345, status="placed")
    assert placed["points"] == 1234 and placed["points_state"] == "pending"
    assert await balances("c-1") == {
        "available": 0,
        "pending": 1234,
        "lifetime": 0,
        "spent": 0,
        "expired": 0,
    }
    paid = await api.order("o-1", customer_id="c-1", total_minor=12_345, status="paid")
    assert paid["points_state"] == "pending"
    done = await api.order("o-1", customer_id="c-1", total_minor=12_345, status="completed")
    assert done["points_state"] == "confirmed"
    assert await balances("c-1") == {
        "available": 1234,
        "pending": 0,
        "lifetime": 1234,
        "spent": 0,
        "expired": 0,
    }
    kinds = [(r["kind"], r["available"], r["pending"]) for r in await ledger_rows("c-1")]
    assert kinds == [("earn_pending", 0, 1234), ("earn_confirm", 1234, -1234)]
    await assert_ledger_consistent()


async def test_me_shows_balance_and_missing_points(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=20_000, status="completed")
    me = await api.me("c-1")
    assert me["balance"]["available"] == 2_000
    assert me["balance"]["points_to_next_reward"] == 3_000
