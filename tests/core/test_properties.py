"""Property: whatever the shop sends and staff do, the cache equals the ledger, lots match the
balance, and available never moves except through a ledger entry."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import db, ledger
from tests.helpers import Api

STATUSES = ["placed", "paid", "completed", "cancelled", "refunded"]

order_step = st.tuples(
    st.just("order"),
    st.integers(0, 3),  # which order
    st.sampled_from(STATUSES),
    st.integers(0, 50_000),  # total
    st.integers(0, 60_000),  # refunded
)
adjust_step = st.tuples(st.just("adjust"), st.integers(-3_000, 3_000).filter(bool))


async def reset() -> None:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'migration'"
    )
    await db.execute(
        f"TRUNCATE {', '.join(t['tablename'] for t in tables)} RESTART IDENTITY CASCADE"
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.one_of(order_step, adjust_step), min_size=1, max_size=12))
async def test_cache_equals_ledger_for_any_sequence(api: Api, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    await reset()
    api._staff_tokens.clear()
    staff = await api.staff_headers("staff")
    await api.order("seed", customer_id="c-1", total_minor=1)
    for step in steps:
        before = await db.fetchval("SELECT available FROM member WHERE customer_id = 'c-1'")
        entries_before = await db.fetchval("SELECT count(*) FROM ledger_entry")
        if step[0] == "order":
            _, n, status, total, refunded = step
            await api.order(
                f"o-{n}",
                customer_id="c-1",
                total_minor=total,
                status=status,
                refunded_minor=min(refunded, total),
                expect=200,
            )
        else:
            r = await api.client.post(
                "/v1/admin/members/c-1/adjustments",
                json={"points": step[1], "reason": "property test"},
                headers=staff,
            )
            assert r.status_code in (201, 409), r.text
        after = await db.fetchval("SELECT available FROM member WHERE customer_id = 'c-1'")
        entries_after = await db.fetchval("SELECT count(*) FROM ledger_entry")
        if after != before:
            assert entries_after > entries_before
        assert await ledger.drift() == []
        assert await ledger.lot_drift() == []
        pending = await db.fetchval("SELECT pending FROM member WHERE customer_id = 'c-1'")
        assert pending >= 0
