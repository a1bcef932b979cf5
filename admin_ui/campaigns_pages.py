"""Marketing's campaigns (rule 12): list upcoming, running and ended ones, schedule, edit, end.

Each change is one call to :mod:`loyalty.campaigns` (validated as part of the program, audited);
a problem comes back beside the form with the field named. Times in the form are wall-clock
times in the program's time zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.auth import actor, require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now
from loyalty import accrual, campaigns, program
from loyalty.errors import DomainError, Invalid
from schemas.earning import Campaign
from schemas.program import ProgramRules

CampaignId = Annotated[str, PathParameter(min_length=1, max_length=64)]
INTS = ("multiplier_pct", "bonus_points", "min_order_minor")
LISTS = ("channels", "stores", "skus", "categories", "tiers")
TEXTS = ("id", "name", "starts_at", "ends_at")


def campaign_from(form: Any) -> tuple[Campaign | None, dict[str, str], str | None]:
    """The posted campaign, the raw values (to show again) and the problem, if any."""
    values = {k: str(form.get(k) or "").strip() for k in (*TEXTS, *INTS, *LISTS)}
    doc: dict[str, Any] = {k: values[k] for k in TEXTS}
    for name in LISTS:
        doc[name] = [x.strip() for x in values[name].split(",") if x.strip()]
    try:
        for name in INTS:
            doc[name] = int(values[name] or ("100" if name == "multiplier_pct" else "0"))
        for name in ("starts_at", "ends_at"):
            doc[name] = datetime.fromisoformat(values[name]).replace(tzinfo=None)
        return msgspec.convert(doc, Campaign), values, None
    except ValueError as exc:
        return None, values, f"numbers must be whole numbers and times dates: {exc}"
    except msgspec.ValidationError as exc:
        return None, values, str(exc).replace("`", "").replace("$.", "")


def _values_of(rules: ProgramRules, c: Campaign) -> dict[str, str]:
    """The form's values for ``c``, times as wall-clock times in the program's zone."""
    values = {k: str(getattr(c, k)) for k in (*TEXTS, *INTS)}
    values.update({k: ", ".join(getattr(c, k)) for k in LISTS})
    zone = ZoneInfo(rules.timezone)
    for name in ("starts_at", "ends_at"):
        local = accrual.as_program_time(rules, getattr(c, name)).astimezone(zone)
        values[name] = local.strftime("%Y-%m-%dT%H:%M")
    return values


class CampaignsController(Controller):
    path = "/campaigns"
    dependencies = {"now": Provide(provide_now)}

    @get("/", guards=[require("program.read")])
    async def index(self, request: Request[Any, Any, Any], now: Now) -> Template:
        """Upcoming, running and ended campaigns, and a form to schedule one."""
        return await self._page(request, now)

    async def _page(
        self,
        request: Request[Any, Any, Any],
        now: datetime,
        *,
        values: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
        editing: str | None = None,
    ) -> Template:
        rules = await program.get_rules()
        listed = campaigns.listing(rules, now)
        groups = {s: [r.campaign for r in listed if r.state == s] for s in campaigns.STATES}
        return page(
            request, "campaigns.html", status=status, groups=groups, timezone=rules.timezone,
            values=values or {"multiplier_pct": "200"}, form_error=error, editing=editing,
        )  # fmt: skip

    @get("/{campaign_id:str}", guards=[require("program.read")])
    async def show(
        self, request: Request[Any, Any, Any], campaign_id: CampaignId, now: Now
    ) -> Template:
        """One campaign's terms in the form, to edit."""
        rules = await program.get_rules()
        found = next((c for c in rules.campaigns if c.id == campaign_id), None)
        if found is None:
            raise Invalid("campaign_not_found", f"no campaign {campaign_id!r}")
        return await self._page(request, now, values=_values_of(rules, found), editing=campaign_id)

    @post("/", guards=[require("program.write")])
    async def save(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """Schedule a new campaign, or save the one being edited (``editing`` in the form)."""
        form = await request.form()
        editing = str(form.get("editing") or "") or None
        campaign, values, error = campaign_from(form)
        if campaign is not None:
            try:
                await campaigns.save(
                    campaign, actor=actor(request), now=now, create=editing is None
                )
                return redirect("/admin/campaigns", f"Campaign “{campaign.name}” saved.")
            except DomainError as exc:
                error = exc.message
        return await self._page(
            request, now, values=values, error=error, status=422, editing=editing
        )

    @post("/{campaign_id:str}/end", guards=[require("program.write")])
    async def end(
        self, request: Request[Any, Any, Any], campaign_id: CampaignId, now: Now
    ) -> Redirect:
        """End a running campaign now, or call off an upcoming one."""
        ended = await campaigns.end(campaign_id, actor=actor(request), now=now)
        return redirect("/admin/campaigns", "Campaign ended." if ended else "Campaign called off.")

