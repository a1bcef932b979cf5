"""Tables of the notification area: devices, marketing's copy, deliveries and opens.

They live in their own Piccolo app (``loyalty.notify.piccolo_app``) so their migrations never
collide with the core's. Composite unique keys Piccolo cannot express are in the hand-written
migration beside the auto one.
"""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from loyalty.db import DB
from loyalty.tables import Member, Notification


class Device(Table, db=DB, tablename="device"):
    """A phone that can receive pushes. A token belongs to one member at a time."""

    id = BigSerial(primary_key=True)
    token = Varchar(length=1024, unique=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.cascade)
    platform = Varchar(length=8)
    provider = Varchar(length=8)
    locale = Varchar(length=16, null=True, default=None)
    app_version = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Template(Table, db=DB, tablename="notify_template"):
    """Marketing's copy for one event, channel and locale; shipped defaults fill the gaps.

    ``title`` is the push title or the email subject, ``body`` the push text or the email's
    text part, ``html`` the email's HTML part (none for pushes).
    """

    id = BigSerial(primary_key=True)
    event = Varchar(length=48)
    channel = Varchar(length=8)
    locale = Varchar(length=16)
    title = Text()
    body = Text()
    html = Text(null=True, default=None)
    version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by = Varchar(length=254, null=True, default=None)


class Delivery(Table, db=DB, tablename="delivery"):
    """One notification to one device or mailbox, and how it ended.

    ``status``: ``queued`` (planned), ``sending`` (intent recorded, handed to the provider),
    then ``sent``, ``failed``, ``pruned``, ``skipped``, or ``retry`` (due at
    ``next_attempt_at``). Unique per notification, channel and target, so planning twice
    plans once.
    """

    id = BigSerial(primary_key=True)
    notification = ForeignKey(Notification, index=True, on_delete=OnDelete.cascade)
    member = BigInt(null=True, default=None)
    channel = Varchar(length=8)
    provider = Varchar(length=8, null=True, default=None)
    platform = Varchar(length=8, null=True, default=None)
    target = Varchar(length=1024)
    device = BigInt(null=True, default=None)
    locale = Varchar(length=16, null=True, default=None)
    status = Varchar(length=16)
    reason = Text(null=True, default=None)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    provider_id = Varchar(length=255, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class NotificationOpen(Table, db=DB, tablename="notification_open"):
    """The app reported that the member opened this notification (first time only)."""

    id = BigSerial(primary_key=True)
    notification = ForeignKey(Notification, unique=True, on_delete=OnDelete.cascade)
    member = BigInt(index=True)
    opened_at = Timestamptz()
