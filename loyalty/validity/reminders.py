"""Reminders before points expire (rule 7): ``points_expiring`` outbox notifications.

The reminder for offset *k* belongs to local day ``expires_on - k`` (``expires_on`` is the last
day the points can be used, in the member's time zone). Each run, set-based, gives every member
with points expiring within the largest offset at most one reminder: the one of the smallest
offset whose day has come (so a run that was missed catches up with the latest reminder only),
and only if the member already faced that expiry date on that day (so a member who joins ten
days before the date gets the 7-day reminder, not the 14-day one). The dedupe key
``points_expiring:{member}:{expires_on}:{k}`` sends each once; an order that moves the date
changes ``expires_on``, so what was left for the old date is never sent.

Rolling: the member's date and all available points. Per lot: each date on which some of the
member's lots expire, with the points expiring then (lots earned before per-lot validity follow
the member's rolling date). Blocked members are not reminded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from loyalty import db, outbox, program
from loyalty.validity import batches, stamps
from loyalty.webhooks import events as webhook_events

BATCH = 20_000

# Candidates (member, at, points, since) -> notification rows. $1 now, $2 zones,
# $3 program zone, $4 offsets (ascending), $5 horizon, then the candidates' own parameters.
# k, the smallest offset >= days left, is a binary search: width_bucket over the offsets.
_WRAP = """
WITH cand AS ({candidates}), dated AS MATERIALIZED (
    SELECT c.member, c.at, c.points, coalesce(z.name, $3) AS tz,
           greatest(m.created_at, c.since) AS since
    FROM cand c JOIN member m ON m.id = c.member
    LEFT JOIN unnest($2::text[]) AS z(name) ON z.name = m.timezone
    WHERE c.points > 0 AND NOT m.blocked
), days AS MATERIALIZED (
    SELECT member, at, points,
           ((at AT TIME ZONE tz) - interval '1 microsecond')::date AS expires_on,
           ($1::timestamptz AT TIME ZONE tz)::date AS today,
           (since AT TIME ZONE tz)::date AS known_on
    FROM dated
), due AS MATERIALIZED (
    SELECT d.*, expires_on - today AS days_left,
           ($4::int[])[width_bucket(d.expires_on - d.today - 1, $4::int[]) + 1] AS k
    FROM days d
)
SELECT member, 'points_expiring:' || member || ':' || expires_on || ':' || k AS dedupe_key,
       jsonb_build_object('points', points, 'expires_at', at, 'expires_on', expires_on,
                          'days_left', days_left, 'offset', k) AS data
FROM due WHERE k IS NOT NULL AND expires_on - k >= known_on
"""

_ROLLING = """
SELECT m.id AS member, m.points_expire_at AS at, m.available AS points,
       coalesce(m.last_order_at, m.created_at) AS since
FROM member m
WHERE m.id = ANY($6::bigint[]) AND m.points_expire_at > $1 AND m.points_expire_at <= $5
"""

_ROLLING_PAGE = """
SELECT array_agg(id) AS ids, count(*) AS seen,
       (array_agg(at ORDER BY at DESC, id DESC))[1] AS last_at,
       (array_agg(id ORDER BY at DESC, id DESC))[1] AS last_id
FROM (
    SELECT id, points_expire_at AS at FROM member
    WHERE points_expire_at > $1 AND points_expire_at <= $5 AND (points_expire_at, id) > ($2, $3)
    ORDER BY points_expire_at, id LIMIT $4
) page
"""

_PER_LOT = """
SELECT l.member, l.expires_at AS at, sum(l.remaining) AS points, min(l.earned_at) AS since
FROM point_lot l
WHERE l.remaining > 0 AND l.expires_at > $1 AND l.expires_at <= $5
GROUP BY l.member, l.expires_at
UNION ALL
SELECT m.id, m.points_expire_at, sum(l.remaining), coalesce(m.last_order_at, m.created_at)
FROM member m
JOIN point_lot l ON l.member = m.id AND l.remaining > 0 AND l.expires_at IS NULL
WHERE m.points_expire_at > $1 AND m.points_expire_at <= $5
GROUP BY m.id
"""


async def run(
    now: datetime, *, batch: int = BATCH, workers: int = batches.WORKERS
) -> dict[str, Any]:
    """Write every reminder due at ``now``; returns counts for the log."""
    rules = await program.get_rules()
    validity = rules.validity
    report: dict[str, Any] = {"as_of": now.isoformat(), "policy": validity.policy, "sent": 0}
    offsets = sorted(validity.reminder_days)
    if validity.policy == "never" or not offsets:
        return report
    horizon = now + timedelta(days=offsets[-1] + 2)
    base = (now, await stamps.sql_zones(), rules.timezone, offsets, horizon)
    if validity.policy == "per_lot":
        sql = _WRAP.format(candidates=_PER_LOT)
        report["sent"] = await outbox.enqueue_select("points_expiring", sql, *base, now=now)
        await webhook_events.emit_select("points.expiring", sql, *base, now=now)
        return report
    report["sent"] = await _rolling(base, batch, workers)
    return report


async def _rolling(base: tuple[Any, ...], batch: int, workers: int) -> int:
    """Members whose date falls in the window, in keyset pages, a transaction each."""
    now, horizon = base[0], base[-1]
    sql = _WRAP.format(candidates=_ROLLING)
    sent: list[int] = []

    async def work(ids: list[int]) -> None:
        async with db.transaction():
            await batches.custom_plans()
            sent.append(await outbox.enqueue_select("points_expiring", sql, *base, ids, now=now))
            await webhook_events.emit_select("points.expiring", sql, *base, ids, now=now)

    await batches.fan_out(batches.pages(_ROLLING_PAGE, now, batch, horizon), work, workers)
    return sum(sent)
