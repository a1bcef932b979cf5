"""The periodic balance summary: a ``balance_summary`` notification with available, spent and
lifetime points (and pending, expired) to every member with points, once per period.

The schedule (``ProgramRules.summary``) names a day per week, month or quarter in the
program's time zone. The job may run daily (or be late): from that day on, until the period is
done, it walks members in id order in batches, one transaction each, recording how far it got
in ``summary_run`` so a restart resumes there. The dedupe key
``balance_summary:{member}:{period}`` sends each member one per period whatever happens.
Members who joined after the period's day, blocked members and members who never had a point
are left out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from loyalty import db, outbox, program
from loyalty.validity import dates
from schemas.program import BalanceSummary

BATCH = 20_000


def period_of(schedule: BalanceSummary, today: date) -> tuple[str, date]:
    """The period ``today`` falls in and the day its summary is due."""
    if schedule.every == "week":
        iso = today.isocalendar()
        return f"{iso.year}-W{iso.week:02d}", date.fromisocalendar(iso.year, iso.week, schedule.day)
    if schedule.every == "quarter":
        quarter = (today.month - 1) // 3 + 1
        return f"{today.year}-Q{quarter}", date(today.year, 3 * quarter - 2, schedule.day)
    return f"{today.year}-{today.month:02d}", date(today.year, today.month, schedule.day)


_ROWS = """
SELECT m.id AS member, 'balance_summary:' || m.id || ':' || $3::text AS dedupe_key,
       jsonb_build_object('period', $3::text, 'available', m.available, 'spent', m.spent,
                          'lifetime', m.lifetime, 'pending', m.pending,
                          'expired', m.expired) AS data
FROM member m
WHERE m.id > $1 AND m.id <= $2 AND NOT m.blocked AND m.created_at < $4
  AND (m.lifetime > 0 OR m.available <> 0 OR m.pending > 0)
"""


async def run(now: datetime, *, batch: int = BATCH) -> dict[str, Any]:
    """Send this period's summaries if they are due and not done; returns counts for the log."""
    rules = await program.get_rules()
    report: dict[str, Any] = {"as_of": now.isoformat(), "period": None, "sent": 0}
    if not rules.summary.enabled:
        return report
    tz = dates.zone(None, rules.timezone)
    period, day = period_of(rules.summary, dates.local_day(now, tz))
    report["period"] = period
    if dates.local_day(now, tz) < day:
        return report
    due_at = dates.start_of_day(day, tz)
    await db.execute(
        """INSERT INTO summary_run (period, due_at, last_member, sent) VALUES ($1, $2, 0, 0)
           ON CONFLICT (period) DO NOTHING""",
        period,
        due_at,
    )
    while (sent := await _batch(period, due_at, now, batch)) is not None:
        report["sent"] += sent
    return report


async def _batch(period: str, due_at: datetime, now: datetime, batch: int) -> int | None:
    """Send one batch in its own transaction; ``None`` once the period is done."""
    async with db.transaction():
        sent = await _batch_locked(period, due_at, now, batch)
    return sent


async def _batch_locked(period: str, due_at: datetime, now: datetime, batch: int) -> int | None:
    """The next batch after the run row's ``last_member``; the row's lock serialises
    concurrent runs of one period."""
    run_row = await db.fetchrow(
        "SELECT last_member, finished_at FROM summary_run WHERE period = $1 FOR UPDATE",
        period,
    )
    assert run_row is not None
    if run_row["finished_at"] is not None:
        return None
    last = run_row["last_member"]
    high = await db.fetchval(
        "SELECT max(id) FROM (SELECT id FROM member WHERE id > $1 ORDER BY id LIMIT $2) p",
        last,
        batch,
    )
    if high is None:
        await db.execute("UPDATE summary_run SET finished_at = $2 WHERE period = $1", period, now)
        return None
    sent = await outbox.enqueue_select(
        "balance_summary", _ROWS, last, high, period, due_at, now=now
    )
    await db.execute(
        "UPDATE summary_run SET last_member = $2, sent = sent + $3 WHERE period = $1",
        period,
        high,
        sent,
    )
    return sent
