"""Staff pages: find a member, see everything about them, grant or remove points, block.

Every change is one domain call (:func:`loyalty.members.adjust`, :func:`set_blocked`); the
adjustment form carries a one-time key, so a double click or a resubmitted form grants once.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from admin_ui import sections
from admin_ui.auth import actor, require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now
from api.shop import PathId
from loyalty import ledger, members, orders, program
from loyalty.errors import DomainError, Invalid
from loyalty.tiers import service as tiers

LEDGER_PAGE = 25
EARN_KINDS = ("earn_pending", "earn_confirm")
Cursor = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]


async def ledger_page(member_id: int, before: int | None) -> dict[str, Any]:
    entries = await ledger.history(member_id, before_id=before, limit=LEDGER_PAGE + 1)
    more = len(entries) > LEDGER_PAGE
    entries = entries[:LEDGER_PAGE]
    earned = [e["order_id"] for e in entries if e["order_id"] and e["kind"] in EARN_KINDS]
    why = await orders.breakdowns(earned)
    for e in entries:
        e["breakdown"] = why.get(e["order_id"]) if e["kind"] in EARN_KINDS else None
    return {
        "entries": entries,
        "next_before": entries[-1]["id"] if more and entries else None,
        "before": before,
    }


async def member_page(
    request: Request[Any, Any, Any],
    customer_id: str,
    *,
    now: datetime,
    before: int | None = None,
    status: int = 200,
    form_error: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    member = await members.get(customer_id)
    rules = await program.get_rules()
    return page(
        request,
        "member.html",
        status=status,
        m=member,
        currency=rules.currency,
        ledger=await ledger_page(member["id"], before),
        orders=await orders.recent_for_member(member["id"]),
        sections=await sections.for_member(member, now),
        tier=await tiers.me_block(member["id"], rules, now),
        levels=rules.tiers.levels if rules.tiers.enabled else [],
        form_error=form_error or {},
        values=values or {},
        adjust_key=secrets.token_urlsafe(12),
    )


class MembersController(Controller):
    path = "/members"
    dependencies = {"now": Provide(provide_now)}

    @get("/", guards=[require("members.read")])
    async def search(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str, QueryParameter(max_length=200)] = "",
    ) -> Template | Redirect:
        """Search by exact customer id, email or phone, or by part of the name."""
        found = await members.search(q, limit=50) if q.strip() else []
        if len(found) == 1 and found[0]["customer_id"] == q.strip():
            return redirect(f"/admin/members/{found[0]['customer_id']}")
        return page(request, "members.html", q=q, found=found)

    @get("/{customer_id:str}", guards=[require("members.read")])
    async def show(
        self,
        request: Request[Any, Any, Any],
        customer_id: PathId,
        now: Now,
        before: Cursor = None,
    ) -> Template:
        """Balances, ledger (paged), orders, coupons, devices and notifications."""
        return await member_page(request, customer_id, now=now, before=before)

    @get("/{customer_id:str}/ledger", guards=[require("members.read")])
    async def ledger_fragment(
        self, request: Request[Any, Any, Any], customer_id: PathId, before: Cursor = None
    ) -> Template:
        """The ledger table alone, for the page's "older entries" partial update."""
        member = await members.get(customer_id)
        rules = await program.get_rules()
        return page(
            request,
            "_ledger.html",
            m=member,
            currency=rules.currency,
            ledger=await ledger_page(member["id"], before),
        )

    @post("/{customer_id:str}/adjust", guards=[require("members.write")])
    async def adjust(
        self, request: Request[Any, Any, Any], customer_id: PathId, now: Now
    ) -> Redirect | Template:
        """Grant or remove points with a mandatory reason (audited, the member is told)."""
        form = await request.form()
        values = {k: str(form.get(k) or "") for k in ("direction", "points", "reason")}
        try:
            points = _signed_points(values["direction"], values["points"])
            result = await members.adjust(
                customer_id,
                points,
                reason=values["reason"],
                actor=actor(request),
                key=str(form.get("key") or "")[:100] or None,
                now=now,
            )
        except DomainError as exc:
            return await member_page(
                request,
                customer_id,
                now=now,
                status=exc.status,
                form_error={"adjust": exc.message},
                values=values,
            )
        word = "Granted" if points > 0 else "Removed"
        message = f"{word} {abs(points):,} points." if result else "Already done."
        return redirect(f"/admin/members/{customer_id}", message)

    @post("/{customer_id:str}/block", guards=[require("members.write")])
    async def block(
        self, request: Request[Any, Any, Any], customer_id: PathId, now: Now
    ) -> Redirect | Template:
        """Block (``blocked=1``) or unblock a member, with a reason."""
        form = await request.form()
        blocked = form.get("blocked") == "1"
        reason = str(form.get("reason") or "")
        try:
            await members.set_blocked(
                customer_id, blocked, reason=reason, actor=actor(request), now=now
            )
        except DomainError as exc:
            return await member_page(
                request,
                customer_id,
                now=now,
                status=exc.status,
                form_error={"block": exc.message},
                values={"block_reason": reason},
            )
        return redirect(
            f"/admin/members/{customer_id}", "Member blocked." if blocked else "Member unblocked."
        )


class MemberTierPage(Controller):
    path = "/members"
    dependencies = {"now": Provide(provide_now)}

    @post("/{customer_id:str}/tier", guards=[require("members.write")])
    async def set_tier(
        self, request: Request[Any, Any, Any], customer_id: PathId, now: Now
    ) -> Redirect | Template:
        """Put the member on a tier by hand, with a reason (audited)."""
        form = await request.form()
        tier_id, reason = str(form.get("tier_id") or ""), str(form.get("reason") or "")
        try:
            await tiers.set_by_staff(
                customer_id, tier_id, reason=reason, actor=actor(request), now=now
            )
        except DomainError as exc:
            return await member_page(
                request, customer_id, now=now, status=exc.status,
                form_error={"tier": exc.message}, values={"tier_reason": reason},
            )  # fmt: skip
        return redirect(f"/admin/members/{customer_id}", f"Tier set to {tier_id}.")


def _signed_points(direction: str, raw: str) -> int:
    try:
        points = int(raw.strip())
    except ValueError:
        raise Invalid("invalid_points", "points must be a whole number") from None
    if points <= 0 or points > 10**9:
        raise Invalid("invalid_points", "points must be between 1 and 1,000,000,000")
    if direction not in ("grant", "remove"):
        raise Invalid("invalid_direction", "choose grant or remove")
    return points if direction == "grant" else -points

