"""The copy editor for SMS: body only, with the characters and segments it costs."""

from __future__ import annotations

from tests.admin_ui.conftest import PagesAs


async def test_the_sms_editor_counts_segments(pages_as: PagesAs) -> None:
    marketing = await pages_as("marketing")
    r = await marketing.get("/admin/templates/pos_welcome/sms/nb")
    assert r.status_code == 200, r.text
    assert 'id="preview-sms-length"' in r.text and "GSM-7: 1 SMS segment" in r.text
    assert 'id="copy-title"' not in r.text and "Phone number" in r.text
    listing = await marketing.get("/admin/templates/")
    assert "/admin/templates/pos_welcome/sms/nb" in listing.text
