"""What a member's points reach now: the next threshold coupon, and each catalogue reward.

Both count **free** points (available minus points held by live checkout reservations): the
points the threshold burn and a catalogue unlock may actually use. A blocked member can afford
no reward (an unlock would be refused). The app shows these numbers (``GET /v1/me``,
``GET /v1/me/rewards``); the rules live here so they cannot drift from the unlock's own check
(``catalogue.unlock``) and the burn's (``coupons.issue_due``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from loyalty.rewards import coupons


@dataclass(frozen=True, slots=True)
class Purse:
    """A member's points as a reward sees them."""

    available: int
    held: int = 0
    blocked: bool = False

    @property
    def free(self) -> int:
        """Points no checkout holds, never below zero (a clawback may leave a debt)."""
        return max(self.available - self.held, 0)


@dataclass(frozen=True, slots=True)
class Reach:
    """Whether a reward costing ``points_cost`` can be had now, and how many points are missing."""

    affordable: bool
    points_missing: int


async def purse(member_id: int | None, *, available: int, blocked: bool, now: datetime) -> Purse:
    """The member's purse (``member_id`` None: not a member yet, nothing held)."""
    held = 0 if member_id is None else await coupons.held_points(member_id, now)
    return Purse(available=available, held=held, blocked=blocked)


def to_threshold(purse: Purse, threshold: int) -> int | None:
    """Points missing to the next threshold coupon; ``None`` when the program has none."""
    if threshold <= 0:
        return None
    return max(threshold - purse.free, 0)


def reach(purse: Purse, points_cost: int) -> Reach:
    """A catalogue reward: affordable when not blocked and the free points cover its cost."""
    missing = max(points_cost - purse.free, 0)
    return Reach(affordable=not purse.blocked and missing == 0, points_missing=missing)
