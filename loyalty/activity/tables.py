"""Tables of the activity area: the shopper's reported events and the referrals.

Composite unique keys and partial indexes are in the hand-written migration beside the auto one.
"""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from loyalty.db import DB
from loyalty.tables import Member


class ActivityEvent(Table, db=DB, tablename="activity_event"):
    """One event a shopper's app reported, with what it earned (or why not).

    ``client_event_id`` is unique per member, so a retried event is answered from this row.
    ``period`` is the cap window it fell in (``2026-03-02``, ``2026-03`` or ``ever``);
    ``dedupe_key`` is set on earning events that may earn once per subject (a SKU per window,
    a notification ever), and is unique per member.
    """

    id = BigSerial(primary_key=True)
    member = ForeignKey(Member, on_delete=OnDelete.restrict)
    client_event_id = Varchar(length=64)
    type = Varchar(length=32)
    channel = Varchar(length=8)
    subject = Varchar(length=128, null=True, default=None)
    period = Varchar(length=16)
    outcome = Varchar(length=24)
    points = BigInt(default=0)
    dedupe_key = Varchar(length=200, null=True, default=None)
    ledger_key = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()


class Referral(Table, db=DB, tablename="referral"):
    """A friend brought by a referrer's code, and what their first confirmed order decided.

    ``state``: ``pending`` (waiting for the first confirmed order), ``rewarded``, ``void``
    (the first order did not qualify; ``reason`` says why) or ``reversed`` (the rewarded
    order was refunded). One row per friend: a member can be referred once.
    """

    id = BigSerial(primary_key=True)
    referrer = ForeignKey(Member, index=True, on_delete=OnDelete.restrict)
    friend = ForeignKey(Member, unique=True, on_delete=OnDelete.restrict)
    code = Varchar(length=32)
    source = Varchar(length=16)
    state = Varchar(length=16, default="pending")
    reason = Varchar(length=48, null=True, default=None)
    order_id = Varchar(length=128, null=True, default=None)
    referrer_points = BigInt(default=0)
    friend_points = BigInt(default=0)
    referrer_coupon_id = BigInt(null=True, default=None)
    friend_coupon_id = BigInt(null=True, default=None)
    created_at = Timestamptz()
    decided_at = Timestamptz(null=True, default=None)
    reversed_at = Timestamptz(null=True, default=None)
