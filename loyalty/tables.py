"""Core tables: members and their cached balances, the append-only ledger, orders, the
program, staff and their audit trail, and the notification outbox.

Schema changes go through migrations (``loyalty/piccolo_migrations``); a test fails when these
classes and the migrations drift apart. Balance columns on :class:`Member` are a cache of the
ledger, written only by :mod:`loyalty.ledger` in the same transaction as the entries.
"""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    BigInt,
    BigSerial,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from loyalty.db import DB


class Program(Table, db=DB):
    """The loyalty program: one row (id 1), its rules as a JSON document (see ``program.py``)."""

    id = Integer(primary_key=True)
    rules = JSONB()
    version = Integer(default=1)
    updated_at = Timestamptz()
    updated_by = Varchar(length=254, null=True, default=None)


class Member(Table, db=DB):
    id = BigSerial(primary_key=True)
    customer_id = Varchar(length=128, unique=True)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=32, null=True, default=None, unique=True)  # E.164 (loyalty.sms)
    name = Varchar(length=200, null=True, default=None)
    birthday = Date(null=True, default=None)
    locale = Varchar(length=16, default="en")
    timezone = Varchar(length=64, null=True, default=None)
    newsletter = Boolean(default=False)
    blocked = Boolean(default=False)
    blocked_reason = Text(null=True, default=None)
    available = BigInt(default=0)
    pending = BigInt(default=0)
    lifetime = BigInt(default=0)
    spent = BigInt(default=0)
    expired = BigInt(default=0)
    last_order_at = Timestamptz(null=True, default=None)
    points_expire_at = Timestamptz(null=True, default=None)
    referral_code = Varchar(length=32, null=True, default=None, unique=True)
    referred_by = Varchar(length=128, null=True, default=None)
    sms_opt_in = Boolean(default=True)
    sms_block = Varchar(length=32, null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class LedgerEntry(Table, db=DB, tablename="ledger_entry"):
    """One change of a member's points. Never updated, never deleted.

    Each delta column moves the matching cached balance of the member; reversals are new
    entries with opposite deltas. ``idempotency_key`` makes every write safe to repeat.
    """

    id = BigSerial(primary_key=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    kind = Varchar(length=32)
    available = BigInt(default=0)
    pending = BigInt(default=0)
    lifetime = BigInt(default=0)
    spent = BigInt(default=0)
    expired = BigInt(default=0)
    idempotency_key = Varchar(length=512, unique=True)
    order_id = Varchar(length=128, null=True, default=None, index=True)
    coupon_id = BigInt(null=True, default=None)
    actor = Varchar(length=254, null=True, default=None)
    reason = Text(null=True, default=None)
    effective_at = Timestamptz()
    created_at = Timestamptz()
    meta = JSONB(default={})


class ShopOrder(Table, db=DB, tablename="shop_order"):
    """The latest state the shop reported for an order, and what it earned."""

    id = BigSerial(primary_key=True)
    order_id = Varchar(length=128, unique=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    status = Varchar(length=16)
    currency = Varchar(length=3)
    total_minor = BigInt()
    refunded_minor = BigInt(default=0)
    channel = Varchar(length=16, null=True, default=None)
    store_id = Varchar(length=64, null=True, default=None)
    items = JSONB(default=[])
    coupon_code = Varchar(length=64, null=True, default=None)
    points_redeemed = BigInt(default=0)
    placed_at = Timestamptz()
    points = BigInt(default=0)
    points_state = Varchar(length=16, default="none")
    clawed_back = BigInt(default=0)
    state_digest = Varchar(length=64)
    flags = JSONB(default=[])
    created_at = Timestamptz()
    updated_at = Timestamptz()
    breakdown = JSONB(null=True, default=None)  # loyalty.accrual.Breakdown: why these points


class StaffUser(Table, db=DB, tablename="staff_user"):
    id = BigSerial(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Varchar(length=200, null=True, default=None)
    password_hash = Varchar(length=255)
    role = Varchar(length=16)
    active = Boolean(default=True)
    created_at = Timestamptz()


class StaffSession(Table, db=DB, tablename="staff_session"):
    """A login: the token is shown once, only its SHA-256 is stored."""

    token_hash = Varchar(length=64, primary_key=True)
    staff = ForeignKey(StaffUser, index=True, on_delete=OnDelete.cascade)
    created_at = Timestamptz()
    expires_at = Timestamptz()


class AuditLog(Table, db=DB, tablename="audit_log"):
    """Every staff action: who, when, what, on whom, why."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(index=True)
    actor = Varchar(length=254, index=True)
    action = Varchar(length=64, index=True)
    target = Varchar(length=200, null=True, default=None)
    reason = Text(null=True, default=None)
    details = JSONB(default={})


class Notification(Table, db=DB):
    """The transactional outbox: one row per event to tell someone about.

    Written in the same transaction as the event; the ``deliver`` job turns it into pushes and
    emails and records each outcome. ``dedupe_key`` makes "send once" a database fact.
    """

    id = BigSerial(primary_key=True)
    member = ForeignKey(Member, null=True, default=None, index=True, on_delete=OnDelete.restrict)
    event = Varchar(length=48)
    data = JSONB(default={})
    dedupe_key = Varchar(length=512, unique=True)
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz()
    created_at = Timestamptz()
    processed_at = Timestamptz(null=True, default=None)


class PointLot(Table, db=DB, tablename="point_lot"):
    """Points credited together, spent oldest first. ``remaining`` sums to the positive
    part of the member's available balance; per-lot validity expires each lot on its own."""

    id = BigSerial(primary_key=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    entry = BigInt()
    earned_at = Timestamptz()
    expires_at = Timestamptz(null=True, default=None)
    points = BigInt()
    remaining = BigInt()


class LotUse(Table, db=DB, tablename="lot_use"):
    """Which lots a debiting ledger entry consumed, so a reversal can give them back."""

    id = BigSerial(primary_key=True)
    entry = BigInt(index=True)
    lot = ForeignKey(PointLot, index=True, on_delete=OnDelete.restrict)
    points = BigInt()
