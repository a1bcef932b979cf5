"""Back-office pages for rule 12: campaigns listed, scheduled, edited and ended; the breakdown
of an order's points on the member's ledger."""

from __future__ import annotations

from loyalty import program
from schemas.program import ProgramRules
from tests.admin_ui.conftest import Pages, PagesAs
from tests.helpers import Api


async def test_schedule_edit_and_end_a_campaign(pages_as: PagesAs, api: Api) -> None:
    marketing: Pages = await pages_as("marketing")
    form = {
        "id": "xmas",
        "name": "Double points",
        "starts_at": "2026-03-01T00:00",
        "ends_at": "2026-03-08T00:00",
        "multiplier_pct": "200",
        "categories": "red, blue",
    }
    saved = await marketing.post("/admin/campaigns", form)
    assert saved.status_code == 303, saved.text
    page = (await marketing.get("/admin/campaigns")).text
    running = page.split('id="campaigns-running"')[1].split("</section>")[0]
    assert "Double points" in running and "categories: red, blue" in running
    bad = await marketing.post(
        "/admin/campaigns", {**form, "id": "x", "ends_at": "2026-02-01T00:00"}
    )
    assert bad.status_code == 422 and "campaigns[1].ends_at must be after starts_at" in bad.text
    edit = (await marketing.get("/admin/campaigns/xmas")).text
    assert 'value="2026-03-08T00:00"' in edit and 'name="editing"' in edit
    again = await marketing.post(
        "/admin/campaigns", {**form, "editing": "xmas", "bonus_points": "9"}
    )
    assert again.status_code == 303
    rules = await program.get_rules()
    assert [(c.id, c.bonus_points) for c in rules.campaigns] == [("xmas", 9)]
    ended = await marketing.post("/admin/campaigns/xmas/end", {})
    assert ended.status_code == 303
    page = (await marketing.get("/admin/campaigns")).text
    assert "Double points" in page.split('id="campaigns-ended"')[1]


async def test_member_ledger_shows_why_an_order_earned_its_points(
    pages_as: PagesAs, api: Api
) -> None:
    await program.save_rules(
        ProgramRules(sku_points={"coffee": 15}, points_per_order=5), actor=None, now=api.clock.now()
    )
    items = [
        {"sku": "coffee", "quantity": 2, "unit_price_minor": 3_000},
        {"sku": "cake", "category": "food", "quantity": 1, "unit_price_minor": 14_000},
    ]
    out = await api.order("o-1", customer_id="c-1", total_minor=20_000, items=items)
    assert out["points"] == 30 + 1_400 + 5
    staff: Pages = await pages_as("staff")
    page = (await staff.get("/admin/members/c-1")).text
    assert "Why 1,435 points" in page and "points_per_order" in page
    assert "coffee" in page and "cake (food)" in page


async def test_program_what_if_side_by_side_before_save(pages_as: PagesAs, api: Api) -> None:
    from tests.admin_ui.test_pages import _program_form

    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    marketing: Pages = await pages_as("marketing")
    form = _program_form((await marketing.get("/admin/program")).text)
    preview = await marketing.post(
        "/admin/program/preview", {**form, "earn_points": "30", "whatif_days": "7"}
    )
    assert preview.status_code == 200, preview.text
    section = preview.text.split('id="whatif"')[1].split("</section>")[0]
    assert "1,000" in section and 'id="whatif-points">3,000' in section
    assert 'value="30"' in preview.text  # the form keeps the proposal, ready to save
    assert (await program.get_program())[1] == 0  # nothing saved


async def test_member_page_tier_set_by_hand_and_dashboard_counts(
    pages_as: PagesAs, api: Api
) -> None:
    from schemas.earning import Tiers
    from tests.rules.test_tiers import ERPNEXT

    rules = ProgramRules(tiers=Tiers(enabled=True, qualify_by="spend", levels=ERPNEXT))
    await program.save_rules(rules, actor=None, now=api.clock.now())
    await api.order("o-1", customer_id="c-1", total_minor=12_000, status="completed")
    staff: Pages = await pages_as("staff")
    page = (await staff.get("/admin/members/c-1")).text
    assert "Tier: <strong>Silver</strong>" in page and "8,000 to Gold" in page
    no_reason = await staff.post("/admin/members/c-1/tier", {"tier_id": "gold", "reason": ""})
    assert no_reason.status_code == 422 and "reason of at least 3" in no_reason.text
    done = await staff.post("/admin/members/c-1/tier", {"tier_id": "gold", "reason": "VIP guest"})
    assert done.status_code == 303
    assert "Tier: <strong>Gold</strong>" in (await staff.get("/admin/members/c-1")).text
    admin: Pages = await pages_as("admin")
    dash = (await admin.get("/admin/")).text
    assert 'id="tiers"' in dash and "Tier Gold" in dash
