"""Validity's one table: progress of each balance-summary period."""

from __future__ import annotations

from piccolo.columns import BigInt, Timestamptz, Varchar
from piccolo.table import Table

from loyalty.db import DB


class SummaryRun(Table, db=DB, tablename="summary_run"):
    """One period of the balance summary (``2027-01``, ``2027-Q1``, ``2027-W05``): how far its
    sending got (members in id order), so a restart resumes there and a finished period is
    never scanned again."""

    period = Varchar(length=16, primary_key=True)
    due_at = Timestamptz()
    last_member = BigInt(default=0)
    sent = BigInt(default=0)
    finished_at = Timestamptz(null=True, default=None)
