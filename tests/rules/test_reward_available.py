"""``reward_available``: told once per reward per crossing, again only after dropping below."""

from __future__ import annotations

from schemas.program import ProgramRules
from tests.helpers import Api
from tests.rewards.support import create_reward, events, grant, set_program


async def test_told_once_per_crossing_and_again_after_dropping_below(api: Api) -> None:
    await set_program(api, ProgramRules(threshold_points=0))
    await create_reward(api, title="Tote bag", points_cost=1_000)
    await create_reward(api, title="Mug", points_cost=3_000)
    await grant(api, "c-1", 600)
    await grant(api, "c-1", 600)  # 1,200: crosses the tote bag
    await grant(api, "c-1", 100)  # still above: nothing new
    told = await events("reward_available")
    assert [e["data"]["reward_title"] for e in told] == ["Tote bag"]
    staff = await api.staff_headers("staff")
    r = await api.client.post(
        "/v1/admin/members/c-1/adjustments", json={"points": -500, "reason": "correction"},
        headers=staff,
    )  # fmt: skip
    assert r.status_code == 201
    await grant(api, "c-1", 2_500)  # 800 -> 3,300: the tote bag again, and the mug
    told = await events("reward_available")
    assert [e["data"]["reward_title"] for e in told] == ["Tote bag", "Tote bag", "Mug"]


async def test_points_burnt_by_a_threshold_coupon_are_not_announced(api: Api) -> None:
    await set_program(api, ProgramRules(threshold_points=5_000))
    await create_reward(api, title="Umbrella", points_cost=4_000)
    await api.order("o-1", customer_id="c-1", total_minor=52_500, status="completed")
    assert await events("reward_available") == []  # 5,250 earned, 5,000 burnt: 250 left
    await api.order("o-2", customer_id="c-1", total_minor=40_000, status="completed")
    assert [e["data"]["points"] for e in await events("reward_available")] == [4_000]


async def test_the_threshold_nudge_is_told_once_when_marketing_turns_it_on(api: Api) -> None:
    await set_program(api, ProgramRules(threshold_points=5_000, threshold_nudge_points=1_000))
    await grant(api, "c-1", 3_500)  # 3,500: not yet within 1,000
    assert await events("reward_available") == []
    await grant(api, "c-1", 600)  # 4,100: within reach of the 5,000 coupon
    await grant(api, "c-1", 100)  # still within: nothing new
    told = await events("reward_available")
    assert [(e["data"]["reward_id"], e["data"]["missing"]) for e in told] == [(None, 900)]
    await grant(api, "c-1", 1_000)  # 5,200: the coupon itself is issued, no nudge
    assert len(await events("reward_available")) == 1


async def test_no_nudge_when_it_is_off(api: Api) -> None:
    await set_program(api, ProgramRules(threshold_points=5_000))
    await grant(api, "c-1", 4_900)
    assert await events("reward_available") == []
