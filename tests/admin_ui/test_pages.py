"""The pages' behaviour over plain HTTP: forms go through the domain services, errors show in
the form, the audit log filters and exports, the insight numbers add up."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from loyalty import program
from loyalty.clock import FrozenClock
from tests.admin_ui.conftest import Pages, PagesAs
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows


async def test_grant_is_applied_once_per_form(pages_as: PagesAs, api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    staff: Pages = await pages_as("staff")
    form = {"direction": "grant", "points": "300", "reason": "late delivery", "key": "form-1"}
    first = await staff.post("/admin/members/c-1/adjust", form)
    again = await staff.post("/admin/members/c-1/adjust", form)  # double click / resubmit
    assert first.status_code == again.status_code == 303
    assert (await balances("c-1"))["available"] == 1_300
    adjustments = [r for r in await ledger_rows("c-1") if r["kind"] == "adjustment"]
    assert len(adjustments) == 1 and adjustments[0]["available"] == 300
    await assert_ledger_consistent()


async def test_grant_needs_a_reason_and_a_number(pages_as: PagesAs, api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    staff: Pages = await pages_as("staff")
    no_reason = await staff.post(
        "/admin/members/c-1/adjust", {"direction": "grant", "points": "5", "reason": " "}
    )
    assert no_reason.status_code == 422 and "reason of at least 3" in no_reason.text
    not_a_number = await staff.post(
        "/admin/members/c-1/adjust", {"direction": "grant", "points": "5e3", "reason": "abc"}
    )
    assert not_a_number.status_code == 422 and "whole number" in not_a_number.text
    too_much = await staff.post(
        "/admin/members/c-1/adjust", {"direction": "remove", "points": "5000", "reason": "abc"}
    )
    assert too_much.status_code == 409 and "below zero" in too_much.text
    assert (await balances("c-1"))["available"] == 1_000


async def test_block_and_unblock_are_audited(pages_as: PagesAs, api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    staff: Pages = await pages_as("staff")
    blocked = await staff.post("/admin/members/c-1/block", {"blocked": "1", "reason": "fraud"})
    assert blocked.status_code == 303
    page = (await staff.get("/admin/members/c-1")).text
    assert 'id="blocked-badge"' in page and "Blocked: fraud" in page
    grant = await staff.post(
        "/admin/members/c-1/adjust", {"direction": "grant", "points": "5", "reason": "abc"}
    )
    assert grant.status_code == 409
    await staff.post("/admin/members/c-1/block", {"blocked": "0", "reason": "cleared"})
    admin: Pages = await pages_as("admin")
    audit = (await admin.get("/admin/audit?target=c-1")).text
    assert "member.block" in audit and "member.unblock" in audit


async def test_search_by_each_key(pages_as: PagesAs, api: Api) -> None:
    await api.shop_put(
        "/v1/shop/customers/c-9",
        {"name": "Ola Nordmann", "email": "Ola@Example.com", "phone": "+4791234567"},
    )
    staff: Pages = await pages_as("staff")
    for q in ("ola@example.com", "+4791234567", "nordm"):
        results = (await staff.get("/admin/members", params={"q": q})).text
        assert "/admin/members/c-9" in results, q
    exact = await staff.get("/admin/members", params={"q": "c-9"})
    assert exact.status_code == 303 and exact.headers["location"] == "/admin/members/c-9"
    none = (await staff.get("/admin/members", params={"q": "nobody"})).text
    assert "No member matches" in none


async def test_unknown_member_is_a_404_page(pages_as: PagesAs) -> None:
    staff: Pages = await pages_as("staff")
    response = await staff.get("/admin/members/nobody")
    assert response.status_code == 404 and "no member with customer id" in response.text


async def test_program_form_saves_through_the_domain(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    page = (await marketing.get("/admin/program")).text
    assert 'name="coupon.value" value="10"' in page
    form = _program_form(page)
    form.update(
        {
            "earn_points": "12",
            "channels": ["app", "web"],
            "category_rates": "books=20\ngift-cards=0",
            "validity.reminder_days": "30, 7",
            "points_as_money.enabled": "1",
        }
    )
    saved = await marketing.post("/admin/program", form)
    assert saved.status_code == 303
    rules = await program.get_rules()
    assert rules.earn_points == 12 and rules.channels == ["app", "web"]
    assert rules.category_rates == {"books": 20, "gift-cards": 0}
    assert rules.validity.reminder_days == [30, 7] and rules.points_as_money.enabled
    assert rules.activity == program.ProgramRules().activity  # fields the form lacks are kept


async def test_program_form_shows_validation_messages(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    form = _program_form((await marketing.get("/admin/program")).text)
    bad_number = await marketing.post("/admin/program", {**form, "earn_points": "ten"})
    assert bad_number.status_code == 422
    assert 'data-field="earn_points">must be a whole number' in bad_number.text
    assert 'value="ten"' in bad_number.text  # what was typed is kept
    negative = await marketing.post("/admin/program", {**form, "threshold_points": "-5"})
    assert 'data-field="threshold_points"' in negative.text
    currency = await marketing.post("/admin/program", {**form, "currency": "euro"})
    assert 'data-field="currency">currency must be ISO 4217 code' in currency.text
    bad_map = await marketing.post("/admin/program", {**form, "sku_rates": "SKU1 20"})
    assert "line 1 must look like KEY=points" in bad_map.text
    stale = await marketing.post("/admin/program", {**form, "version": "99"})
    assert stale.status_code == 409 and "someone saved the program" in stale.text
    assert (await program.get_program())[1] == 0  # nothing was saved


async def test_staff_accounts_and_roles(pages_as: PagesAs, clock: FrozenClock) -> None:
    admin: Pages = await pages_as("admin")
    created = await admin.post(
        "/admin/staff",
        {"email": "Eva@Test.example", "name": "Eva", "role": "staff", "password": "long-password"},
    )
    assert created.status_code == 303
    weak = await admin.post(
        "/admin/staff", {"email": "x@test.example", "role": "staff", "password": "short"}
    )
    assert weak.status_code == 422 and "at least 10 characters" in weak.text
    promoted = await admin.post("/admin/staff/eva@test.example", {"role": "marketing"})
    assert promoted.status_code == 303
    listing = (await admin.get("/admin/staff")).text
    assert "eva@test.example" in listing
    self_demote = await admin.post("/admin/staff/admin@test.example", {"role": "staff"})
    assert self_demote.status_code == 422
    eva: Pages = await pages_as("anonymous")
    assert (await eva.login("eva@test.example", "long-password")).status_code == 303
    await admin.post("/admin/staff/eva@test.example", {"active": "0"})
    assert (await eva.get("/admin/")).status_code == 303  # deactivation ended her session


async def test_audit_filters_pages_and_exports_csv(
    pages_as: PagesAs, api: Api, clock: FrozenClock
) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    staff: Pages = await pages_as("staff")
    for i in range(60):
        clock.advance(minutes=1)
        await staff.post(
            "/admin/members/c-1/adjust",
            {"direction": "grant", "points": "1", "reason": f"=HYPERLINK(x) #{i}"},
        )
    admin: Pages = await pages_as("admin")
    first = (await admin.get("/admin/audit", params={"action": "member.adjust"})).text
    assert first.count("<tr>") == 51 and "#59" in first and "Older" in first
    older = (await admin.get("/admin/audit?action=member.adjust&before=11")).text
    assert "#0" in older and older.count("<tr>") == 11
    day = clock.now().date().isoformat()
    export = await admin.get(
        "/admin/audit/export.csv", params={"action": "member.*", "since": day, "until": day}
    )
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert len(rows) == 60 and rows[0]["actor"] == "staff@test.example"
    assert all(r["reason"].startswith("'=HYPERLINK") for r in rows)  # no formula injection
    nothing = await admin.get(
        "/admin/audit/export.csv", params={"since": "2020-01-01", "until": "2020-01-02"}
    )
    assert nothing.text.strip() == "id,at,actor,action,target,reason,details"
    bad = await admin.get("/admin/audit", params={"since": "yesterday"})
    assert bad.status_code == 422 and "must be a date" in bad.text


async def test_dashboard_and_insight_api_agree(
    pages_as: PagesAs, api: Api, clock: FrozenClock
) -> None:
    for week in range(3):
        await api.order(
            f"o-{week}",
            customer_id=f"c-{week}",
            total_minor=10_000 * (week + 1),
            status="completed",
            placed_at=clock.now() - timedelta(weeks=week),
        )
    headers = await api.staff_headers("marketing")
    response = await api.client.get("/v1/admin/insight", headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["members"] == 3 and data["active_members"] == 3
    assert data["outstanding_points"] == 6_000
    assert data["liability_minor"] == 6_000 * 1_000 // 5_000  # 10 % of 100 EUR per 5000 points
    assert [w["issued"] for w in data["weeks"][-3:]] == [3_000, 2_000, 1_000]
    assert len(data["weeks"]) == 12
    dashboard = (await (await pages_as("staff")).get("/admin/")).text
    assert 'id="t-outstanding">6,000<' in dashboard and "12.00 EUR" in dashboard
    assert "<svg" in dashboard and "issued: 3,000" in dashboard
    await api.order("o-big", customer_id="c-0", total_minor=50_000, status="completed")
    after = (await api.client.get("/v1/admin/insight", headers=headers)).json()
    assert after["coupons_issued"] == 1 and after["coupons_used"] == 0  # 5,000-point threshold
    assert after["weeks"][-1]["redeemed"] == 5_000


async def test_insight_api_needs_a_staff_token(api: Api) -> None:
    response = await api.client.get("/v1/admin/insight")
    assert response.status_code == 401
    bad = await api.client.get("/v1/admin/insight?weeks=0", headers=await api.staff_headers())
    assert bad.status_code == 400


def _program_form(html: str) -> dict[str, object]:
    """The program form's current values as a browser would post them."""
    import re

    form: dict[str, object] = {}
    for name, value in re.findall(r'<input id="[^"]+" name="([^"]+)" value="([^"]*)"', html):
        form[name] = value
    for name in re.findall(r'name="([^"]+)" value="1" checked', html):
        form[name] = "1"
    for name, body in re.findall(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', html
    ):
        form[name] = body
    for name, options in re.findall(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', html):
        chosen = re.search(r'<option value="([^"]+)" selected>', options)
        if chosen:
            form[name] = chosen.group(1)
    form["version"] = re.search(r'name="version" value="(\d+)"', html).group(1)  # type: ignore[union-attr]
    return form


async def test_program_form_edits_activity_rules(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    form = _program_form((await marketing.get("/admin/program")).text)
    views = {**form, "activity.product_view.enabled": "1", "activity.product_view.points": "7"}
    missing = await marketing.post("/admin/program", views)
    assert missing.status_code == 422
    assert 'data-field="activity.product_view.skus"' in missing.text
    saved = await marketing.post(
        "/admin/program", {**views, "activity.product_view.skus": "SKU-1, SKU-2"}
    )
    assert saved.status_code == 303
    rules = await program.get_rules()
    assert rules.activity.product_view.enabled and rules.activity.product_view.points == 7
    assert rules.activity.product_view.skus == ["SKU-1", "SKU-2"]
