"""Rule 2 edge cases: replays, out-of-order states, cancellations, refunds, limits of rule 1."""

from __future__ import annotations

import pytest

from loyalty import db, program
from schemas.program import ProgramRules
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows


async def kinds(customer_id: str) -> list[tuple[str, int, int]]:
    return [(r["kind"], r["available"], r["pending"]) for r in await ledger_rows(customer_id)]


async def test_same_state_twice_changes_nothing(api: Api) -> None:
    first = await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    again = await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    assert first["changed"] is True and again["changed"] is False
    assert len(await ledger_rows("c-1")) == 2
    assert (await balances("c-1"))["available"] == 1_000


async def test_completed_before_paid_ends_right(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="completed")
    late = await api.order("o-1", customer_id="c-1", total_minor=5_000, status="paid")
    assert late["status"] == "completed"
    assert await kinds("c-1") == [("earn_pending", 0, 500), ("earn_confirm", 500, -500)]


async def test_cancel_before_confirmation_drops_pending(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="paid")
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="cancelled")
    assert await balances("c-1") == dict(available=0, pending=0, lifetime=0, spent=0, expired=0)
    assert await kinds("c-1") == [("earn_pending", 0, 500), ("earn_cancel", 0, -500)]


async def test_cancelled_is_terminal(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="cancelled")
    late = await api.order("o-1", customer_id="c-1", total_minor=5_000, status="completed")
    assert late["status"] == "cancelled" and late["points_state"] == "none"
    assert await ledger_rows("c-1") == []


async def test_refund_claws_back_in_proportion(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    partial = await api.order(
        "o-1", customer_id="c-1", total_minor=10_000, status="refunded", refunded_minor=2_550
    )
    assert partial["clawed_back"] == 255
    # A late "completed" neither undoes the refund nor shrinks the refunded amount.
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    full = await api.order(
        "o-1", customer_id="c-1", total_minor=10_000, status="refunded", refunded_minor=10_000
    )
    assert full["clawed_back"] == 1_000
    assert await balances("c-1") == dict(available=0, pending=0, lifetime=0, spent=0, expired=0)
    assert [k for k, *_ in await kinds("c-1")] == [
        "earn_pending",
        "earn_confirm",
        "clawback",
        "clawback",
    ]
    await assert_ledger_consistent()


async def test_refunded_without_completed_confirms_then_claws_back(api: Api) -> None:
    out = await api.order(
        "o-1", customer_id="c-1", total_minor=10_000, status="refunded", refunded_minor=5_000
    )
    assert out["points_state"] == "confirmed" and out["clawed_back"] == 500
    assert (await balances("c-1"))["available"] == 500


async def test_cancel_after_completion_claws_back_everything(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=7_000, status="completed")
    await api.order("o-1", customer_id="c-1", total_minor=7_000, status="cancelled")
    assert (await balances("c-1"))["available"] == 0
    assert (await balances("c-1"))["lifetime"] == 0


async def test_total_change_before_confirmation_repends(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000, status="placed")
    await api.order("o-1", customer_id="c-1", total_minor=8_000, status="paid")
    assert (await balances("c-1"))["pending"] == 800
    await api.order("o-1", customer_id="c-1", total_minor=8_000, status="completed")
    assert await balances("c-1") == dict(available=800, pending=0, lifetime=800, spent=0, expired=0)


async def test_order_of_another_customer_is_refused(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=5_000)
    body = await api.order("o-1", customer_id="c-2", total_minor=5_000, expect=409)
    assert body["error"]["code"] == "order_customer_mismatch"


async def save(rules: ProgramRules, api: Api) -> None:
    await program.save_rules(rules, actor=None, now=api.clock.now())


async def test_sku_and_category_overrides(api: Api) -> None:
    await save(ProgramRules(sku_rates={"GIFT": 0}, category_rates={"shoes": 20}), api)
    items = [
        {"sku": "GIFT", "quantity": 1, "unit_price_minor": 5_000},
        {"sku": "RUN-1", "category": "shoes", "quantity": 1, "unit_price_minor": 5_000},
        {"sku": "SOCK", "category": "misc", "quantity": 2, "unit_price_minor": 2_500},
    ]
    # 150 EUR paid: 50 EUR gift earns 0, 50 EUR shoes earn 20/EUR, 50 EUR socks earn 10/EUR.
    out = await api.order("o-1", customer_id="c-1", total_minor=15_000, items=items)
    assert out["points"] == 1_000 + 500


async def test_discounted_total_scales_every_line(api: Api) -> None:
    await save(ProgramRules(category_rates={"shoes": 20}), api)
    items = [{"sku": "RUN-1", "category": "shoes", "quantity": 1, "unit_price_minor": 10_000}]
    out = await api.order("o-1", customer_id="c-1", total_minor=9_000, items=items)
    assert out["points"] == 1_800


@pytest.mark.parametrize(
    ("channel", "store", "earns"),
    [("app", "oslo", True), ("pos", "oslo", False), ("app", "bergen", False)],
)
async def test_channel_and_store_limits(api: Api, channel: str, store: str, earns: bool) -> None:
    await save(ProgramRules(channels=["app", "web"], stores=["oslo"]), api)
    out = await api.order(
        "o-1", customer_id="c-1", total_minor=1_000, channel=channel, store_id=store
    )
    assert (out["points"] > 0) is earns
    assert ("not_eligible" in out["flags"]) is not earns


async def test_confirm_on_paid_when_configured(api: Api) -> None:
    await save(ProgramRules(confirm_status="paid"), api)
    out = await api.order("o-1", customer_id="c-1", total_minor=1_000, status="paid")
    assert out["points_state"] == "confirmed"


async def test_blocked_member_earns_nothing(api: Api) -> None:
    admin = await api.staff_headers("admin")
    await api.order("o-0", customer_id="c-1", total_minor=100)
    r = await api.client.post(
        "/v1/admin/members/c-1/block", json={"reason": "fraud check"}, headers=admin
    )
    assert r.status_code == 200, r.text
    out = await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    assert out["points"] == 0 and "member_blocked" in out["flags"]


async def test_placed_at_sets_last_order_date(api: Api) -> None:
    from datetime import UTC, datetime

    old = datetime(2025, 6, 1, tzinfo=UTC)
    await api.order("o-1", customer_id="c-1", total_minor=1_000, placed_at=old)
    await api.order(
        "o-0", customer_id="c-1", total_minor=1_000, placed_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    last = await db.fetchval("SELECT last_order_at FROM member WHERE customer_id = 'c-1'")
    assert last == old
