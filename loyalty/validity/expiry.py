"""The expiry job: set-based SQL that writes one ``expire`` ledger entry per member and date.

Due members are read in keyset pages (index order, no locks) and handed to two concurrent
workers (:mod:`loyalty.validity.batches`). Each page is one transaction that locks its members
(``FOR NO KEY UPDATE SKIP LOCKED``: another run at the same time takes other members instead of
waiting, and a member whose order is in flight is left for the next run), then, reading the
state as of that lock, posts every entry of the page in one statement
(:func:`loyalty.ledger.post_expiries`: entries, cache, lots, ``lot_use``, and the passed
rolling dates consumed) and writes the ``points_expired`` notifications.

- *rolling*: members whose ``points_expire_at`` has passed lose all their available points
  (all their open lots), and the date is cleared until their next order. Members holding
  points without a date (points but no order, or the policy was ``never``) first get one,
  N days from now (:func:`stamp_undated`).
- *per lot*: lots whose ``expires_at`` has passed expire; lots without a date (earned while
  rolling was in force) follow the member's rolling date.

The key ``expire:{member}:{last valid local day}:{member's expired total before}`` is the same
for whoever computes it from the same state, so a repeated or concurrent run writes nothing
twice; the total makes a later expiry on the same day (points restored into an old lot) a new
entry instead of a silent no-op.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from loyalty import db, ledger, outbox, program
from loyalty.validity import batches, stamps

BATCH = 20_000
_ZONE = f"{stamps.zone_join('m.timezone', '$2')}"


@dataclass(slots=True)
class Report:
    policy: str
    stamped: int = 0
    batches: int = 0
    entries: int = 0
    points: int = 0
    notified: int = 0


async def run(
    now: datetime, *, batch: int = BATCH, workers: int = batches.WORKERS
) -> dict[str, Any]:
    """Expire everything due at ``now`` under the current policy; returns counts for the log."""
    rules = await program.get_rules()
    report = Report(policy=rules.validity.policy)
    walks: list[tuple[str, str]] = []
    if report.policy == "rolling":
        report.stamped = await stamp_undated(now, batch=batch)
        walks = [(_DUE_MEMBERS, _ROLLING_LOTS)]
    elif report.policy == "per_lot":
        walks = [(_DUE_LOTS, _PER_LOT_LOTS), (_DUE_MEMBERS, _PER_LOT_LOTS)]
    context = (await stamps.sql_zones(), rules.timezone, now)
    for page_sql, lots_sql in walks:

        async def work(ids: list[int], lots_sql: str = lots_sql) -> None:
            await _expire_page(ids, lots_sql, context, report)

        pages = await batches.fan_out(batches.pages(page_sql, now, batch), work, workers)
        report.batches += pages
    return {"as_of": now.isoformat(), **asdict(report)}


# Pages ($1 now, $2 $3 keyset, $4 size): members whose rolling date has passed, or members
# owning lots whose date has passed (``ids`` are members; the keyset walks the lots).
_DUE_MEMBERS = """
SELECT array_agg(id) AS ids, count(*) AS seen,
       (array_agg(at ORDER BY at DESC, id DESC))[1] AS last_at,
       (array_agg(id ORDER BY at DESC, id DESC))[1] AS last_id
FROM (
    SELECT id, points_expire_at AS at FROM member
    WHERE points_expire_at <= $1 AND (points_expire_at, id) > ($2, $3)
    ORDER BY points_expire_at, id LIMIT $4
) page
"""

_DUE_LOTS = """
SELECT array_agg(DISTINCT member) AS ids, count(*) AS seen,
       (array_agg(at ORDER BY at DESC, id DESC))[1] AS last_at,
       (array_agg(id ORDER BY at DESC, id DESC))[1] AS last_id
FROM (
    SELECT member, expires_at AS at, id FROM point_lot
    WHERE remaining > 0 AND expires_at <= $1 AND (expires_at, id) > ($2, $3)
    ORDER BY expires_at, id LIMIT $4
) page
"""

_LOCK = """
SELECT coalesce(array_agg(id), '{}') FROM (
    SELECT id FROM member WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE SKIP LOCKED
) locked
"""

# Lots to expire among locked members ($1 ids, $2 zones, $3 program zone, $4 now), with the
# entry key and the last valid local day of each.
_ROLLING_LOTS = f"""
SELECT l.member, l.id AS lot, l.remaining AS points,
       'expire:' || m.id || ':' || d.day || ':' || m.expired AS key,
       m.points_expire_at AS effective_at,
       jsonb_build_object('policy', 'rolling', 'expires_on', d.day) AS meta
FROM member m {_ZONE}
CROSS JOIN LATERAL (SELECT ((m.points_expire_at AT TIME ZONE coalesce(z.name, $3))
                            - interval '1 microsecond')::date AS day) d
JOIN point_lot l ON l.member = m.id AND l.remaining > 0
WHERE m.id = ANY($1::bigint[]) AND m.points_expire_at <= $4
"""

_PER_LOT_LOTS = f"""
SELECT l.member, l.id AS lot, l.remaining AS points,
       'expire:' || m.id || ':' || d.day || ':' || m.expired AS key,
       x.at AS effective_at,
       jsonb_build_object('policy', 'per_lot', 'expires_on', d.day) AS meta
FROM member m {_ZONE}
JOIN point_lot l ON l.member = m.id AND l.remaining > 0
CROSS JOIN LATERAL (SELECT coalesce(l.expires_at, m.points_expire_at) AS at) x
CROSS JOIN LATERAL (SELECT ((x.at AT TIME ZONE coalesce(z.name, $3))
                            - interval '1 microsecond')::date AS day) d
WHERE m.id = ANY($1::bigint[]) AND x.at <= $4
"""

_NOTICES = """
SELECT e.member, 'points_expired:' || e.idempotency_key AS dedupe_key,
       jsonb_build_object('points', e.expired, 'expires_on', e.meta->>'expires_on',
                          'expired_at', e.effective_at) AS data
FROM ledger_entry e WHERE e.id = ANY($1::bigint[])
"""


async def _expire_page(
    ids: list[int], lots_sql: str, context: tuple[Any, ...], report: Report
) -> None:
    """One page, one transaction: lock the members no one else holds, then expire what is
    due for them as of now (the lock came first, so this statement sees their current state)."""
    if not ids:
        return
    async with db.transaction():
        await batches.custom_plans()
        locked = await db.fetchval(_LOCK, ids)
        if locked:
            await _expire(lots_sql, (locked, *context), context[-1], report)


async def _expire(lots_sql: str, args: tuple[Any, ...], now: datetime, report: Report) -> None:
    """Expire the due lots of the locked members ``args[0]`` (consuming their passed rolling
    dates) and queue one ``points_expired`` notification per entry."""
    entries = await ledger.post_expiries(args[0], lots_sql, args, now=now)
    if not entries:
        return
    notified = await outbox.enqueue_select("points_expired", _NOTICES, entries, now=now)
    points = await db.fetchval("SELECT sum(expired) FROM ledger_entry WHERE id = ANY($1)", entries)
    # counted after the awaits: workers share the report, and ``x += await f()`` would read
    # x before another worker's update and lose it
    report.notified += notified
    report.points += int(points)
    report.entries += len(entries)


_STAMP = """
WITH page AS (
    SELECT id, timezone FROM member
    WHERE id > $1 AND points_expire_at IS NULL AND available > 0
    ORDER BY id LIMIT $2
    FOR NO KEY UPDATE SKIP LOCKED
), upd AS (
    UPDATE member m
    SET points_expire_at = ((($3 AT TIME ZONE t.tz)::date + $4::int + 1)::timestamp
                            AT TIME ZONE t.tz)
    FROM (SELECT p.id, coalesce(z.name, $6) AS tz
          FROM page p LEFT JOIN unnest($5::text[]) AS z(name) ON z.name = p.timezone) t
    WHERE m.id = t.id
)
SELECT count(*) AS n, max(id) AS last_id FROM page
"""


async def stamp_undated(now: datetime, *, batch: int = BATCH) -> int:
    """Rolling: give members who hold points but have no date one, N days from ``now``.

    Points that arrive without an order (staff grants, activity rewards, an order confirmed
    after the date was consumed) start the clock at the first run that sees them; so does a
    switch from ``never`` to rolling, which therefore never expires anything at once.
    """
    rules = await program.get_rules()
    zones = await stamps.sql_zones()
    stamped, last_id, full = 0, 0, True
    while full:
        async with db.transaction():
            row = await db.fetchrow(
                _STAMP, last_id, batch, now, rules.validity.days, zones, rules.timezone
            )
        assert row is not None
        stamped += int(row["n"])
        last_id, full = row["last_id"], row["n"] == batch
    return stamped
