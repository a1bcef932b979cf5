"""What-if (rule 14): the replay's figures, current vs proposed, and that it changes no row."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from loyalty import db
from schemas.earning import Tiers
from schemas.program import ProgramRules
from tests.helpers import Api
from tests.rules.test_tiers import ERPNEXT


async def snapshot() -> dict[str, Any]:
    """Every table's rows, as text (an md5 per table), plus the sequences."""
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    out = {}
    for t in tables:
        name = t["tablename"]
        out[name] = await db.fetchval(
            f"SELECT md5(coalesce(string_agg(x::text, ',' ORDER BY x::text), '')) FROM \"{name}\" x"
        )
    return out


async def test_simulate_compares_and_changes_no_row(api: Api) -> None:
    start = api.clock.now()
    for i in range(6):
        api.clock.set(start + timedelta(days=i))
        await api.order(f"o-{i}", customer_id=f"c-{i % 3}", total_minor=30_000, status="completed")
    await api.order("o-x", customer_id="c-0", total_minor=30_000, status="cancelled")
    await api.order("o-p", customer_id="c-1", total_minor=30_000, status="placed")
    marketing = await api.staff_headers("marketing")
    current = (await api.client.get("/v1/admin/program", headers=marketing)).json()
    proposed = msgspec.to_builtins(
        ProgramRules(earn_points=20, tiers=Tiers(enabled=True, qualify_by="spend", levels=ERPNEXT))
    )
    before = await snapshot()
    r = await api.client.post(
        "/v1/admin/program/simulate", json={"rules": proposed, "days": 30}, headers=marketing
    )
    assert r.status_code == 200, r.text
    assert await snapshot() == before
    body = r.json()
    assert body["orders"] == 8 and body["members"] == 3
    assert body["current"]["points_issued"] == 6 * 3_000
    # each member: 30,000 (Gold at once from Bronze: x1 on the first order), then Gold x2
    assert body["proposed"]["points_issued"] == 3 * (6_000 + 12_000)
    assert body["proposed"]["members_per_tier"] == {"gold": 3}
    assert body["current"]["members_per_tier"] == {}
    assert body["current"]["coupons_issued"] == 3  # 6,000 each: one 5,000 coupon per member
    assert body["proposed"]["coupons_issued"] == 3 * 3  # 18,000 each
    assert body["current"]["outstanding_points"] == 3 * 1_000
    saved = (await api.client.get("/v1/admin/program", headers=marketing)).json()
    assert saved == current


async def test_simulate_refuses_invalid_rules_naming_the_field(api: Api) -> None:
    marketing = await api.staff_headers("marketing")
    bad = msgspec.to_builtins(ProgramRules())
    bad["tiers"] = {"levels": [{"id": "a", "name": "A"}, {"id": "a", "name": "B", "threshold": 5}]}
    r = await api.client.post(
        "/v1/admin/program/simulate", json={"rules": bad, "days": 7}, headers=marketing
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["field"] == "tiers.levels"
