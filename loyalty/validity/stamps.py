"""Setting expiry dates when points and orders arrive, and reading them back.

Dates are stamped with the settings in force at the moment they are set, and never rewritten
when marketing later changes the policy or N ("from that moment on", docs/expiry.md):

- *rolling*: each order moves ``member.points_expire_at`` to the end of the member's local day
  N days after the latest ``placed_at`` (:func:`stamp_last_order`, a reaction to
  ``OrderAdvanced``, priority 20);
- *per lot*: each new lot gets ``point_lot.expires_at`` N days after it was earned
  (:func:`date_new_lot`, a reaction to ``PointsMoved``, priority 5: before any other reaction
  reads lots);
- *never*: orders clear the rolling date and lots get none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from loyalty import db, program, reactions
from loyalty.validity import dates
from schemas.program import ProgramRules, Validity

_DEFAULTS = ProgramRules()


@dataclass(frozen=True, slots=True)
class Outlook:
    """The next expiry a member faces: when, which local day, how many points."""

    expires_at: datetime | None = None
    expires_on: date | None = None
    points: int = 0


_SETTINGS = """
SELECT m.timezone, m.last_order_at, m.points_expire_at,
       p.rules->'validity' AS validity, p.rules->>'timezone' AS program_zone
FROM member m LEFT JOIN program p ON p.id = 1 WHERE m.id = $1
"""


@dataclass(frozen=True, slots=True)
class _Member:
    """A member's dates with the validity settings and time zone that apply to them now: one
    small query (only the validity part of the program), as it runs for every order and lot."""

    last_order_at: datetime | None
    points_expire_at: datetime | None
    validity: Validity
    tz: ZoneInfo


async def _member(member_id: int, *, lock: bool) -> _Member:
    row = await db.fetchrow(_SETTINGS + (" FOR NO KEY UPDATE OF m" if lock else ""), member_id)
    assert row is not None, f"member {member_id} vanished"
    raw = row["validity"]
    validity = msgspec.json.decode(raw, type=Validity) if raw else Validity()
    tz = dates.zone(row["timezone"], row["program_zone"] or _DEFAULTS.timezone)
    return _Member(row["last_order_at"], row["points_expire_at"], validity, tz)


@reactions.on_order_advanced(20)
async def stamp_last_order(event: reactions.OrderAdvanced) -> None:
    """A new (not cancelled) order: the last-order date and the rolling date move forward.
    An order cancelled later gives back what it moved: placing and cancelling wins no days."""
    if event.previous_status is None and event.status != "cancelled":
        await _move_last_order(event.member_id, event.placed_at, known=event.member)
    elif event.status == "cancelled" and event.previous_status not in (None, "cancelled"):
        await on_cancel(event.member_id, event.order_id, event.placed_at)


_LAST_KEPT = """
SELECT max(placed_at) FROM shop_order
WHERE member = $1 AND order_id <> $2 AND status <> 'cancelled'
"""


async def on_cancel(member_id: int, order_id: str, placed_at: datetime) -> None:
    """The cancelled order was the latest: the last-order date goes back to the latest order
    still standing, and the rolling date to N days after it (never later than it was; no
    order left means no date, as before the first one). A later order than the cancelled one
    keeps both dates: the cancelled order moved nothing that still shows."""
    m = await _member(member_id, lock=True)
    if m.last_order_at is None or placed_at < m.last_order_at:
        return
    last: datetime | None = await db.fetchval(_LAST_KEPT, member_id, order_id)
    expires = None
    if last is not None and m.validity.policy != "never":
        expires = dates.expiry_after(last, m.validity.days, m.tz)
        if m.points_expire_at is not None:
            expires = min(expires, m.points_expire_at)
    await db.execute(
        "UPDATE member SET last_order_at = $2, points_expire_at = $3 WHERE id = $1",
        member_id,
        last,
        expires,
    )


async def _known(known: reactions.MemberFacts) -> _Member:
    """The member's dates as the order path read them under its lock, with the validity
    settings of the (cached) rules: no query."""
    rules = await program.get_rules()
    tz = dates.zone(known.timezone, rules.timezone)
    return _Member(known.last_order_at, known.points_expire_at, rules.validity, tz)


async def _move_last_order(
    member_id: int, placed_at: datetime, *, known: reactions.MemberFacts | None = None
) -> None:
    """Move the last-order date and the rolling date to ``placed_at``.

    The date never moves back (after N was shortened, an order gives no less than the member
    already had). An order older than the last one moves nothing, except that a member whose
    date was consumed by an expiry gets it back from the last order (imported history). Runs in
    the order's transaction; locks the member row (after the order row, as everywhere), unless
    the caller read it ``known`` under that lock. Writes only when a date moves.
    """
    m = await _known(known) if known is not None else await _member(member_id, lock=True)
    never = m.validity.policy == "never"
    if m.last_order_at is not None and placed_at <= m.last_order_at:
        if m.points_expire_at is not None or never:
            return
        placed_at = m.last_order_at
    expires = None if never else dates.expiry_after(placed_at, m.validity.days, m.tz)
    if expires is not None and m.points_expire_at is not None:
        expires = max(expires, m.points_expire_at)  # a shorter N takes no days already given
    if (placed_at, expires) == (m.last_order_at, m.points_expire_at):
        return
    await db.execute(
        "UPDATE member SET last_order_at = $2, points_expire_at = $3 WHERE id = $1",
        member_id,
        placed_at,
        expires,
    )


_NEW_LOT = """
SELECT l.id, l.earned_at FROM point_lot l WHERE l.entry = $1 AND l.expires_at IS NULL
"""


@reactions.on_points_moved(5)
async def date_new_lot(event: reactions.PointsMoved) -> None:
    """Per-lot validity: the lot a credit made expires N days after it was earned.

    Other policies are answered from the cached rules, without a query (the common case)."""
    if event.delta.available <= 0:
        return
    if (await program.get_rules()).validity.policy != "per_lot":
        return
    m = await _member(event.member_id, lock=False)
    if m.validity.policy != "per_lot":
        return
    lot = await db.fetchrow(_NEW_LOT, event.entry_id)
    if lot is None:  # only repaid a negative balance, restored old lots, or dated by the caller
        return
    await db.execute(
        "UPDATE point_lot SET expires_at = $2 WHERE id = $1",
        lot["id"],
        dates.expiry_after(lot["earned_at"], m.validity.days, m.tz),
    )


_NEXT_LOT = """
SELECT coalesce(l.expires_at, m.points_expire_at) AS expires_at, sum(l.remaining) AS points
FROM point_lot l JOIN member m ON m.id = l.member
WHERE l.member = $1 AND l.remaining > 0
GROUP BY 1 ORDER BY 1 NULLS LAST LIMIT 1
"""


async def outlook(member: dict[str, Any], rules: ProgramRules) -> Outlook:
    """What ``GET /v1/me`` shows: the next expiry and the points at stake then."""
    tz = dates.zone(member["timezone"], rules.timezone)
    policy = rules.validity.policy
    if policy == "rolling" and member["points_expire_at"] and member["available"] > 0:
        at: datetime = member["points_expire_at"]
        return Outlook(at, dates.last_valid_day(at, tz), member["available"])
    if policy == "per_lot" and member["available"] > 0:
        row = await db.fetchrow(_NEXT_LOT, member["id"])
        if row is not None and row["expires_at"] is not None:
            at = row["expires_at"]
            return Outlook(at, dates.last_valid_day(at, tz), int(row["points"]))
    return Outlook()


_zones: list[str] | None = None


async def sql_zones() -> list[str]:
    """Zone names both PostgreSQL and Python know: SQL resolves a member's zone by joining this
    list (``zone_join``), so one bad stored name falls back to the program's zone instead of
    failing a whole batch."""
    global _zones
    if _zones is None:
        rows = await db.fetch("SELECT name FROM pg_timezone_names")
        _zones = sorted(r["name"] for r in rows if dates.is_zone(r["name"]))
    return _zones


def zone_join(column: str, zones_param: str) -> str:
    """SQL: ``LEFT JOIN`` giving ``z.name``, the member's zone when valid (else NULL)."""
    return f"LEFT JOIN unnest({zones_param}::text[]) AS z(name) ON z.name = {column}"
