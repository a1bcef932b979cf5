"""The reactions hook: order, same transaction (a failing reaction leaves nothing), re-entrancy
that stops, deferral, and that only entries actually written are announced."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from loyalty import db, ledger, members, orders, program, reactions
from loyalty.clock import FrozenClock
from loyalty.demo import demo_rules
from schemas.program import PointsAsMoney
from schemas.shop import OrderIn
from tests.helpers import Api
from tests.validity.support import customer, expire_entries, job, local, set_validity

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
Probe = Callable[[Any], Awaitable[None]]


@pytest.fixture
def probes() -> Iterator[list[Probe]]:
    """Reactions a test registers; removed afterwards so no other test sees them."""
    added: list[Probe] = []
    yield added
    for fn in added:
        reactions.remove(fn)


def probe(probes: list[Probe], register: Callable[[Probe], Probe], fn: Probe) -> Probe:
    probes.append(register(fn))
    return fn


async def grant(customer_id: str, points: int, *, key: str = "k") -> ledger.Balances | None:
    return await members.adjust(customer_id, points, reason="goodwill", actor="t", key=key, now=NOW)


async def count(table: str) -> int:
    return int(await db.fetchval(f"SELECT count(*) FROM {table}"))


@pytest.mark.pure
def test_the_table_registers_every_reaction_in_priority_order() -> None:
    expected = {
        reactions.PointsMoved: [
            (5, "loyalty.validity.stamps.date_new_lot"),
            (10, "loyalty.rewards.coupons.threshold_reached"),
        ],
        reactions.OrderAdvanced: [
            (10, "loyalty.rewards.coupons.threshold_freed"),
            (20, "loyalty.validity.stamps.stamp_last_order"),
            (30, "loyalty.activity.referrals.from_order"),
        ],
        reactions.ProfileSaved: [(30, "loyalty.activity.referrals.from_profile")],
    }
    for kind, ours in expected.items():
        table = reactions.registered(kind)
        assert table == sorted(table)
        assert [r for r in table if r in ours] == ours  # other areas' reactions may sit between


async def test_reactions_run_lowest_priority_first_and_see_events_in_order(
    probes: list[Probe],
) -> None:
    await program.save_rules(demo_rules(), actor=None, now=NOW)
    await members.ensure("c-1", now=NOW)
    seen: list[tuple[int, str, int]] = []

    async def early(event: reactions.PointsMoved) -> None:
        seen.append((7, event.kind, await count("coupon")))

    async def late(event: reactions.PointsMoved) -> None:
        seen.append((99, event.kind, await count("coupon")))

    probe(probes, reactions.on_points_moved(99), late)
    probe(probes, reactions.on_points_moved(7), early)
    await grant("c-1", 5_200)
    # 7 runs before the threshold coupon (10), 99 after it; the burn it caused comes next,
    # after every reaction to the grant (breadth first), with its balances after the burn.
    assert seen == [
        (7, "adjustment", 0),
        (99, "adjustment", 1),
        (7, "coupon_burn", 1),
        (99, "coupon_burn", 1),
    ]


async def test_points_moved_carries_the_entry_and_balances_after_it(probes: list[Probe]) -> None:
    events: list[reactions.PointsMoved] = []

    async def record(event: reactions.PointsMoved) -> None:
        events.append(event)

    probe(probes, reactions.on_points_moved(50), record)
    member_id = await members.ensure("c-1", now=NOW)
    await grant("c-1", 300, key="same")
    assert await grant("c-1", 300, key="same") is None  # repeated key: nothing announced
    [event] = events
    entry = await db.fetchrow("SELECT id, idempotency_key FROM ledger_entry")
    assert entry is not None
    assert (event.member_id, event.entry_id, event.kind, event.key, event.order_id) == (
        member_id,
        entry["id"],
        "adjustment",
        entry["idempotency_key"],
        None,
    )
    assert event.delta == ledger.Delta(available=300, lifetime=300)
    assert event.balances == ledger.Balances(300, 0, 300, 0, 0)
    assert event.now == NOW


async def test_a_failing_reaction_rolls_back_the_whole_grant(probes: list[Probe]) -> None:
    await program.save_rules(demo_rules(), actor=None, now=NOW)
    await members.ensure("c-1", now=NOW)
    before = {t: await count(t) for t in ("ledger_entry", "coupon", "notification", "audit_log")}

    async def boom(event: reactions.PointsMoved) -> None:
        if event.kind == "coupon_burn":  # after the grant and its coupon were written
            raise RuntimeError("webhook table full")

    probe(probes, reactions.on_points_moved(90), boom)
    with pytest.raises(RuntimeError, match="webhook table full"):
        await grant("c-1", 6_000)
    assert {t: await count(t) for t in before} == before
    assert await db.fetchval("SELECT available FROM member WHERE customer_id = 'c-1'") == 0


async def test_a_failing_order_reaction_leaves_no_order_and_no_entries(
    probes: list[Probe],
) -> None:
    async def boom(event: reactions.OrderAdvanced) -> None:
        raise RuntimeError("tier table broken")

    probe(probes, reactions.on_order_advanced(40), boom)
    state = OrderIn(
        customer_id="c-1",
        currency="EUR",
        total_minor=10_000,
        status="completed",
        placed_at=NOW,
    )
    with pytest.raises(RuntimeError, match="tier table broken"):
        await orders.report("o-1", state, now=NOW)
    assert await count("shop_order") == 0
    assert await count("ledger_entry") == 0
    assert await db.fetchval("SELECT last_order_at FROM member WHERE customer_id = 'c-1'") is None


async def test_order_advanced_after_the_order_settled(probes: list[Probe]) -> None:
    seen: list[tuple[str | None, str, bool, int, int]] = []

    async def record(event: reactions.OrderAdvanced) -> None:
        entries = await count("ledger_entry")
        seen.append((event.previous_status, event.status, event.confirmed, event.points, entries))
        if "probed" not in event.flags:
            event.flags.append("probed")

    probe(probes, reactions.on_order_advanced(40), record)

    def state(status: str, refunded: int = 0) -> OrderIn:
        return OrderIn(
            customer_id="c-1",
            currency="EUR",
            total_minor=10_000,
            status=status,
            refunded_minor=refunded,
            placed_at=NOW,
        )

    first = await orders.report("o-1", state("placed"), now=NOW)
    await orders.report("o-1", state("placed", 0), now=NOW)  # same state: nothing
    await orders.report("o-1", state("completed"), now=NOW)
    await orders.report("o-1", state("refunded", 5_000), now=NOW)
    assert seen == [
        (None, "placed", False, 1_000, 1),
        ("placed", "completed", True, 1_000, 2),
        ("completed", "refunded", True, 1_000, 3),
    ]
    assert "probed" in first.order.flags
    flags = await db.fetchval("SELECT flags::text FROM shop_order WHERE order_id = 'o-1'")
    assert db.loads(flags) == ["probed"]


async def test_a_reaction_that_keeps_posting_is_stopped_and_rolled_back(
    probes: list[Probe],
) -> None:
    member_id = await members.ensure("c-1", now=NOW)
    depth = 0

    async def echo(event: reactions.PointsMoved) -> None:
        nonlocal depth
        depth += 1
        await ledger.post(
            member_id,
            "adjustment",
            ledger.Delta(available=1, lifetime=1),
            key=f"echo:{event.entry_id}",
            now=NOW,
        )

    probe(probes, reactions.on_points_moved(50), echo)
    with pytest.raises(RuntimeError, match="re-entered"):
        await grant("c-1", 10)
    assert depth == reactions.MAX_GENERATIONS + 1
    assert await count("ledger_entry") == 0


async def test_deferred_events_wait_for_the_block_and_drop_on_error(
    probes: list[Probe],
) -> None:
    member_id = await members.ensure("c-1", now=NOW)
    seen: list[str] = []

    async def record(event: reactions.PointsMoved) -> None:
        seen.append(event.key)

    probe(probes, reactions.on_points_moved(50), record)

    async def post(key: str) -> None:
        await ledger.post(member_id, "adjustment", ledger.Delta(available=1), key=key, now=NOW)

    async with db.transaction():
        async with reactions.deferred():
            await post("a")
            await post("b")
            assert seen == []
        assert seen == ["a", "b"]
    with pytest.raises(ValueError):
        async with db.transaction(), reactions.deferred():
            await post("c")
            raise ValueError("abandon")
    assert seen == ["a", "b"]
    assert await count("ledger_entry") == 2


async def test_expiry_announces_each_expire_entry(
    api: Api, clock: FrozenClock, probes: list[Probe]
) -> None:
    events: list[reactions.PointsMoved] = []

    async def record(event: reactions.PointsMoved) -> None:
        if event.kind == "expire":
            events.append(event)

    probe(probes, reactions.on_points_moved(50), record)
    await set_validity(api, policy="per_lot", days=30)
    clock.set(local(0, "UTC"))
    await customer(api, "c-1", "UTC")
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    await job("expire", local(40, "UTC"))
    [entry] = await expire_entries("c-1")
    [event] = events
    assert event.delta == ledger.Delta(available=-1_000, expired=1_000)
    assert event.balances == ledger.Balances(0, 0, 1_000, 0, 1_000)
    assert event.key == entry["idempotency_key"]


async def test_a_cancelled_order_releasing_a_hold_issues_the_due_coupon(api: Api) -> None:
    from tests.rewards.support import cart, coupon_rows, reserve, rules_004, set_program
    from tests.rewards.support import grant as staff_grant

    limits = {"enabled": True, "points_per_unit": 100, "unit_minor": 100, "min_balance": 0}
    await set_program(api, rules_004(points_as_money=PointsAsMoney(**limits)))
    await staff_grant(api, "kari", 4_000)
    held = await reserve(api, cart("kari", 50_000, points=2_000, order_id="o-1", currency="EUR"))
    assert held.status_code == 200, held.text
    await staff_grant(api, "kari", 2_000)  # 6000 available, 2000 held: 4000 free
    assert await coupon_rows("kari") == []
    await api.order("o-1", customer_id="kari", total_minor=50_000, status="cancelled")
    assert [c["source"] for c in await coupon_rows("kari")] == ["threshold"]


async def test_a_grant_is_told_before_the_coupon_it_unlocks() -> None:
    await program.save_rules(demo_rules(), actor=None, now=NOW)
    await members.ensure("c-1", now=NOW)
    await grant("c-1", 5_000)
    told = await db.fetch("SELECT event FROM notification WHERE event <> 'welcome' ORDER BY id")
    assert [r["event"] for r in told] == ["points_added", "coupon_issued"]
