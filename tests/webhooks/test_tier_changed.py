"""``tier.changed``: the tiers area emits it in the transaction of every move (up by an order,
down by the daily job, by hand), once per move, to a subscribed loopback receiver."""

from __future__ import annotations

import httpx

from jobs import table as jobs_table
from loyalty.clock import FrozenClock
from loyalty.fakes.webhooks import Receiver
from tests.helpers import Api
from tests.rules.test_tiers import spend_tiers, use
from tests.webhooks.conftest import deliver, subscribe


async def test_an_order_lifting_a_member_to_silver_is_told_once(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await use(api, spend_tiers())
    await subscribe(api, receiver.url("/crm"), ["tier.changed"])
    await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")
    await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")  # replay
    await api.order("o-2", customer_id="c-1", total_minor=100, status="completed")  # still Silver
    await deliver(clock, client)
    got = [r.json for r in receiver.to("/crm")]
    assert [g["type"] for g in got] == ["tier.changed"]
    assert got[0]["data"] == {
        "customer_id": "c-1",
        "previous": None,
        "current": {"id": "silver", "name": "Silver"},
    }


async def test_down_by_the_daily_job_and_by_hand_are_told_too(
    api: Api, clock: FrozenClock, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    await use(api, spend_tiers(window_days=30, retain_days=60))
    await api.order("o-1", customer_id="c-1", total_minor=22_000, status="completed")
    await subscribe(api, receiver.url("/crm"), ["tier.changed"])
    clock.advance(days=61)
    assert (await jobs_table.get("tiers").run(clock.now()))["down"] == 1
    staff = await api.staff_headers("staff")
    url = "/v1/admin/members/c-1/tier"
    for _ in range(2):  # the second puts Silver on Silver: no change, nothing told
        r = await api.client.post(url, json={"tier_id": "silver", "reason": "vip"}, headers=staff)
        assert r.status_code == 200, r.text
    await deliver(clock, client)
    moves = [(g.json["data"]["previous"], g.json["data"]["current"]) for g in receiver.to("/crm")]
    assert sorted(moves, key=str) == sorted(
        [
            ({"id": "gold", "name": "Gold"}, {"id": "bronze", "name": "Bronze"}),
            ({"id": "bronze", "name": "Bronze"}, {"id": "silver", "name": "Silver"}),
        ],
        key=str,
    )
