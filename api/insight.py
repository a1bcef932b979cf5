"""``GET /v1/admin/insight``: the dashboard's numbers (rule 11) for scripts."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import Provide
from litestar.params import QueryParameter

from api.deps import Now, allow, provide_now
from loyalty import insight
from schemas.insight import InsightOut, WeekOut


def insight_out(data: insight.Insight) -> InsightOut:
    extra = data.extra
    return InsightOut(
        as_of=data.as_of,
        since=data.since,
        currency=data.currency,
        members=data.members,
        active_members=data.active_members,
        active_days=data.active_days,
        blocked_members=data.blocked_members,
        outstanding_points=data.outstanding_points,
        pending_points=data.pending_points,
        liability_minor=data.liability_minor,
        liability_basis=data.liability_basis,
        weeks=[WeekOut(w.start, w.issued, w.redeemed, w.expired) for w in data.weeks],
        notifications_by_status=data.notifications,
        coupons_issued=extra.get("coupons_issued"),
        coupons_used=extra.get("coupons_used"),
        pushes_sent=extra.get("pushes_sent"),
        pushes_delivered=extra.get("pushes_delivered"),
        pushes_opened=extra.get("pushes_opened"),
    )


class InsightController(Controller):
    path = "/v1/admin/insight"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now)}
    security = [{"staffToken": []}]

    @get("/", guards=[allow("insight.read")])
    async def get_insight(
        self,
        now: Now,
        weeks: Annotated[int, QueryParameter(ge=1, le=104)] = 12,
        active_days: Annotated[int, QueryParameter(ge=1, le=3650)] = 90,
    ) -> InsightOut:
        """Members, active members, points issued/redeemed/expired per week, outstanding
        points and their value (the shop's liability), coupons and pushes."""
        return insight_out(await insight.compute(now, weeks=weeks, active_days=active_days))
