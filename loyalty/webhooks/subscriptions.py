"""Webhook subscriptions: staff add a receiver URL with the event types it wants.

The secret signs every delivery; staff may give one (to match a receiver already set up) or
get a generated ``whsec_...``. Deleting keeps the row (and its delivery log), marked deleted.
A subscription paused after three days of failures sends nothing until staff resume it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import audit, db
from loyalty.errors import Invalid, NotFound
from loyalty.webhooks import events, urls


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    url: str
    events: list[str]
    secret: str
    description: str | None
    active: bool
    paused_at: datetime | None
    failing_since: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, r: Any) -> Subscription:
        return cls(
            id=r["id"],
            url=r["url"],
            events=list(db.loads(r["events"])),
            secret=r["secret"],
            description=r["description"],
            active=r["active"],
            paused_at=r["paused_at"],
            failing_since=r["failing_since"],
            created_at=r["created_at"],
        )


_COLUMNS = """id, url, events::text AS events, secret, description, active, paused_at,
    failing_since, created_at"""


def _check_types(types: list[str]) -> list[str]:
    unknown = sorted(set(types) - set(events.TYPES) - {"*"})
    if unknown or not types:
        raise Invalid(
            "webhook_events_invalid",
            "events must name known event types (or *)",
            unknown=unknown,
            known=list(events.TYPES),
        )
    return sorted(set(types))


async def create(
    url: str,
    types: list[str],
    *,
    secret: str | None,
    description: str | None,
    allow_private: bool,
    actor: str,
    now: datetime,
) -> Subscription:
    await urls.check(url, allow_private=allow_private)
    wanted = _check_types(types)
    secret = secret or f"whsec_{secrets.token_urlsafe(24)}"
    async with db.transaction():
        row = await db.fetchrow(
            f"""INSERT INTO webhook_subscription (url, secret, events, description, active,
                   created_at, created_by) VALUES ($1, $2, $3::jsonb, $4, true, $5, $6)
               RETURNING {_COLUMNS}""",
            url,
            secret,
            db.dumps(wanted),
            description,
            now,
            actor,
        )
        await audit.record(actor, "webhook.create", now=now, target=url, details={"events": wanted})
    events.forget_cache()
    return Subscription.of(row)


async def list_all() -> list[Subscription]:
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM webhook_subscription WHERE deleted_at IS NULL ORDER BY id"
    )
    return [Subscription.of(r) for r in rows]


async def get(subscription_id: int) -> Subscription:
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM webhook_subscription WHERE id = $1 AND deleted_at IS NULL",
        subscription_id,
    )
    if row is None:
        raise NotFound("webhook_not_found", f"no webhook subscription {subscription_id}")
    return Subscription.of(row)


async def delete(subscription_id: int, *, actor: str, now: datetime) -> None:
    """Stop a subscription: nothing more is sent to it (pending deliveries are cancelled)."""
    async with db.transaction():
        url = await db.fetchval(
            """UPDATE webhook_subscription SET deleted_at = $2, active = false
               WHERE id = $1 AND deleted_at IS NULL RETURNING url""",
            subscription_id,
            now,
        )
        if url is None:
            raise NotFound("webhook_not_found", f"no webhook subscription {subscription_id}")
        await db.execute(
            """UPDATE webhook_delivery SET status = 'cancelled', finished_at = $2,
                   last_error = 'subscription deleted'
               WHERE subscription = $1 AND status = 'pending'""",
            subscription_id,
            now,
        )
        await audit.record(actor, "webhook.delete", now=now, target=url)
    events.forget_cache()


async def resume(subscription_id: int, *, actor: str, now: datetime) -> Subscription:
    """Un-pause a subscription (staff fixed the receiver)."""
    async with db.transaction():
        row = await db.fetchrow(
            f"""UPDATE webhook_subscription SET paused_at = NULL, failing_since = NULL
                WHERE id = $1 AND deleted_at IS NULL RETURNING {_COLUMNS}""",
            subscription_id,
        )
        if row is None:
            raise NotFound("webhook_not_found", f"no webhook subscription {subscription_id}")
        await audit.record(actor, "webhook.resume", now=now, target=row["url"])
    events.forget_cache()
    return Subscription.of(row)
