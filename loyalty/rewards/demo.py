"""Demo catalogue for ``loyalty run``: two rewards to unlock with the demo program's points."""

from __future__ import annotations

from datetime import datetime

from loyalty import db
from loyalty.rewards import catalogue
from schemas.rewards import RewardIn

DEMO_REWARDS = (
    RewardIn(
        title={"en": "5 EUR off your next order", "nb": "5 EUR rabatt på neste bestilling"},
        description={
            "en": "Spend 2,000 points for 5 EUR off any order of 25 EUR or more.",
            "nb": "Bruk 2 000 poeng og få 5 EUR rabatt på en bestilling over 25 EUR.",
        },
        points_cost=2_000,
        kind="amount_off",
        value=500,
        min_order_minor=2_500,
        valid_days=60,
        position=1,
    ),
    RewardIn(
        title={"en": "Free shipping", "nb": "Gratis frakt"},
        description={
            "en": "Spend 800 points to have your next order shipped for free.",
            "nb": "Bruk 800 poeng og få gratis frakt på neste bestilling.",
        },
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
