"""The copy editor for SMS: body only, with the characters and segments it costs."""

from __future__ import annotations

from typing import Any

from tests.admin_ui.conftest import PagesAs


async def test_the_sms_editor_counts_segments(pages_as: PagesAs) -> None:
    marketing = await pages_as("marketing")
    r = await marketing.get("/admin/templates/pos_welcome/sms/nb")
    assert r.status_code == 200, r.text
    assert 'id="preview-sms-length"' in r.text and "GSM-7: 1 SMS segment" in r.text
    assert 'id="copy-title"' not in r.text and "Phone number" in r.text
    listing = await marketing.get("/admin/templates/")
    assert "/admin/templates/pos_welcome/sms/nb" in listing.text


async def test_staff_opt_a_member_out_of_texts_on_the_member_page(
    pages_as: PagesAs, api: Any
) -> None:
    r = await api.shop_put("/v1/shop/customers/kari", {"phone": "+4791234567"})
    assert r.status_code == 200
    staff = await pages_as("staff")
    page = await staff.get("/admin/members/kari")
    assert 'id="sms-form"' in page.text and "gets texts" in page.text
    r = await staff.post("/admin/members/kari/sms", {"opt_in": "0", "reason": "x"})
    assert r.status_code == 422
    r = await staff.post("/admin/members/kari/sms", {"opt_in": "0", "reason": "asked by phone"})
    assert r.status_code == 303
    page = await staff.get("/admin/members/kari")
    assert "opted out of texts" in page.text
