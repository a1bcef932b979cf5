"""The demo program ``loyalty run`` seeds: example 004 of PRODUCT.md.

EUR, 10 points per euro, confirmed on ``completed``, 5000 points issue a 10 % coupon valid on
orders of at least 100 EUR for 30 days, rolling validity of 365 days reset by every order,
reminders 60, 30, 14 and 7 days before expiry. Feature modules add their demo data through
:data:`SEEDERS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from loyalty import db, program
from loyalty.rewards import demo as rewards_demo
from schemas.program import CouponTerms, ProgramRules, Validity

SEEDERS: list[Callable[[datetime], Awaitable[None]]] = []
SEEDERS.append(rewards_demo.seed)


def demo_rules() -> ProgramRules:
    return ProgramRules(
        name="Demo club (example 004)",
        currency="EUR",
        earn_points=10,
        rate_unit_minor=100,
        confirm_status="completed",
        threshold_points=5000,
        coupon=CouponTerms(
            kind="percent_off",
            value=10,
            min_order_minor=10_000,
            valid_days=30,
            title={"en": "10 % off your next order", "nb": "10 % rabatt på neste bestilling"},
        ),
        validity=Validity(policy="rolling", days=365, reminder_days=[60, 30, 14, 7]),
    )


async def seed(now: datetime) -> bool:
    """Save the demo program unless a program exists; run feature seeders. True if seeded."""
    exists = await db.fetchval("SELECT 1 FROM program WHERE id = 1")
    if not exists:
        await program.save_rules(demo_rules(), actor=None, now=now)
    for seeder in SEEDERS:
        await seeder(now)
    return not exists
