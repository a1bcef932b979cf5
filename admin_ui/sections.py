"""Plug-in sections of the member page: coupons, devices, notifications sent.

Each section is filled by the domain functions of the area that owns it (``loyalty.rewards``,
``loyalty.notify``), looked up when the page renders. While an area is not installed its
section says so instead of failing, so the page works at every stage of the build. To plug an
area in, give it a loader here (a read-only domain call, no SQL in this package).
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from loyalty import outbox


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
    missing: str | None = None
    note: str | None = None


Loader = Callable[[dict[str, Any], datetime], Awaitable[Section]]


def area(module: str) -> ModuleType | None:
    """The area's module when it is installed, else ``None``."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


def _short_token(token: str) -> str:
    return token if len(token) <= 16 else f"{token[:8]}…{token[-6:]}"


async def devices(member: dict[str, Any], now: datetime) -> Section:
    section = Section("devices", "Devices", ("Platform", "Provider", "Token", "Locale", "Since"))
    mod = area("loyalty.notify.devices")
    if mod is None or not hasattr(mod, "of_member"):
        section.missing = "Devices appear here once the notification area (loyalty.notify) is in."
        return section
    for d in await mod.of_member(member["customer_id"]):
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
    deliveries = area("loyalty.notify.delivery")
    if deliveries is None or not hasattr(deliveries, "of_member"):
        section.note = (
            "Outbox status per event. Outcomes per channel and device appear here once "
            "loyalty.notify offers a read of a member's deliveries (delivery.of_member)."
        )
        return section
    by_note: dict[int, list[str]] = {}
    for d in await deliveries.of_member(member["id"], limit=100):
        by_note.setdefault(d["notification"], []).append(f"{d['channel']} {d['status']}")
    section.columns = (*section.columns, "Deliveries")
    section.rows = [
        (*row, ", ".join(by_note.get(n["id"], [])))
        for row, n in zip(section.rows, notes, strict=True)
    ]
    return section


async def coupons(member: dict[str, Any], now: datetime) -> Section:
    section = Section(
        "coupons",
        "Coupons",
        ("Code", "Title", "From", "Status", "Issued", "Valid until", "Used on order"),
    )
    mod = area("loyalty.rewards.coupons")
    codes = area("loyalty.rewards.codes")
    if mod is None or codes is None or not hasattr(mod, "list_for_member"):
        section.missing = "Coupons appear here once the rewards area (loyalty.rewards) is in."
        return section
    for c in await mod.list_for_member(member["id"], now=now, limit=30):
        section.rows.append(
            (
                codes.display(c["code"]),
                c["title"],
                c["source"],
                mod.status_at(c, now),
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
