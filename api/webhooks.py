"""The webhook subscriptions API: list, add, delete; the delivery log, test events, re-send."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter

from api.deps import Me, Now, allow, provide_now, provide_staff, settings_of
from loyalty.webhooks import delivery, events, subscriptions
from schemas.webhooks import DeliveryOut, TestEventOut, WebhookIn, WebhookOut, delivery_out

SubId = Annotated[int, PathParameter(ge=1, le=2**62)]


def webhook_out(s: subscriptions.Subscription) -> WebhookOut:
    return WebhookOut(
        id=s.id,
        url=s.url,
        events=s.events,
        secret=s.secret,
        description=s.description,
        paused_at=s.paused_at,
        failing_since=s.failing_since,
        created_at=s.created_at,
    )


class WebhooksController(Controller):
    path = "/v1/admin/webhooks"
    tags = ["webhooks"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]
    guards = [allow("webhooks.manage")]

    @get("/")
    async def list_webhooks(self) -> list[WebhookOut]:
        return [webhook_out(s) for s in await subscriptions.list_all()]

    @post("/")
    async def create(
        self, request: Request[Any, Any, Any], data: JSONBody[WebhookIn], me: Me, now: Now
    ) -> WebhookOut:
        """Subscribe ``url`` to ``events`` (``*`` for all); without ``secret`` one is made."""
        sub = await subscriptions.create(
            data.url,
            data.events,
            secret=data.secret,
            description=data.description,
            allow_private=settings_of(request).webhooks_allow_private,
            actor=me.email,
            now=now,
        )
        return webhook_out(sub)

    @delete("/{subscription_id:int}", status_code=204)
    async def remove(self, subscription_id: SubId, me: Me, now: Now) -> None:
        await subscriptions.delete(subscription_id, actor=me.email, now=now)

    @get("/{subscription_id:int}/deliveries")
    async def deliveries(self, subscription_id: SubId) -> list[DeliveryOut]:
        """The latest deliveries, each with every attempt."""
        await subscriptions.get(subscription_id)
        return [delivery_out(r) for r in await delivery.log_of(subscription_id)]

    @post("/{subscription_id:int}/test", status_code=202)
    async def test_event(self, subscription_id: SubId, now: Now) -> TestEventOut:
        """Queue a ``webhook.test`` event for this subscription only."""
        await subscriptions.get(subscription_id)
        return TestEventOut(event_id=await events.send_test(subscription_id, now=now))

    @post("/{subscription_id:int}/resume", status_code=200)
    async def resume(self, subscription_id: SubId, me: Me, now: Now) -> WebhookOut:
        return webhook_out(await subscriptions.resume(subscription_id, actor=me.email, now=now))

    @post("/deliveries/{delivery_id:int}/resend", status_code=202)
    async def resend(self, delivery_id: SubId, me: Me, now: Now) -> None:
        await delivery.resend(delivery_id, actor=me.email, now=now)
