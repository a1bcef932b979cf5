"""Tables of the rewards area: catalogue rewards, coupons, and checkout redemptions.

A coupon is what a shopper holds (from a threshold, a catalogue unlock or another feature);
its points, if it cost any, were spent through ``loyalty.spending`` under ``spend_key``.
A redemption is one order's use of a coupon and/or points: first a hold (``held``, until
``hold_expires_at``), then ``committed`` by the order PUT, or ``released``.
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
from loyalty.tables import Member


class Reward(Table, db=DB):
    """A catalogue entry: spend ``points_cost`` points, get a coupon with these terms."""

    id = BigSerial(primary_key=True)
    title = Varchar(length=200)  # in the program's default locale
    description = Text(default="")
    titles = JSONB(default={})  # {locale: title} (loyalty/texts.py); {} for one-language
    descriptions = JSONB(default={})
    points_cost = BigInt()
    kind = Varchar(length=32)
    value = BigInt(default=0)
    sku = Varchar(length=64, null=True, default=None)
    min_order_minor = BigInt(default=0)
    valid_days = Integer(default=30)
    active = Boolean(default=True)
    position = Integer(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Coupon(Table, db=DB):
    """One single-use discount a member owns. ``code`` is normalised (no separators)."""

    id = BigSerial(primary_key=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    code = Varchar(length=32, unique=True)
    issue_key = Varchar(length=200, unique=True)
    source = Varchar(length=16)
    reward_id = BigInt(null=True, default=None)
    title = Varchar(length=200)  # in the program's default locale
    titles = JSONB(default={})  # {locale: title} as issued
    kind = Varchar(length=32)
    value = BigInt(default=0)
    sku = Varchar(length=64, null=True, default=None)
    min_order_minor = BigInt(default=0)
    points_cost = BigInt(default=0)
    spend_key = Varchar(length=200, null=True, default=None)
    status = Varchar(length=16, default="active")
    issued_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    used_order_id = Varchar(length=128, null=True, default=None)
    voided_at = Timestamptz(null=True, default=None)
    void_reason = Text(null=True, default=None)


class Redemption(Table, db=DB):
    """What one order uses: a coupon and/or points; held, then committed or released."""

    id = BigSerial(primary_key=True)
    order_id = Varchar(length=128, unique=True)
    member = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    coupon_code = Varchar(length=64, null=True, default=None)
    coupon_id = BigInt(null=True, default=None)
    points = BigInt(default=0)
    discount_minor = BigInt(default=0)
    status = Varchar(length=16)
    hold_expires_at = Timestamptz(null=True, default=None)
    earned_since = Timestamptz(null=True, default=None)
    points_spent = BigInt(default=0)
    points_returned = BigInt(default=0)
    created_at = Timestamptz()
    updated_at = Timestamptz()
