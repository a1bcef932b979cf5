"""What points reach: the next threshold and each reward count free points (holds subtracted),
and a blocked member can afford nothing."""

from __future__ import annotations

from typing import Any

import pytest

from loyalty.rewards import reach
from schemas.program import PointsAsMoney
from tests.helpers import Api
from tests.rewards.support import cart, create_reward, grant, reserve, rules_004, set_program


@pytest.mark.pure
def test_free_points_subtract_holds_and_never_go_negative() -> None:
    assert reach.Purse(available=3_000, held=1_000).free == 2_000
    assert reach.Purse(available=-200).free == 0
    assert reach.to_threshold(reach.Purse(available=3_000, held=1_000), 5_000) == 3_000
    assert reach.to_threshold(reach.Purse(available=3_000), 0) is None


@pytest.mark.pure
def test_a_reward_is_affordable_only_unblocked_and_with_enough_free_points() -> None:
    assert reach.reach(reach.Purse(2_000), 2_000) == reach.Reach(True, 0)
    assert reach.reach(reach.Purse(2_000, held=500), 2_000) == reach.Reach(False, 500)
    assert reach.reach(reach.Purse(9_000, blocked=True), 2_000) == reach.Reach(False, 0)


async def _rewards(api: Api, customer_id: str) -> list[dict[str, Any]]:
    response = await api.client.get("/v1/me/rewards", headers=api.shopper(customer_id))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_checkout_hold_counts_against_the_next_reward_and_the_catalogue(
    api: Api,
) -> None:
    limits = {"enabled": True, "points_per_unit": 100, "unit_minor": 100, "min_balance": 0}
    await set_program(api, rules_004(points_as_money=PointsAsMoney(**limits)))
    await create_reward(api, points_cost=3_000)
    await grant(api, "kari", 4_000)
    assert (await api.me("kari"))["balance"]["points_to_next_reward"] == 1_000
    [shown] = await _rewards(api, "kari")
    assert (shown["affordable"], shown["points_missing"]) == (True, 0)

    held = await reserve(api, cart("kari", 50_000, points=2_000, order_id="o-1", currency="EUR"))
    assert held.status_code == 200, held.text
    assert (await api.me("kari"))["balance"]["points_to_next_reward"] == 3_000
    [shown] = await _rewards(api, "kari")
    assert (shown["affordable"], shown["points_missing"]) == (False, 1_000)


async def test_a_blocked_member_can_afford_no_reward(api: Api) -> None:
    await create_reward(api, points_cost=1_000)
    await grant(api, "ola", 2_000)
    blocked = await api.client.post(
        "/v1/admin/members/ola/block",
        json={"reason": "chargeback"},
        headers=await api.staff_headers("staff"),
    )
    assert blocked.status_code < 300, blocked.text
    [shown] = await _rewards(api, "ola")
    assert shown["affordable"] is False
