"""Admins' webhooks page: subscriptions, the delivery log per attempt, test events, re-send.

Every button is a form post through the same domain services as the API
(``loyalty.webhooks``); a paused subscription is shown with a banner and a resume button.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.auth import actor, require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now, settings_of
from loyalty.errors import DomainError
from loyalty.webhooks import delivery, events, subscriptions

Id = Annotated[int, PathParameter(ge=1, le=2**62)]


async def list_page(
    request: Request[Any, Any, Any], *, error: str | None = None, status: int = 200
) -> Template:
    return page(
        request,
        "webhooks.html",
        status=status,
        subscriptions=await subscriptions.list_all(),
        types=events.TYPES,
        form_error=error,
    )


class WebhooksPages(Controller):
    path = "/webhooks"
    dependencies = {"now": Provide(provide_now)}
    guards = [require("webhooks.manage")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        return await list_page(request)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        form = await request.form()
        types = [str(t) for t in form.getall("events")] if hasattr(form, "getall") else []
        try:
            sub = await subscriptions.create(
                str(form.get("url") or "").strip(),
                types,
                secret=str(form.get("secret") or "").strip() or None,
                description=str(form.get("description") or "").strip() or None,
                allow_private=settings_of(request).webhooks_allow_private,
                actor=actor(request),
                now=now,
            )
        except DomainError as exc:
            return await list_page(request, error=exc.message, status=exc.status)
        return redirect(f"/admin/webhooks/{sub.id}", "Subscription added.")

    @get("/{subscription_id:int}")
    async def detail(self, request: Request[Any, Any, Any], subscription_id: Id) -> Template:
        """One subscription and its latest deliveries, each with every attempt."""
        return page(
            request,
            "webhook.html",
            sub=await subscriptions.get(subscription_id),
            deliveries=await delivery.log_of(subscription_id),
        )

    @post("/{subscription_id:int}/test")
    async def test_event(self, subscription_id: Id, now: Now) -> Redirect:
        await subscriptions.get(subscription_id)
        event_id = await events.send_test(subscription_id, now=now)
        return redirect(f"/admin/webhooks/{subscription_id}", f"Test event {event_id} queued.")

    @post("/{subscription_id:int}/resume")
    async def resume(
        self, request: Request[Any, Any, Any], subscription_id: Id, now: Now
    ) -> Redirect:
        me = request.scope["state"]["staff"]
        await subscriptions.resume(subscription_id, actor=me.email, now=now)
        return redirect(f"/admin/webhooks/{subscription_id}", "Subscription resumed.")

    @post("/{subscription_id:int}/delete")
    async def remove(
        self, request: Request[Any, Any, Any], subscription_id: Id, now: Now
    ) -> Redirect:
        me = request.scope["state"]["staff"]
        await subscriptions.delete(subscription_id, actor=me.email, now=now)
        return redirect("/admin/webhooks", "Subscription deleted.")

    @post("/{subscription_id:int}/deliveries/{delivery_id:int}/resend")
    async def resend(
        self, request: Request[Any, Any, Any], subscription_id: Id, delivery_id: Id, now: Now
    ) -> Redirect:
        me = request.scope["state"]["staff"]
        await delivery.resend(delivery_id, actor=me.email, now=now)
        return redirect(f"/admin/webhooks/{subscription_id}", "Delivery queued again.")
