"""Tables of the webhooks area: subscriptions, the event outbox, deliveries and attempts.

Events are written in the transaction of their cause; each subscription that wants the type
gets a delivery row in that same statement. Deliveries are their own queue with their own
lease (never the notification outbox), so a slow receiver delays nobody's pushes.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from loyalty.db import DB


class WebhookSubscription(Table, db=DB, tablename="webhook_subscription"):
    """A receiver: its URL, its signing secret, the event types it wants (``*`` for all).

    ``failing_since``: the first failed attempt since the last success; after three days of
    that the subscription is ``paused`` and staff are told. Deleting sets ``deleted_at``
    (the delivery log stays)."""

    id = BigSerial(primary_key=True)
    url = Varchar(length=2048)
    secret = Varchar(length=200)
    events = JSONB(default=[])
    description = Varchar(length=200, null=True, default=None)
    active = Boolean(default=True)
    paused_at = Timestamptz(null=True, default=None)
    failing_since = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    created_by = Varchar(length=254, null=True, default=None)
    deleted_at = Timestamptz(null=True, default=None)


class WebhookEvent(Table, db=DB, tablename="webhook_event"):
    """One event, as every receiver gets it: ``{"id", "type", "created_at", "data"}``.

    ``event_id`` is the public unique id (``evt_...``); ``dedupe_key`` makes a cause that runs
    twice (a retried request) write one event."""

    id = BigSerial(primary_key=True)
    event_id = Varchar(length=40, unique=True)
    type = Varchar(length=48)
    member = BigInt(null=True, default=None, index=True)
    data = JSONB(default={})
    dedupe_key = Varchar(length=200, unique=True)
    created_at = Timestamptz()


class WebhookDelivery(Table, db=DB, tablename="webhook_delivery"):
    """One event to one subscription. ``status``: ``pending`` (due at ``next_attempt_at``;
    a claim pushes that out by a lease), ``delivered``, ``failed`` or ``cancelled``."""

    id = BigSerial(primary_key=True)
    event = ForeignKey(WebhookEvent, index=True, on_delete=OnDelete.cascade)
    subscription = ForeignKey(WebhookSubscription, index=True, on_delete=OnDelete.cascade)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    last_status = Integer(null=True, default=None)
    last_error = Text(null=True, default=None)
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class WebhookAttempt(Table, db=DB, tablename="webhook_attempt"):
    """Every try of a delivery: when, how long, what the receiver answered (or why not)."""

    id = BigSerial(primary_key=True)
    delivery = ForeignKey(WebhookDelivery, index=True, on_delete=OnDelete.cascade)
    number = Integer()
    at = Timestamptz()
    duration_ms = Integer()
    status_code = Integer(null=True, default=None)
    error = Text(null=True, default=None)
    response = Text(null=True, default=None)
