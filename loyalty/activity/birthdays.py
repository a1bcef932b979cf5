"""The birthday rule: once a year, on the member's birthday in the member's time zone.

The job runs every hour (``jobs/activity.py``). A member is due from 08:00 local time on the
birthday (``LOCAL_HOUR``) until ``GRACE_DAYS`` later, so a worker that was down catches up
and a push never lands at midnight. Born on 29 February: in other years the birthday is
28 February (it stays in the birth month). The key ``activity:birthday:{member}:{year}``
makes it once a year whatever runs twice, and a birthday edited after the award cannot earn
again that year.

Selection is one SQL statement over the members whose month-day is near the date (an
expression index serves it); awards then go in transactions of ``BATCH`` members, locked in
id order (so two runs at once cannot deadlock), each award idempotent by its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from loyalty import db, locking, program
from loyalty.activity import awards
from schemas.program import ActivityReward

LOCAL_HOUR = time(8, 0)
GRACE_DAYS = 2
BATCH = 100  # awards per transaction: fewer commits; members are locked in id order

_DUE = """
WITH zones AS (SELECT name FROM pg_timezone_names),
candidates AS (
    SELECT m.id, m.birthday, coalesce(z.name, $2) AS tz
    FROM member m LEFT JOIN zones z ON z.name = m.timezone
    WHERE m.birthday IS NOT NULL AND NOT m.blocked
      AND (extract(month FROM m.birthday) * 100 + extract(day FROM m.birthday))
          = ANY($3::numeric[])
),
years AS (
    SELECT c.id, c.birthday, c.tz, y.year
    FROM candidates c
    CROSS JOIN LATERAL (
        SELECT extract(year FROM $1::timestamptz AT TIME ZONE c.tz)::int AS this_year
    ) t
    CROSS JOIN LATERAL (VALUES (t.this_year), (t.this_year - 1)) y(year)
),
moments AS (
    SELECT id, year,
           (make_date(year, extract(month FROM birthday)::int,
                      CASE WHEN extract(month FROM birthday) = 2
                                AND extract(day FROM birthday) = 29
                                AND NOT (year % 4 = 0 AND (year % 100 <> 0 OR year % 400 = 0))
                           THEN 28 ELSE extract(day FROM birthday)::int END)
            + $4::time) AT TIME ZONE tz AS due_at
    FROM years
)
SELECT id, year FROM moments
WHERE due_at <= $1 AND $1 < due_at + make_interval(days => $5)
  AND NOT EXISTS (
      SELECT 1 FROM ledger_entry e
      WHERE e.idempotency_key = 'activity:birthday:' || moments.id || ':' || moments.year
  )
ORDER BY id
"""


@dataclass(frozen=True, slots=True)
class Run:
    due: int
    awarded: int
    enabled: bool


def month_days(as_of: datetime) -> list[int]:
    """``month * 100 + day`` of every date some time zone may be living, minus the grace.

    Local dates range from UTC's date - 1 to + 1; 29 February joins when 28 February of a
    common year is among them.
    """
    utc_day = as_of.astimezone(UTC).date()
    days = [utc_day + timedelta(days=k) for k in range(-GRACE_DAYS - 1, 2)]
    found = {d.month * 100 + d.day for d in days}
    if any(d.month == 2 and d.day == 28 and not _leap(d.year) for d in days):
        found.add(229)
    return sorted(found)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


async def due(as_of: datetime) -> list[tuple[int, int]]:
    """``(member id, birthday year)`` of every member due a birthday award at ``as_of``."""
    rules = await program.get_rules()
    rows = await db.fetch(_DUE, as_of, rules.timezone, month_days(as_of), LOCAL_HOUR, GRACE_DAYS)
    return [(r["id"], r["year"]) for r in rows]


async def run(as_of: datetime) -> Run:
    """Award every due member (the ``birthdays`` job), ``BATCH`` members per transaction."""
    rules = await program.get_rules()
    rule = rules.activity.birthday
    if not (rules.active and rule.enabled and rule.points > 0):
        return Run(due=0, awarded=0, enabled=False)
    members = await due(as_of)
    awarded = 0
    for start in range(0, len(members), BATCH):
        async with db.transaction():
            for member_id, year in members[start : start + BATCH]:
                awarded += await award(member_id, year, rule, now=as_of)
    return Run(due=len(members), awarded=awarded, enabled=True)


async def award(member_id: int, year: int, rule: ActivityReward, *, now: datetime) -> int:
    """One member's birthday points for ``year`` (1 if credited now, 0 if not)."""
    async with db.transaction():
        member = await locking.lock_member(member_id)
        if member is None or member.blocked:
            return 0
        posted = await awards.credit(
            member_id,
            rule.points,
            rule="birthday",
            key=f"activity:birthday:{member_id}:{year}",
            now=now,
            notify="birthday" if rule.notify else None,
            data={"message": rule.message, "year": year},
        )
    return 0 if posted is None else 1
