"""Admins' audit log: every staff action (who, when, what, on whom, why), filterable, paged,
and exportable as CSV with the same filters."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get
from litestar.params import QueryParameter
from litestar.response import Stream, Template

from admin_ui.auth import require
from admin_ui.render import SECURITY_HEADERS, page
from loyalty import audit
from loyalty.errors import Invalid

PAGE = 50
EXPORT_MAX = 100_000
Text = Annotated[str | None, QueryParameter(max_length=254)]
Day = Annotated[str | None, QueryParameter(max_length=10)]
Cursor = Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)]


def _day(value: str | None, name: str) -> date | None:
    """A ``YYYY-MM-DD`` filter; an empty field (as forms send) means none."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid("invalid_date", f"{name} must be a date like 2026-03-01") from None


def _filters(
    actor: str | None,
    action: str | None,
    target: str | None,
    since_text: str | None,
    until_text: str | None,
) -> dict[str, Any]:
    """Query filters; empty fields mean "any", dates are whole UTC days (``until`` included)."""
    since, until = _day(since_text, "from"), _day(until_text, "to")
    return {
        "actor": (actor or "").strip().lower() or None,
        "action": (action or "").strip() or None,
        "target": (target or "").strip() or None,
        "since": datetime.combine(since, time(), UTC) if since else None,
        "until": datetime.combine(until, time(), UTC) + timedelta(days=1) if until else None,
    }


def _csv_cell(value: Any) -> str:
    """A cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class AuditController(Controller):
    path = "/audit"
    guards = [require("audit.read")]

    @get("/")
    async def index(
        self,
        request: Request[Any, Any, Any],
        actor: Text = None,
        action: Text = None,
        target: Text = None,
        since: Day = None,
        until: Day = None,
        before: Cursor = None,
    ) -> Template:
        """The log newest first; "older" follows the last id shown."""
        filters = _filters(actor, action, target, since, until)
        rows = await audit.page(**filters, before_id=before, limit=PAGE + 1)
        shown = {"actor": actor, "action": action, "target": target, "since": since, "until": until}
        query = {k: str(v) for k, v in shown.items() if v}
        older = None
        if len(rows) > PAGE:
            rows = rows[:PAGE]
            older = "?" + urlencode({**query, "before": rows[-1]["id"]})
        return page(
            request,
            "audit.html",
            rows=rows,
            filters=shown,
            older=older,
            export="/admin/audit/export.csv" + ("?" + urlencode(query) if query else ""),
        )

    @get("/export.csv")
    async def export(
        self,
        actor: Text = None,
        action: Text = None,
        target: Text = None,
        since: Day = None,
        until: Day = None,
    ) -> Stream:
        """The filtered log as CSV (at most 100,000 rows, fetched in pages)."""
        filters = _filters(actor, action, target, since, until)
        headers = {
            **SECURITY_HEADERS,
            "content-disposition": 'attachment; filename="audit-log.csv"',
        }
        return Stream(_csv_rows(filters), media_type="text/csv; charset=utf-8", headers=headers)


async def _csv_rows(filters: dict[str, Any]) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "at", "actor", "action", "target", "reason", "details"])
    before, sent = None, 0
    while sent < EXPORT_MAX:
        rows = await audit.page(**filters, before_id=before, limit=1000)
        for r in rows:
            details = msgspec.json.encode(r["details"]).decode()
            cells = [r["id"], r["at"].isoformat(), r["actor"], r["action"], r["target"]]
            writer.writerow([_csv_cell(c) for c in [*cells, r["reason"], details]])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        sent += len(rows)
        if len(rows) < 1000:
            return
        before = rows[-1]["id"]
