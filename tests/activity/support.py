"""Helpers of the activity tests: program rules through the admin API, events as the app."""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from loyalty import db
from schemas.program import ActivityRules, ProgramRules
from tests.helpers import Api


async def set_activity(api: Api, activity: ActivityRules, **program: Any) -> None:
    """Save the demo-default program with these activity rules, as marketing would."""
    rules = ProgramRules(activity=activity, **program)
    response = await api.client.put(
        "/v1/admin/program",
        content=msgspec.json.encode(rules),
        headers={**await api.staff_headers("marketing"), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def post_event(api: Api, customer_id: str, **event: Any) -> httpx.Response:
    return await api.client.post("/v1/me/events", json=event, headers=api.shopper(customer_id))


async def event(api: Api, customer_id: str, **body: Any) -> dict[str, Any]:
    response = await post_event(api, customer_id, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def activity_points(customer_id: str) -> int:
    """Sum of the member's activity ledger entries."""
    total = await db.fetchval(
        """SELECT coalesce(sum(e.available), 0) FROM ledger_entry e
           JOIN member m ON m.id = e.member WHERE m.customer_id = $1 AND e.kind = 'activity'""",
        customer_id,
    )
    return int(total)
