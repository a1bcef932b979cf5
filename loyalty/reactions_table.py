"""The one place that decides which reactions exist: importing a module registers its
reactions (``@reactions.on_points_moved(priority)`` and friends), so this module imports them,
and :func:`install` is what the app factory, the worker, the CLI and the test fixtures call.

Add a reaction: decorate it in its own module and add that module's import here, one line.
The priorities (which decide the order, not these imports) are listed in
``docs/ARCHITECTURE.md``; print the live order with ``python -m loyalty.reactions_table``.
"""

from __future__ import annotations

from loyalty import reactions
from loyalty.activity import referrals  # OrderAdvanced 30, ProfileSaved 30
from loyalty.rewards import coupons  # PointsMoved 10 (threshold coupons, rule 3)
from loyalty.sms import welcome  # OrderAdvanced 60 (the till's welcome text)
from loyalty.tiers import reactions as tiers  # PointsMoved 40, OrderAdvanced 40 (rule 13)
from loyalty.tiers import reward_alerts  # PointsMoved 50 (reward_available)
from loyalty.validity import stamps  # PointsMoved 5 (lot expiry), OrderAdvanced 20
from loyalty.webhooks import reactions as webhooks  # PointsMoved 90 (points.changed)

MODULES = (stamps, coupons, referrals, tiers, reward_alerts, welcome, webhooks)


def install() -> None:
    """Register every reaction (idempotent: each is registered once, whoever calls)."""
    reactions.mark_installed()


def describe() -> str:
    """The registered reactions per event, in the order they run."""
    lines = []
    for kind in (reactions.PointsMoved, reactions.OrderAdvanced, reactions.ProfileSaved):
        lines.append(f"{kind.__name__}:")
        lines += [f"  {priority:>3}  {name}" for priority, name in reactions.registered(kind)]
    return "\n".join(lines)


if __name__ == "__main__":
    install()
    print(describe())
