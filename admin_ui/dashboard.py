"""The dashboard: rule 11's numbers as tiles and server-rendered SVG charts.

The figures scan the member table and recent ledger weeks (about 100 ms at 100,000 members
and 2,000,000 entries, more on a busy machine), so the page serves a snapshot at most
:data:`FRESH_FOR` old, kept on the app, and refreshes it in the background when it is older
(stale-while-revalidate): only the first view after a start waits for the computation. The
page says when its numbers were computed; ``GET /v1/admin/insight`` always computes afresh.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from litestar.di import Provide
from litestar.response import Template

from admin_ui import charts
from admin_ui.auth import require
from admin_ui.render import page
from api.deps import Now, provide_now
from loyalty import insight, program
from loyalty.tiers import service as tiers


def chart_set(data: insight.Insight) -> dict[str, Any]:
    labels = [w.start.strftime("%d %b") for w in data.weeks]
    extra = data.extra
    return {
        "weekly": charts.grouped_bars(
            labels,
            [
                ("issued", [w.issued for w in data.weeks]),
                ("redeemed", [w.redeemed for w in data.weeks]),
                ("expired", [w.expired for w in data.weeks]),
            ],
            title="Points per week",
        ),
        "coupons": charts.horizontal_bars(
            [("issued", extra.get("coupons_issued")), ("used", extra.get("coupons_used"))],
            title="Coupons",
        ),
        "pushes": charts.horizontal_bars(
            [
                ("sent", extra.get("pushes_sent")),
                ("delivered", extra.get("pushes_delivered")),
                ("opened", extra.get("pushes_opened")),
            ],
            title="Pushes",
        ),
        "outbox": charts.horizontal_bars(
            sorted(data.notifications.items()) or [("none", 0)], title="Notifications by status"
        ),
    }


log = logging.getLogger("loyalty.admin_ui")
FRESH_FOR = 60.0
"""Seconds a dashboard snapshot is served before a background refresh starts."""


@dataclass(slots=True)
class Snapshots:
    """The app's latest figures and the refresh in progress, if any."""

    data: insight.Insight | None = None
    taken: float = 0.0
    refreshing: asyncio.Task[None] | None = None


def _snapshots(request: Request[Any, Any, Any]) -> Snapshots:
    state = request.app.state
    if not isinstance(state.get("insight_snapshots"), Snapshots):
        state.insight_snapshots = Snapshots()
    found: Snapshots = state.insight_snapshots
    return found


async def _refresh(box: Snapshots, now: datetime) -> None:
    box.data = await insight.compute(now)
    box.taken = time.monotonic()


async def _background(box: Snapshots, now: datetime) -> None:
    try:
        await _refresh(box, now)
    except Exception:  # the page keeps the older snapshot; the next view tries again
        log.exception("refreshing the dashboard figures failed")


async def current(request: Request[Any, Any, Any], now: datetime) -> insight.Insight:
    """The snapshot: computed now when there is none, refreshed behind the page when old."""
    box = _snapshots(request)
    if box.data is None:
        await _refresh(box, now)
    elif time.monotonic() - box.taken > FRESH_FOR and (
        box.refreshing is None or box.refreshing.done()
    ):
        box.refreshing = asyncio.create_task(_background(box, now))
    assert box.data is not None
    return box.data


class DashboardController(Controller):
    dependencies = {"now": Provide(provide_now)}

    @get("/", guards=[require("insight.read")])
    async def dashboard(self, request: Request[Any, Any, Any], now: Now) -> Template:
        """Members, points per week, liability, coupons and pushes at a glance."""
        data = await current(request, now)
        rules = await program.get_rules()
        per_tier = await tiers.members_per_tier() if rules.tiers.enabled else {}
        levels = [(level.name, per_tier.get(level.id, 0)) for level in rules.tiers.levels]
        return page(
            request, "dashboard.html", data=data, charts=chart_set(data), tier_counts=levels
        )
