"""The tiers area's table: each member's current level and until when it is kept."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from loyalty.db import DB
from loyalty.tables import Member


class MemberTier(Table, db=DB, tablename="member_tier"):
    """A member's level (``tier_id`` of ``rules.tiers.levels``), reached at ``since``.

    ``retained_until``: before then the member never moves down (rule 13); the daily ``tiers``
    job moves them down after it when their window no longer qualifies. ``manual`` marks a
    level staff set by hand (with ``reason``; audited)."""

    member = ForeignKey(Member, unique=True, on_delete=OnDelete.restrict)
    tier_id = Varchar(length=64)
    since = Timestamptz()
    retained_until = Timestamptz(index=True)
    manual = Boolean(default=False)
    reason = Text(null=True, default=None)
    updated_at = Timestamptz()
