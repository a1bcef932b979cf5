"""Helpers of the validity tests: the program through the admin API, jobs through the jobs table,
local days of a member's time zone, and the ledger/lot invariants."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from jobs import table
from loyalty import db, ledger, program
from schemas.program import ProgramRules, Validity
from tests.helpers import Api, assert_ledger_consistent

DAY0 = date(2026, 3, 2)


async def set_program(api: Api, **fields: Any) -> None:
    """Save the demo-default program with these fields, as marketing would."""
    rules = ProgramRules(**fields)
    api._staff_tokens.clear()  # a login is valid 12 hours; these tests move the clock years
    response = await api.client.put(
        "/v1/admin/program",
        content=msgspec.json.encode(rules),
        headers={**await api.staff_headers("marketing"), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def set_validity(api: Api, **validity: Any) -> None:
    await set_program(api, validity=Validity(**validity))


async def customer(api: Api, customer_id: str, timezone: str | None = None) -> None:
    body: dict[str, Any] = {"email": f"{customer_id}@example.com"}
    if timezone:
        body["timezone"] = timezone
    response = await api.shop_put(f"/v1/shop/customers/{customer_id}", body)
    assert response.status_code == 200, response.text


def local(day: int, tz: str, at: time = time(12)) -> datetime:
    """Day ``day`` after :data:`DAY0` at local ``at`` in ``tz``."""
    return datetime.combine(DAY0 + timedelta(days=day), at, tzinfo=ZoneInfo(tz))


def day_of(moment: datetime, tz: str) -> int:
    return (moment.astimezone(ZoneInfo(tz)).date() - DAY0).days


async def job(name: str, as_of: datetime) -> dict[str, Any]:
    return await table.run(name, as_of)


async def assert_consistent() -> None:
    """Cache == ledger and lots == positive balance, for every member."""
    await assert_ledger_consistent()
    assert await ledger.lot_drift() == []


async def notifications(customer_id: str, event: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT n.dedupe_key, n.data::text AS data, n.created_at FROM notification n
           JOIN member m ON m.id = n.member
           WHERE m.customer_id = $1 AND n.event = $2 ORDER BY n.id""",
        customer_id,
        event,
    )
    return [{**dict(r), "data": msgspec.json.decode(r["data"])} for r in rows]


async def expire_entries(customer_id: str) -> list[dict[str, Any]]:
    rows = await db.fetch(
        """SELECT e.available, e.expired, e.idempotency_key, e.effective_at, e.meta::text AS meta
           FROM ledger_entry e JOIN member m ON m.id = e.member
           WHERE m.customer_id = $1 AND e.kind = 'expire' ORDER BY e.id""",
        customer_id,
    )
    return [{**dict(r), "meta": msgspec.json.decode(r["meta"])} for r in rows]


async def reset() -> None:
    """Empty every table, as the ``clean`` fixture does (for hypothesis examples)."""
    rows = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    await db.execute(f"TRUNCATE {', '.join(r['tablename'] for r in rows)} RESTART IDENTITY CASCADE")
    program._cache = None
