"""The audit trail of staff actions: who, when, what, on whom, why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loyalty import db


async def record(
    actor: str,
    action: str,
    *,
    now: datetime,
    target: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one audit row; call inside the transaction of the action it describes."""
    await db.execute(
        "INSERT INTO audit_log (at, actor, action, target, reason, details)"
        " VALUES ($1, $2, $3, $4, $5, $6::jsonb)",
        now,
        actor,
        action,
        target,
        reason,
        db.dumps(details or {}),
    )


async def search(
    *, actor: str | None, action: str | None, target: str | None, limit: int
) -> list[dict[str, Any]]:
    """Audit rows, newest first, optionally filtered."""
    rows = await db.fetch(
        """SELECT id, at, actor, action, target, reason, details::text AS details FROM audit_log
           WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
             AND ($3::text IS NULL OR target = $3)
           ORDER BY id DESC LIMIT $4""",
        actor,
        action,
        target,
        limit,
    )
    return [{**dict(r), "details": db.loads(r["details"])} for r in rows]


async def page(
    *,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Audit rows newest first, filtered (``action`` may end in ``*`` for a prefix) and
    keyset-paginated by id (the back office's audit page and its CSV export)."""
    prefix = action[:-1] if action and action.endswith("*") else None
    rows = await db.fetch(
        """SELECT id, at, actor, action, target, reason, details::text AS details FROM audit_log
           WHERE ($1::text IS NULL OR actor = $1)
             AND ($2::text IS NULL OR action = $2)
             AND ($3::text IS NULL OR starts_with(action, $3))
             AND ($4::text IS NULL OR target = $4)
             AND ($5::timestamptz IS NULL OR at >= $5)
             AND ($6::timestamptz IS NULL OR at < $6)
             AND ($7::bigint IS NULL OR id < $7)
           ORDER BY id DESC LIMIT $8""",
        actor,
        None if prefix is not None else action,
        prefix,
        target,
        since,
        until,
        before_id,
        limit,
    )
    return [{**dict(r), "details": db.loads(r["details"])} for r in rows]
