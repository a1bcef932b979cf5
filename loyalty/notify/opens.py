"""Opens and delivery counts: what the app reports, and what insight reads.

The app reports an open with ``POST /v1/me/events`` (``notification_open`` with the
``notification_id`` every push carries in its data); that handler calls :func:`mark_opened`.
"""

from __future__ import annotations

from datetime import datetime

from loyalty import db
from loyalty.errors import NotFound


async def mark_opened(member_id: int, notification_id: int, now: datetime) -> bool:
    """Record that the member opened their notification; True the first time only.

    Raises :class:`NotFound` when the notification is not this member's (or does not exist),
    so nobody can mark someone else's. Runs inside the caller's transaction when there is one.
    """
    owned = await db.fetchval(
        "SELECT 1 FROM notification WHERE id = $1 AND member = $2", notification_id, member_id
    )
    if not owned:
        raise NotFound("notification_not_found", f"no notification {notification_id} for you")
    new = await db.fetchval(
        """INSERT INTO notification_open (notification, member, opened_at) VALUES ($1, $2, $3)
           ON CONFLICT (notification) DO NOTHING RETURNING id""",
        notification_id,
        member_id,
        now,
    )
    return new is not None


async def delivery_counts(since: datetime, until: datetime) -> dict[str, int]:
    """Outcomes per channel of deliveries last updated in [since, until), plus opens.

    Keys are ``<channel>_<status>`` (``push_sent``, ``email_failed``...) and ``opened``
    (notifications opened in the window). ``push_sent`` is what the providers accepted.
    """
    rows = await db.fetch(
        """SELECT channel, status, count(*) AS n FROM delivery
           WHERE updated_at >= $1 AND updated_at < $2 GROUP BY channel, status""",
        since,
        until,
    )
    counts = {f"{r['channel']}_{r['status']}": int(r["n"]) for r in rows}
    counts["opened"] = int(
        await db.fetchval(
            "SELECT count(*) FROM notification_open WHERE opened_at >= $1 AND opened_at < $2",
            since,
            until,
        )
    )
    return counts
