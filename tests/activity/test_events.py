"""``POST /v1/me/events``: each rule, its cap and its refusals, through the HTTP API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from loyalty import db
from schemas.program import ActivityReward, ActivityRules, CappedActivity, ProductViews
from tests.activity.support import activity_points, event, post_event, set_activity
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows

ON = ActivityRules(
    visit=CappedActivity(enabled=True, points=10),
    product_view=ProductViews(enabled=True, points=5, cap_count=3, skus=["A", "B", "C", "D"]),
    notification_open=CappedActivity(enabled=True, points=7, cap_count=2),
    newsletter_signup=ActivityReward(enabled=True, points=200),
)


async def test_visit_earns_once_a_day_in_the_members_day(api: Api) -> None:
    await set_activity(api, ON)
    first = await event(api, "c-1", type="visit", id="v-1")
    assert first["outcome"] == "earned" and first["points"] == 10
    assert first["window"] == "2026-03-02" and first["used"] == 1 and first["available"] == 10
    second = await event(api, "c-1", type="visit", id="v-2")
    assert second["outcome"] == "cap_reached" and second["points"] == 0
    api.clock.set(datetime(2026, 3, 2, 23, 30, tzinfo=UTC))  # 00:30 on 3 March in Oslo
    third = await event(api, "c-1", type="visit", id="v-3", channel="web")
    assert third["outcome"] == "earned" and third["window"] == "2026-03-03"
    assert await activity_points("c-1") == 20
    rows = await ledger_rows("c-1")
    assert [r["idempotency_key"] for r in rows] == [
        "activity:visit:1:2026-03-02:1",
        "activity:visit:1:2026-03-03:1",
    ]
    await assert_ledger_consistent()


async def test_retried_event_counts_once_and_gets_the_first_answer(api: Api) -> None:
    await set_activity(api, ON)
    first = await event(api, "c-1", type="product_view", id="pv-1", sku="A")
    again = await event(api, "c-1", type="product_view", id="pv-1", sku="A")
    assert first["outcome"] == again["outcome"] == "earned"
    assert first["replayed"] is False and again["replayed"] is True
    assert again["points"] == 5 and again["used"] == 1
    assert await activity_points("c-1") == 5
    await assert_ledger_consistent()


async def test_twenty_concurrent_visits_earn_once(api: Api) -> None:
    await set_activity(api, ON)
    await event(api, "c-1", type="newsletter_signup", id="warm-up")  # the member exists
    answers = await asyncio.gather(
        *(post_event(api, "c-1", type="visit", id=f"v-{i}") for i in range(20))
    )
    assert all(a.status_code == 200 for a in answers)
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["cap_reached"] * 19 + ["earned"]
    assert await activity_points("c-1") == 210
    await assert_ledger_consistent()


async def test_twenty_concurrent_retries_of_one_event_count_once(api: Api) -> None:
    await set_activity(api, ON)
    answers = await asyncio.gather(
        *(post_event(api, "new-member", type="visit", id="same") for _ in range(20))
    )
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    assert sum(not a.json()["replayed"] for a in answers) == 1
    assert {a.json()["outcome"] for a in answers} == {"earned"}
    assert await activity_points("new-member") == 10
    assert await db.fetchval("SELECT count(*) FROM activity_event") == 1
    await assert_ledger_consistent()


async def test_a_cap_of_three_product_views_a_day_earns_three(api: Api) -> None:
    await set_activity(api, ON)
    outcomes = [
        (await event(api, "c-1", type="product_view", id=f"pv-{i}", sku=sku))["outcome"]
        for i, sku in enumerate(["A", "A", "B", "X", "C", "D"])
    ]
    assert outcomes == [
        "earned",
        "already_earned",  # the same SKU earns once a window
        "earned",
        "not_eligible",  # not a SKU marketing picked
        "earned",
        "cap_reached",
    ]
    assert await activity_points("c-1") == 15
    api.clock.advance(days=1)
    nextday = await event(api, "c-1", type="product_view", id="pv-next", sku="A")
    assert nextday["outcome"] == "earned" and nextday["used"] == 1
    await assert_ledger_consistent()


async def test_concurrent_product_views_respect_the_cap(api: Api) -> None:
    await set_activity(api, ON)
    await event(api, "c-1", type="visit", id="warm-up")
    answers = await asyncio.gather(
        *(
            post_event(api, "c-1", type="product_view", id=f"pv-{i}", sku="ABCD"[i % 4])
            for i in range(20)
        )
    )
    earned = [a.json() for a in answers if a.json()["outcome"] == "earned"]
    assert len(earned) == 3 and len({e["id"] for e in earned}) == 3
    assert await activity_points("c-1") == 10 + 15
    await assert_ledger_consistent()


async def test_notification_open_earns_once_per_own_notification(api: Api) -> None:
    await set_activity(api, ON)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    await api.order("o-2", customer_id="c-1", total_minor=20_000, status="completed")
    await api.order("o-3", customer_id="c-2", total_minor=10_000, status="completed")
    mine = [
        r["id"]
        for r in await db.fetch(
            """SELECT n.id FROM notification n JOIN member m ON m.id = n.member
               WHERE m.customer_id = 'c-1' AND n.event = 'points_earned' ORDER BY n.id"""
        )
    ]
    theirs = await db.fetchval(
        """SELECT n.id FROM notification n JOIN member m ON m.id = n.member
           WHERE m.customer_id = 'c-2' AND n.event = 'points_earned'"""
    )
    assert len(mine) == 2
    open1 = await event(api, "c-1", type="notification_open", id="n-1", notification_id=mine[0])
    again = await event(api, "c-1", type="notification_open", id="n-2", notification_id=mine[0])
    other = await event(api, "c-1", type="notification_open", id="n-3", notification_id=theirs)
    gone = await event(api, "c-1", type="notification_open", id="n-4", notification_id=10**9)
    assert (open1["outcome"], again["outcome"]) == ("earned", "already_earned")
    assert other["outcome"] == gone["outcome"] == "not_eligible"
    open2 = await event(api, "c-1", type="notification_open", id="n-5", notification_id=mine[1])
    assert open2["outcome"] == "earned" and open2["used"] == 2
    assert await activity_points("c-1") == 14
    # Every open of one's own notification counts for insight, once; others' are not recorded.
    opened = await db.fetch("SELECT notification FROM notification_open ORDER BY notification")
    assert [r["notification"] for r in opened] == mine


async def test_newsletter_earns_once_ever_by_event_or_profile(api: Api) -> None:
    await set_activity(api, ON)
    first = await event(api, "c-1", type="newsletter_signup", id="nl-1")
    assert first["outcome"] == "earned" and first["points"] == 200 and first["cap"] == "ever"
    assert (await api.shop_put("/v1/shop/customers/c-1", {"newsletter": True})).status_code == 200
    again = await event(api, "c-1", type="newsletter_signup", id="nl-2")
    assert again["outcome"] == "cap_reached"
    assert (await balances("c-1"))["available"] == 200
    # The shop's profile opt-in earns the same once-ever points for another member.
    response = await api.shop_put("/v1/shop/customers/c-2", {"newsletter": True})
    assert response.status_code == 200 and response.json()["newsletter"] is True
    await api.shop_put("/v1/shop/customers/c-2", {"newsletter": True, "name": "Kari"})
    assert (await balances("c-2"))["available"] == 200
    later = await event(api, "c-2", type="newsletter_signup", id="nl-3")
    assert later["outcome"] == "cap_reached"
    await assert_ledger_consistent()


async def test_month_cap(api: Api) -> None:
    rules = ActivityRules(visit=CappedActivity(enabled=True, points=3, cap="month", cap_count=2))
    await set_activity(api, rules)
    outcomes = []
    for day in range(3):
        api.clock.set(datetime(2026, 3, 10 + day, 12, tzinfo=UTC))
        outcomes.append((await event(api, "c-1", type="visit", id=f"v-{day}"))["outcome"])
    api.clock.set(datetime(2026, 4, 1, 12, tzinfo=UTC))
    april = await event(api, "c-1", type="visit", id="v-april")
    assert outcomes == ["earned", "earned", "cap_reached"]
    assert april["outcome"] == "earned" and april["window"] == "2026-04"


async def test_member_time_zone_decides_the_day(api: Api) -> None:
    await set_activity(api, ON)
    await api.shop_put("/v1/shop/customers/c-ny", {"timezone": "America/New_York"})
    api.clock.set(datetime(2026, 3, 3, 3, 0, tzinfo=UTC))  # 22:00 on 2 March in New York
    assert (await event(api, "c-ny", type="visit", id="v-1"))["window"] == "2026-03-02"
    api.clock.set(datetime(2026, 3, 3, 5, 30, tzinfo=UTC))  # 00:30 on 3 March there
    late = await event(api, "c-ny", type="visit", id="v-2")
    assert late["outcome"] == "earned" and late["window"] == "2026-03-03"


async def test_disabled_rules_and_blocked_members_earn_nothing(api: Api) -> None:
    disabled = await event(api, "c-1", type="visit", id="v-0")  # default program: all off
    assert disabled["outcome"] == "disabled"
    await set_activity(api, ON)
    staff = await api.staff_headers("staff")
    response = await api.client.post(
        "/v1/admin/members/c-1/block", json={"reason": "fraud check"}, headers=staff
    )
    assert response.status_code in (200, 201), response.text
    blocked = await event(api, "c-1", type="visit", id="v-1")
    assert blocked["outcome"] == "blocked"
    assert await activity_points("c-1") == 0


async def test_account_created_points_come_with_the_welcome(api: Api) -> None:
    await set_activity(api, ActivityRules(account_created=ActivityReward(enabled=True, points=50)))
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="placed")
    await api.shop_put("/v1/shop/customers/c-1", {"name": "Ola"})
    assert (await balances("c-1"))["available"] == 50
    welcome = await db.fetchval("SELECT data::text FROM notification WHERE event = 'welcome'")
    assert db.loads(welcome)["points"] == 50
    keys = [r["idempotency_key"] for r in await ledger_rows("c-1")]
    assert keys == ["activity:account_created:1", "order:o-1:pending"]
    await assert_ledger_consistent()


async def test_bad_events_get_a_4xx_with_an_error_body(api: Api) -> None:
    await set_activity(api, ON)
    cases = [
        {"type": "dance", "id": "x-1"},
        {"type": "product_view", "id": "x-2"},
        {"type": "visit", "id": "x-3", "channel": "pos"},
        {"type": "visit", "id": ""},
        {"type": "visit", "id": "bad id with spaces"},
        {"type": "visit", "id": "x-4", "extra": 1},
        {"type": "notification_open", "id": "x-5", "notification_id": -1},
        {"type": "visit"},
    ]
    for body in cases:
        response = await post_event(api, "c-1", **body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["error"]["code"] == "validation_error"
    no_token = await api.client.post("/v1/me/events", json={"type": "visit", "id": "x"})
    assert no_token.status_code == 401
    await event(api, "c-1", type="visit", id="same-id")
    reused = await post_event(api, "c-1", type="newsletter_signup", id="same-id")
    assert reused.status_code == 409 and reused.json()["error"]["code"] == "event_id_reused"


async def test_a_token_subject_that_is_no_customer_id_is_refused(api: Api) -> None:
    for sub in ("x" * 129, "has space"):
        response = await post_event(api, sub, type="visit", id="v-1")
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "invalid_subject"
    assert await db.fetchval("SELECT count(*) FROM member") == 0
