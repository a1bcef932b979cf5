"""A program with 3 tiers and 5 campaigns running now (bench/accrual --tiers-campaigns and
bench/simulate): the demo program plus the rule-12/13 features every order must consider."""

from __future__ import annotations

from datetime import datetime, timedelta

from schemas.earning import Campaign, TierLevel, Tiers
from schemas.program import ProgramRules


def rich_rules(now: datetime) -> ProgramRules:
    start, end = now - timedelta(days=400), now + timedelta(days=30)

    def campaign(cid: str, **kw: object) -> Campaign:
        return Campaign(id=cid, name=cid, starts_at=start, ends_at=end, **kw)  # type: ignore[arg-type]

    return ProgramRules(
        points_per_order=5,
        sku_points={"coffee": 15},
        channel_rates={"app": 12},
        tiers=Tiers(
            enabled=True,
            qualify_by="spend",
            levels=[
                TierLevel(id="bronze", name="Bronze", threshold=0),
                TierLevel(id="silver", name="Silver", threshold=10_000, earn_multiplier_pct=125),
                TierLevel(id="gold", name="Gold", threshold=50_000, earn_multiplier_pct=150),
            ],
        ),
        campaigns=[
            campaign("double", multiplier_pct=200),
            campaign("bonus", bonus_points=50, min_order_minor=500),
            campaign("red", multiplier_pct=300, categories=["red"]),
            campaign("gold-week", multiplier_pct=150, tiers=["gold"]),
            campaign("pos", bonus_points=20, channels=["pos"]),
        ],
    )
