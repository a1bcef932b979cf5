"""Demo catalogue for ``loyalty run``: two rewards to unlock with the demo program's points."""

from __future__ import annotations

from datetime import datetime

from loyalty import db
from loyalty.rewards import catalogue
from schemas.rewards import RewardIn

DEMO_REWARDS = (
    RewardIn(
        title="5 EUR off your next order",
        description="Spend 2,000 points for 5 EUR off any order of 25 EUR or more.",
        points_cost=2_000,
        kind="amount_off",
        value=500,
        min_order_minor=2_500,
        valid_days=60,
        position=1,
    ),
    RewardIn(
        title="Free shipping",
        description="Spend 800 points to have your next order shipped for free.",
        points_cost=800,
        kind="free_shipping",
        valid_days=30,
        position=2,
    ),
)


async def seed(now: datetime) -> None:
    """Add the demo rewards when the catalogue is empty (safe to run at every start)."""
    if await db.fetchval("SELECT 1 FROM reward LIMIT 1"):
        return
    for reward in DEMO_REWARDS:
        await catalogue.create(reward, actor="demo", now=now)
