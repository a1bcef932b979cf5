"""Devices the app registers for pushes (``PUT``/``DELETE /v1/me/devices/{token}``).

A token names one app install on one phone. Registering it again only refreshes it; when a
different member registers it (someone else logged in on that phone), it moves to them, so
the previous member's pushes stop going to a phone they no longer use. Pushes follow the
device's ``provider``: FCM for Android (and iOS apps that use FCM), APNs for iOS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from loyalty import db, members
from loyalty.errors import Invalid

APNS_TOKEN = re.compile(r"^[0-9a-fA-F]{64,200}$")
_COLUMNS = "token, platform, provider, locale, app_version, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class Registration:
    """What the app says about itself when it registers a token."""

    platform: str
    provider: str
    locale: str | None = None
    app_version: str | None = None


def check(token: str, reg: Registration) -> None:
    """Refuse combinations no provider can deliver to (422 naming the field)."""
    if reg.platform == "android" and reg.provider != "fcm":
        raise Invalid(
            "invalid_device", "android devices receive pushes through fcm", field="provider"
        )
    if reg.provider == "apns":
        if reg.platform != "ios":
            raise Invalid("invalid_device", "apns delivers to ios devices only", field="platform")
        if not APNS_TOKEN.match(token):
            raise Invalid(
                "invalid_device", "an APNs device token is 64 or more hex digits", field="token"
            )


async def register(
    customer_id: str, token: str, reg: Registration, *, now: datetime
) -> dict[str, Any]:
    """Create, refresh or move the device (the same call twice is harmless); returns it."""
    check(token, reg)
    async with db.transaction():
        member_id = await members.ensure(customer_id, now=now)
        row = await db.fetchrow(
            f"""INSERT INTO device (token, member, platform, provider, locale, app_version,
                   created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                ON CONFLICT (token) DO UPDATE SET member = EXCLUDED.member,
                   platform = EXCLUDED.platform, provider = EXCLUDED.provider,
                   locale = EXCLUDED.locale, app_version = EXCLUDED.app_version,
                   updated_at = EXCLUDED.updated_at,
                   created_at = CASE WHEN device.member = EXCLUDED.member
                                     THEN device.created_at ELSE EXCLUDED.created_at END
                RETURNING {_COLUMNS}""",
            token,
            member_id,
            reg.platform,
            reg.provider,
            reg.locale,
            reg.app_version,
            now,
        )
    assert row is not None
    return dict(row)


async def unregister(customer_id: str, token: str) -> bool:
    """Forget the device if it is this member's; True when something was removed."""
    status = await db.execute(
        """DELETE FROM device d USING member m
           WHERE d.token = $1 AND d.member = m.id AND m.customer_id = $2""",
        token,
        customer_id,
    )
    return status != "DELETE 0"


async def of_member(customer_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        f"""SELECT {", ".join("d." + c.strip() for c in _COLUMNS.split(","))}
            FROM device d JOIN member m ON m.id = d.member
            WHERE m.customer_id = $1 ORDER BY d.id""",
        customer_id,
    )
    return [dict(r) for r in rows]


async def prune(tokens: list[str]) -> int:
    """Remove devices whose provider said the token is dead. Returns how many went."""
    if not tokens:
        return 0
    status = await db.execute("DELETE FROM device WHERE token = ANY($1::text[])", tokens)
    return int(status.split()[-1])
