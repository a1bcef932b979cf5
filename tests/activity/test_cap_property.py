"""Property: no sequence of events, retries and concurrent batches lets a member exceed a cap."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty import db, outbox
from schemas.program import ActivityReward, ActivityRules, CappedActivity, ProductViews
from tests.activity.support import activity_points, post_event, set_activity
from tests.helpers import Api, assert_ledger_consistent

SKUS = ["A", "B", "C", "Z"]  # Z is not a chosen SKU
START = datetime(2026, 3, 30, 20, 0, tzinfo=UTC)  # near a month's end and a DST change

caps = st.tuples(st.sampled_from(["day", "month", "ever"]), st.integers(1, 3))
event = st.one_of(
    st.just({"type": "visit"}),
    st.just({"type": "newsletter_signup"}),
    st.builds(lambda sku: {"type": "product_view", "sku": sku}, st.sampled_from(SKUS)),
    st.builds(lambda n: {"type": "notification_open", "n": n}, st.integers(0, 3)),
)
# Each step: a batch of events sent concurrently (a client id from a small pool, so retries
# happen), then the clock moves on by some hours.
step = st.tuples(
    st.lists(st.tuples(event, st.integers(0, 7)), min_size=1, max_size=3), st.integers(0, 30)
)


_members = itertools.count()


def fresh_member(api: Api) -> str:
    """State is reset per example by a new member (truncating every table is slow)."""
    api.clock.set(START)
    return f"prop-{next(_members)}"


def rules_of(
    visit: tuple[str, int], views: tuple[str, int], opens: tuple[str, int]
) -> ActivityRules:
    return ActivityRules(
        visit=CappedActivity(enabled=True, points=1, cap=visit[0], cap_count=visit[1]),  # type: ignore[arg-type]
        product_view=ProductViews(
            enabled=True,
            points=10,
            cap=views[0],
            cap_count=views[1],
            skus=SKUS[:3],  # type: ignore[arg-type]
        ),
        notification_open=CappedActivity(
            enabled=True,
            points=100,
            cap=opens[0],
            cap_count=opens[1],  # type: ignore[arg-type]
        ),
        newsletter_signup=ActivityReward(enabled=True, points=1000),
    )


async def notifications(api: Api, customer_id: str) -> list[int]:
    """Four notifications of the member, made through the outbox the way features do."""
    await api.shop_put(f"/v1/shop/customers/{customer_id}", {"name": "Prop"})
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id)
    async with db.transaction():
        for n in range(4):
            key = f"prop:{member_id}:{n}"
            await outbox.enqueue("points_added", member_id=member_id, dedupe_key=key, now=START)
    rows = await db.fetch("SELECT id FROM notification WHERE member = $1 ORDER BY id", member_id)
    return [r["id"] for r in rows][-4:]


def body(spec: dict[str, Any], client: int, ids: list[int]) -> dict[str, Any]:
    payload = {k: v for k, v in spec.items() if k != "n"}
    if "n" in spec:
        payload["notification_id"] = ids[spec["n"]]
    # One pool of client ids per event type, so a reused id is a true retry.
    payload["id"] = f"{spec['type']}-{client}"
    return payload


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(visit=caps, views=caps, opens=caps, steps=st.lists(step, min_size=1, max_size=8))
async def test_no_sequence_of_events_exceeds_a_cap(
    api: Api,
    visit: tuple[str, int],
    views: tuple[str, int],
    opens: tuple[str, int],
    steps: list[tuple[list[tuple[dict[str, Any], int]], int]],
) -> None:
    customer_id = fresh_member(api)
    rules = rules_of(visit, views, opens)
    await set_activity(api, rules)
    ids = await notifications(api, customer_id)
    for batch, hours in steps:
        answers = await asyncio.gather(
            *(post_event(api, customer_id, **body(spec, client, ids)) for spec, client in batch)
        )
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        api.clock.advance(hours=hours)
    member_id = await db.fetchval("SELECT id FROM member WHERE customer_id = $1", customer_id)
    await check_caps(rules, member_id, customer_id)


async def check_caps(rules: ActivityRules, member_id: int, customer_id: str) -> None:
    per_window = await db.fetch(
        """SELECT type, period, count(*) AS n, count(DISTINCT subject) AS subjects
           FROM activity_event WHERE member = $1 AND points > 0 GROUP BY type, period""",
        member_id,
    )
    limit = {
        "visit": rules.visit.cap_count,
        "product_view": rules.product_view.cap_count,
        "notification_open": rules.notification_open.cap_count,
        "newsletter_signup": 1,
    }
    for row in per_window:
        assert row["n"] <= limit[row["type"]], dict(row)
        if row["type"] == "product_view":
            assert row["subjects"] == row["n"], "a SKU earned twice in one window"
    opened = await db.fetchval(
        """SELECT count(*) - count(DISTINCT subject) FROM activity_event
           WHERE member = $1 AND type = 'notification_open' AND points > 0""",
        member_id,
    )
    assert opened == 0, "a notification earned twice"
    unpicked = await db.fetchval(
        "SELECT count(*) FROM activity_event WHERE member = $1 AND points > 0 AND subject = 'Z'",
        member_id,
    )
    assert unpicked == 0, "a SKU marketing did not pick earned"
    earned = await db.fetchval(
        "SELECT coalesce(sum(points), 0) FROM activity_event WHERE member = $1", member_id
    )
    assert await activity_points(customer_id) == earned
    await assert_exact_visits(rules, member_id)
    await assert_ledger_consistent()


async def assert_exact_visits(rules: ActivityRules, member_id: int) -> None:
    """Caps do not over-refuse either: every window earned min(cap, distinct visits)."""
    rows = await db.fetch(
        """SELECT period, count(*) AS events, count(*) FILTER (WHERE points > 0) AS earned
           FROM activity_event WHERE member = $1 AND type = 'visit' GROUP BY period""",
        member_id,
    )
    for row in rows:
        assert row["earned"] == min(rules.visit.cap_count, row["events"]), dict(row)
