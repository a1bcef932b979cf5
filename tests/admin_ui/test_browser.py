"""The back office in a real browser (headless Chromium driven by Playwright).

Each role logs in through the login form; staff grant points and block a member, marketing
edits the program and meets a validation message, admins read the audit log. Screenshots land
in tests/screenshots/ (git-ignored); docs/screenshots/ holds a few chosen ones.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from loyalty.clock import FrozenClock
from tests.admin_ui.conftest import ensure_staff, password_of, shot
from tests.helpers import Api, assert_ledger_consistent, balances, ledger_rows


async def login(context: Any, base: str, role: str, clock: FrozenClock) -> Any:
    """Open a page, get sent to the login form, log in as ``role``; returns the page."""
    email = await ensure_staff(role, clock, name=f"Test {role.title()}")
    page = await context.new_page()
    await page.goto(f"{base}/admin/")
    assert "/admin/login" in page.url
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password_of(role))
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{base}/admin/")
    assert await page.get_attribute("[data-role]", "data-role") == role
    return page


async def shop_history(api: Api, clock: FrozenClock, customer_id: str, orders: int) -> None:
    """Completed orders spread over past weeks, so the dashboard and ledger have content."""
    await api.shop_put(
        f"/v1/shop/customers/{customer_id}",
        {
            "name": "Kari <b>Nordmann</b>",
            "email": f"{customer_id}@example.com",
            "phone": "+4790000001",
        },
    )
    for i in range(orders):
        placed = clock.now() - timedelta(days=7 * (i % 10) + 1)
        await api.order(
            f"{customer_id}-o{i}",
            customer_id=customer_id,
            total_minor=12_000 + 1_000 * i,
            status="completed",
            placed_at=placed,
        )


async def test_staff_finds_a_member_grants_points_and_blocks(
    api: Api, clock: FrozenClock, live_server: str, context: Any
) -> None:
    await shop_history(api, clock, "c-42", 3)
    before = (await balances("c-42"))["available"]
    page = await login(context, live_server, "staff", clock)
    nav = await page.inner_text("header nav")
    assert "Members" in nav and "Staff" not in nav and "Audit" not in nav

    await page.click("text=Members")
    await page.fill("input[name=q]", "Nordmann")
    await page.click("form.search button")
    await page.click("#results a:has-text('c-42')")
    assert "Kari <b>Nordmann</b>" in await page.inner_text("#member-name")

    await page.select_option("#adjust-form select[name=direction]", "grant")
    await page.fill("#adjust-form input[name=points]", "750")
    await page.fill("#adjust-form input[name=reason]", "Parcel arrived damaged")
    await page.click("#adjust-form button")
    await page.wait_for_selector(".flash")
    assert "Granted 750 points" in await page.inner_text(".flash")
    assert await page.inner_text("#b-available") == f"{before + 750:,}"
    assert "Parcel arrived damaged" in await page.inner_text("#ledger")
    await shot(page, "staff-member-after-grant")

    await page.select_option("#adjust-form select[name=direction]", "remove")
    await page.fill("#adjust-form input[name=points]", "999999")
    await page.fill("#adjust-form input[name=reason]", "Too much")
    await page.click("#adjust-form button")
    assert "below zero" in await page.inner_text("#adjust-form .error")

    await page.fill("#block-form input[name=reason]", "Suspected account sharing")
    await page.click("#block-form button")
    await page.wait_for_selector("#blocked-badge")
    assert "Member blocked" in await page.inner_text(".flash")
    await shot(page, "staff-member-blocked")

    assert (await balances("c-42"))["available"] == before + 750
    rows = await ledger_rows("c-42")
    assert [r["kind"] for r in rows].count("adjustment") == 1
    await assert_ledger_consistent()


async def test_ledger_pages_in_place(
    api: Api, clock: FrozenClock, live_server: str, context: Any
) -> None:
    await shop_history(api, clock, "c-7", 15)  # 30 ledger entries: two pages
    page = await login(context, live_server, "admin", clock)
    await page.goto(f"{live_server}/admin/members/c-7")
    ids = "#ledger tbody tr td:first-child"
    first = [int(i) for i in await page.locator(ids).all_inner_texts()]
    assert len(first) == 25
    await page.click("#ledger-older")
    await page.wait_for_selector("#ledger h2 small")
    assert page.url == f"{live_server}/admin/members/c-7"  # partial update, no navigation
    older = [int(i) for i in await page.locator(ids).all_inner_texts()]
    assert older and max(older) < min(first)
    assert len(first) + len(older) == len(await ledger_rows("c-7"))


async def test_marketing_edits_the_program_with_validation(
    clock: FrozenClock, live_server: str, context: Any
) -> None:
    page = await login(context, live_server, "marketing", clock)
    assert "Members" not in await page.inner_text("header nav")
    await shot(page, "marketing-dashboard")

    await page.click("header nav >> text=Program")
    await page.fill("#f-coupon-value", "250")
    await page.fill("#f-validity-reminder-days", "30, 30, 7")
    await page.click("#save-program")
    error = await page.inner_text("[data-field='coupon.value']")
    assert "percentage from 1 to 100" in error
    await shot(page, "marketing-program-validation")

    await page.fill("#f-coupon-value", "15")
    await page.click("#save-program")
    assert "distinct" in await page.inner_text("[data-field='validity.reminder_days']")
    await page.fill("#f-validity-reminder-days", "30, 14, 7")
    await page.fill("#f-sku-rates", "GIFT-CARD=0\nBOOK-1=20")
    await page.click("#save-program")
    await page.wait_for_selector(".flash")
    assert "Program saved" in await page.inner_text(".flash")
    assert await page.input_value("#f-coupon-value") == "15"
    assert await page.input_value("#f-sku-rates") == "GIFT-CARD=0\nBOOK-1=20"

    response = await page.goto(f"{live_server}/admin/members/anyone")
    assert response is not None and response.status == 403


async def test_admin_sees_dashboard_staff_and_audit(
    api: Api, clock: FrozenClock, live_server: str, context: Any
) -> None:
    for n in range(4):
        await shop_history(api, clock, f"c-{n}", 4 + n)
    page = await login(context, live_server, "admin", clock)
    assert await page.inner_text("#t-members") == "4"
    assert await page.locator("svg.chart rect").count() > 10
    await shot(page, "admin-dashboard")

    await page.goto(f"{live_server}/admin/members/c-1")
    await page.fill("#adjust-form input[name=points]", "100")
    await page.fill("#adjust-form input[name=reason]", "Birthday gesture")
    await page.click("#adjust-form button")
    await page.wait_for_selector(".flash")

    await page.click("header nav >> text=Staff")
    await page.fill("#new-staff input[name=email]", "new.person@test.example")
    await page.fill("#new-staff input[name=name]", "New Person")
    await page.select_option("#new-staff select[name=role]", "marketing")
    await page.fill("#new-staff input[name=password]", "a-long-password")
    await page.click("#new-staff button")
    await page.wait_for_selector(".flash")
    assert "new.person@test.example" in await page.inner_text("#staff-list")

    await page.click("header nav >> text=Audit log")
    await page.fill("input[name=action]", "member.*")
    await page.click("form.filters button")
    text = await page.inner_text("#audit-rows")
    assert "Birthday gesture" in text and "staff.create" not in text
    await shot(page, "admin-audit")
    async with page.expect_download() as download_info:
        await page.click("#export-csv")
    download = await download_info.value
    csv_text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8")
    assert csv_text.startswith("id,at,actor,action,target,reason,details")
    assert "Birthday gesture" in csv_text


async def test_marketing_edits_copy_and_sees_the_preview_change(
    clock: FrozenClock, live_server: str, context: Any
) -> None:
    page = await login(context, live_server, "marketing", clock)
    await page.click("header nav >> text=Notification copy")
    await page.click("#copy-list a[href='/admin/templates/points_added/push/en']")
    before = await page.inner_text("#preview-body")
    await page.fill("#copy-title", "Thanks, {{ first_name }}!")
    await page.fill("#copy-body", "We added {{ points }} points <b>for you</b>.")
    await page.locator("#preview-body", has_text="for you").wait_for()
    shown = await page.inner_text("#preview-body")
    assert shown != before and "<b>for you</b>" in shown  # markup shown as text, not run
    assert "{{" not in await page.inner_text("#preview-title")
    await shot(page, "marketing-copy-preview")

    await page.fill("#copy-body", "Oops {{ not_a_placeholder }}")
    await page.wait_for_selector("#preview-error")
    assert "not_a_placeholder" in await page.inner_text("#preview-error")
    await page.fill("#copy-body", "We added {{ points }} points.")
    await page.click("#save-copy")
    await page.wait_for_selector(".flash")
    assert "Saved (v1)" in await page.inner_text(".flash")
