"""The import area's one table: how far each import of a file got, so a rerun resumes."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Timestamptz, Varchar
from piccolo.table import Table

from loyalty.db import DB


class ImportRun(Table, db=DB, tablename="import_run"):
    """One import of one file. ``fingerprint`` (size and a hash of its start) recognises the
    same file again; ``lines_done`` is the last line whose rows are all committed, so a rerun
    skips to it. Rows are idempotent anyway: resuming only saves the time."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=16)
    source = Varchar(length=1024)
    fingerprint = Varchar(length=128, null=True, default=None, index=True)
    lines_done = BigInt(default=0)
    rows_ok = BigInt(default=0)
    rows_rejected = BigInt(default=0)
    started_at = Timestamptz()
    updated_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
