"""Sections of the member page: coupons, devices, notifications sent.

Each section is filled by a read-only domain function of the area that owns it
(``loyalty.rewards``, ``loyalty.notify``); no SQL in this package. To add a section, give it a
loader here and list it in :data:`MEMBER_SECTIONS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from loyalty import outbox
from loyalty.notify import devices as notify_devices
from loyalty.rewards import codes
from loyalty.rewards import coupons as rewards_coupons


@dataclass(slots=True)
class Action:
    """A per-row button: a CSRF-protected POST to ``url``."""

    label: str
    url: str


@dataclass(slots=True)
class Section:
    key: str
    title: str
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    actions: list[list[Action]] = field(default_factory=list)
    empty: str = "Nothing yet."
    note: str | None = None


Loader = Callable[[dict[str, Any], datetime], Awaitable[Section]]


def _short_token(token: str) -> str:
    return token if len(token) <= 16 else f"{token[:8]}…{token[-6:]}"


async def devices(member: dict[str, Any], now: datetime) -> Section:
    section = Section("devices", "Devices", ("Platform", "Provider", "Token", "Locale", "Since"))
    for d in await notify_devices.of_member(member["customer_id"]):
        section.rows.append(
            (d["platform"], d["provider"], _short_token(d["token"]), d["locale"], d["created_at"])
        )
    section.empty = "No device registered for pushes."
    return section


async def notifications(member: dict[str, Any], now: datetime) -> Section:
    section = Section(
        "notifications",
        "Notifications sent",
        ("Event", "Outbox status", "Attempts", "Created", "Processed"),
        empty="Nothing was sent to this member yet.",
    )
    notes = await outbox.recent_for_member(member["id"], limit=20)
    section.rows = [
        (n["event"], n["status"], n["attempts"], n["created_at"], n["processed_at"]) for n in notes
    ]
    section.note = (
        "Outbox status per event. Outcomes per channel and device appear here once "
        "loyalty.notify offers a read of a member's deliveries (delivery.of_member)."
    )
    return section


async def coupons(member: dict[str, Any], now: datetime) -> Section:
    section = Section(
        "coupons",
        "Coupons",
        ("Code", "Title", "From", "Status", "Issued", "Valid until", "Used on order"),
    )
    for c in await rewards_coupons.list_for_member(member["id"], now=now, limit=30):
        section.rows.append(
            (
                codes.display(c["code"]),
                c["title"],
                c["source"],
                rewards_coupons.status_at(c, now),
                c["issued_at"],
                c["expires_at"],
                c["used_order_id"],
            )
        )
    section.empty = "No coupons yet."
    section.note = "Resending a coupon email is not available yet (needs a notify/rewards call)."
    return section


MEMBER_SECTIONS: list[Loader] = [coupons, devices, notifications]


async def for_member(member: dict[str, Any], now: datetime) -> list[Section]:
    return [await load(member, now) for load in MEMBER_SECTIONS]
