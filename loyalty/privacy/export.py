"""A member's whole data as one document (GDPR articles 15 and 20: access and portability).

One read per kind of record, all in one repeatable-read snapshot so the parts agree with each
other: the profile and consents, the balances, every ledger entry, order, coupon, device,
notification (with where each delivery went and how it ended), app event and referral.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import db
from loyalty.errors import NotFound

_PROFILE = """SELECT id, customer_id, email, phone, name, birthday, locale, timezone, newsletter,
    blocked, blocked_reason, available, pending, lifetime, spent, expired, last_order_at,
    points_expire_at, referral_code, referred_by, created_at, updated_at
    FROM member WHERE customer_id = $1"""

_SECTIONS: dict[str, str] = {
    "ledger": """SELECT id, kind, available, pending, lifetime, spent, expired, order_id,
        coupon_id, reason, effective_at, created_at, meta::text AS meta
        FROM ledger_entry WHERE member = $1 ORDER BY id""",
    "orders": """SELECT order_id, status, currency, total_minor, refunded_minor, channel,
        store_id, items::text AS items, coupon_code, points_redeemed, placed_at, points,
        points_state, clawed_back, created_at, updated_at
        FROM shop_order WHERE member = $1 ORDER BY placed_at, id""",
    "coupons": """SELECT id, code, source, title, kind, value, sku, min_order_minor,
        points_cost, status, issued_at, expires_at, used_at, used_order_id, voided_at,
        void_reason FROM coupon WHERE member = $1 ORDER BY id""",
    "devices": """SELECT token, platform, provider, locale, app_version, created_at, updated_at
        FROM device WHERE member = $1 ORDER BY id""",
    "notifications": """SELECT n.id, n.event, n.data::text AS data, n.status, n.created_at,
        n.processed_at, coalesce((SELECT json_agg(json_build_object(
            'channel', d.channel, 'provider', d.provider, 'target', d.target,
            'status', d.status, 'reason', d.reason, 'sent_at', d.sent_at) ORDER BY d.id)
          FROM delivery d WHERE d.notification = n.id), '[]')::text AS deliveries
        FROM notification n WHERE n.member = $1 ORDER BY n.id""",
    "activity": """SELECT client_event_id, type, channel, subject, outcome, points, created_at
        FROM activity_event WHERE member = $1 ORDER BY id""",
    "referrals": """SELECT r.state, r.source, r.order_id, r.created_at, r.decided_at,
        CASE WHEN r.referrer = $1 THEN 'referrer' ELSE 'friend' END AS role,
        CASE WHEN r.referrer = $1 THEN r.referrer_points ELSE r.friend_points END AS points
        FROM referral r WHERE r.referrer = $1 OR r.friend = $1 ORDER BY r.id""",
}
_JSON_COLUMNS = ("meta", "items", "data", "deliveries")


def _row(record: Any) -> dict[str, Any]:
    row = dict(record)
    for column in _JSON_COLUMNS:
        if column in row:
            row[column] = db.loads(row[column])
    return row


async def export(customer_id: str, *, now: datetime) -> dict[str, Any]:
    """Everything we hold about ``customer_id``; 404 when no such member exists."""
    async with db.transaction():
        await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        member = await db.fetchrow(_PROFILE, customer_id)
        if member is None:
            raise NotFound("member_not_found", f"no member with customer id {customer_id!r}")
        profile = dict(member)
        sections = {
            name: [_row(r) for r in await db.fetch(sql, profile["id"])]
            for name, sql in _SECTIONS.items()
        }
    return {
        "exported_at": now,
        "customer_id": customer_id,
        "profile": profile,
        "consents": {
            "newsletter": profile["newsletter"],
            "push": bool(sections["devices"]),
        },
        "balance": {
            k: profile[k] for k in ("available", "pending", "lifetime", "spent", "expired")
        },
        **sections,
    }
