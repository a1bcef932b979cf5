"""Rule 13: tiers. ERPNext's selection, up at once (told, coupon), down only after retention by
the daily job, refunds counting against, by hand with a reason, the multiplier in accrual."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from jobs import table as jobs_table
from loyalty import db, program
from loyalty.tiers import qualify
from schemas.earning import TierCoupon, TierLevel, Tiers
from schemas.program import ProgramRules
from tests.helpers import Api, assert_ledger_consistent

ERPNEXT = [
    TierLevel(id="bronze", name="Bronze", threshold=0),
    TierLevel(id="silver", name="Silver", threshold=10_000, earn_multiplier_pct=150),
    TierLevel(
        id="gold",
        name="Gold",
        threshold=20_000,
        earn_multiplier_pct=200,
        coupon=TierCoupon(kind="amount_off", value=500, title="5 off, welcome to Gold"),
        perks={"en": "Free shipping", "nb": "Gratis frakt"},
    ),
]


def spend_tiers(**kw: Any) -> Tiers:
    return Tiers(enabled=True, qualify_by="spend", levels=ERPNEXT, **kw)


async def use(api: Api, tiers: Tiers, **rules: Any) -> None:
    await program.save_rules(ProgramRules(tiers=tiers, **rules), actor=None, now=api.clock.now())


async def tier_of(api: Api, customer_id: str) -> Any:
    return (await api.me(customer_id))["tier"]


@pytest.mark.parametrize(
    ("total", "tier"), [(6_000, "bronze"), (15_000, "silver"), (25_000, "gold")]
)
def test_erpnext_selection(total: int, tier: str) -> None:
    level = qualify.level_for(spend_tiers(), total)
    assert level is not None and level.id == tier


@pytest.mark.parametrize(
    ("before", "order", "tier"),
    [(0, 6_000, "bronze"), (0, 15_000, "silver"), (0, 25_000, "gold"), (4_000, 500, "bronze"),
     (8_000, 3_000, "silver"), (18_000, 3_000, "gold")],
)  # fmt: skip
async def test_erpnext_tier_through_orders(api: Api, before: int, order: int, tier: str) -> None:
    await use(api, spend_tiers())
    if before:
        await api.order("o-0", customer_id="c-1", total_minor=before, status="completed")
    await api.order("o-1", customer_id="c-1", total_minor=order, status="completed")
    assert (await tier_of(api, "c-1"))["id"] == tier


async def test_up_at_once_told_once_with_coupon_and_next_missing(api: Api) -> None:
    await use(api, spend_tiers())
    await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")
    me = await tier_of(api, "c-1")
    assert me["id"] == "silver" and me["next"] == {"id": "gold", "name": "Gold", "missing": 8_000}
    await api.order("o-2", customer_id="c-1", total_minor=9_000, status="completed")
    await api.order("o-3", customer_id="c-1", total_minor=9_000, status="completed")
    me = await tier_of(api, "c-1")
    assert me["id"] == "gold" and me["next"] is None and me["perks"] == "Free shipping"
    ups = await db.fetch("SELECT data::text AS d FROM notification WHERE event = 'tier_up'")
    assert [db.loads(r["d"])["tier_id"] for r in ups] == ["silver", "gold"]
    coupons = await db.fetch("SELECT title FROM coupon")
    assert [r["title"] for r in coupons] == ["5 off, welcome to Gold"]


async def test_tier_multiplier_scales_rate_points_of_the_next_order(api: Api) -> None:
    await use(api, spend_tiers(), points_per_order=7)
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    out = await api.order("o-2", customer_id="c-1", total_minor=10_000)
    assert out["points"] == 1_500 + 7  # Silver x1.5 on rate points, fixed unscaled
    await assert_ledger_consistent()


async def test_down_only_after_retention_when_window_no_longer_qualifies(api: Api) -> None:
    await use(api, spend_tiers(window_days=30, retain_days=60))
    await api.order("o-1", customer_id="c-1", total_minor=22_000, status="completed")
    await api.order("o-2", customer_id="c-2", total_minor=22_000, status="completed")
    assert (await tier_of(api, "c-1"))["id"] == "gold"
    run = jobs_table.get("tiers").run
    start = api.clock.now()
    assert (await run(start + timedelta(days=59)))["checked"] == 0  # window out, retained
    api.clock.set(start + timedelta(days=59, hours=23))
    await api.order("o-3", customer_id="c-2", total_minor=21_000, status="completed")
    result = await run(start + timedelta(days=61))
    assert result["down"] == 1 and result["kept"] == 1
    api.clock.set(start + timedelta(days=61))
    assert (await tier_of(api, "c-1"))["id"] == "bronze"
    assert (await tier_of(api, "c-2"))["id"] == "gold"


async def test_a_refund_counts_against_but_never_moves_down_before_retention(api: Api) -> None:
    await use(api, spend_tiers(retain_days=30))
    await api.order("o-1", customer_id="c-1", total_minor=21_000, status="completed")
    await api.order(
        "o-1", customer_id="c-1", total_minor=21_000, status="refunded", refunded_minor=2_000
    )
    me = await tier_of(api, "c-1")
    assert me["id"] == "gold"
    result = await jobs_table.get("tiers").run(api.clock.now() + timedelta(days=31))
    assert result["down"] == 1
    api.clock.advance(days=31)
    me = await tier_of(api, "c-1")
    assert me["id"] == "silver" and me["next"]["missing"] == 1_000


async def test_staff_set_a_tier_by_hand_with_a_reason_audited(api: Api) -> None:
    await use(api, spend_tiers())
    await api.order("o-1", customer_id="c-1", total_minor=1_000, status="completed")
    staff = await api.staff_headers("staff")
    url = "/v1/admin/members/c-1/tier"
    no_reason = await api.client.post(url, json={"tier_id": "gold", "reason": ""}, headers=staff)
    assert no_reason.status_code == 400
    unknown = await api.client.post(url, json={"tier_id": "x", "reason": "vip"}, headers=staff)
    assert unknown.status_code == 422 and unknown.json()["error"]["details"]["field"] == "tier_id"
    ok = await api.client.post(
        url, json={"tier_id": "gold", "reason": "press partner"}, headers=staff
    )
    assert ok.status_code == 200 and ok.json()["id"] == "gold"
    admin = await api.staff_headers("admin")
    audit = (await api.client.get("/v1/admin/audit?action=member.tier", headers=admin)).json()
    assert audit[0]["reason"] == "press partner" and audit[0]["details"]["to"] == "gold"


async def test_changing_levels_moves_nobody_down_before_retention(api: Api) -> None:
    await use(api, spend_tiers())
    await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")
    harder = [ERPNEXT[0], TierLevel(id="silver", name="Silver", threshold=50_000)]
    await use(api, Tiers(enabled=True, qualify_by="spend", levels=harder))
    await api.order("o-2", customer_id="c-1", total_minor=100, status="completed")
    assert (await tier_of(api, "c-1"))["id"] == "silver"
    assert (await jobs_table.get("tiers").run(api.clock.now()))["checked"] == 0


async def test_tiers_by_points(api: Api) -> None:
    levels = [TierLevel(id="a", name="A"), TierLevel(id="b", name="B", threshold=1_000)]
    await use(api, Tiers(enabled=True, qualify_by="points", levels=levels))
    await api.order("o-1", customer_id="c-1", total_minor=9_000, status="completed")
    assert (await tier_of(api, "c-1"))["next"]["missing"] == 100
    staff = await api.staff_headers("staff")
    r = await api.client.post(
        "/v1/admin/members/c-1/adjustments", json={"points": 100, "reason": "goodwill"},
        headers=staff,
    )  # fmt: skip
    assert r.status_code == 201
    assert (await tier_of(api, "c-1"))["id"] == "b"


async def test_perks_in_the_members_locale_with_the_default_as_fallback(api: Api) -> None:
    await use(api, spend_tiers())
    r = await api.shop_put("/v1/shop/customers/c-nb", {"locale": "nb"})
    assert r.status_code == 200, r.text
    await api.order("o-1", customer_id="c-nb", total_minor=25_000, status="completed")
    await api.order("o-2", customer_id="c-en", total_minor=25_000, status="completed")
    assert (await tier_of(api, "c-nb"))["perks"] == "Gratis frakt"
    assert (await tier_of(api, "c-en"))["perks"] == "Free shipping"  # no locale: the default
    r = await api.shop_put("/v1/shop/customers/c-sv", {"locale": "sv"})
    await api.order("o-3", customer_id="c-sv", total_minor=25_000, status="completed")
    assert (await tier_of(api, "c-sv"))["perks"] == "Free shipping"  # no Swedish: the default
    told = await db.fetch(
        "SELECT data->>'perks' AS p FROM notification WHERE event = 'tier_up' ORDER BY id"
    )
    assert [r["p"] for r in told] == ["Gratis frakt", "Free shipping", "Free shipping"]


async def test_the_till_answer_carries_the_same_tier_block_as_me(api: Api) -> None:
    from tests.sms.conftest import by_phone

    before = await by_phone(api, "91234567", {"locale": "nb"})
    assert before["tier"] is None  # tiers off
    await use(api, spend_tiers())
    await api.order("o-1", customer_id=before["customer_id"], total_minor=25_000,
                    status="completed")  # fmt: skip
    till = (await by_phone(api, "91234567"))["tier"]
    assert till == await tier_of(api, before["customer_id"])
    assert till["id"] == "gold" and till["perks"] == "Gratis frakt" and till["since"]
