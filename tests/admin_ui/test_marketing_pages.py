"""Marketing's rewards catalogue and notification copy pages over plain HTTP."""

from __future__ import annotations

from loyalty.notify import templates
from loyalty.rewards import catalogue
from tests.admin_ui.conftest import Pages, PagesAs

REWARD = {
    "title": "Free coffee",
    "description": "One <b>coffee</b>",
    "points_cost": "500",
    "kind": "free_product",
    "sku": "COFFEE",
    "value": "0",
    "min_order_minor": "0",
    "valid_days": "14",
    "position": "1",
    "active": "1",
}


async def test_rewards_catalogue_create_edit_retire(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    created = await marketing.post("/admin/rewards", REWARD)
    assert created.status_code == 303
    [row] = await catalogue.list_all(active_only=False)
    assert row["title"] == "Free coffee" and row["points_cost"] == 500 and row["sku"] == "COFFEE"
    listing = (await marketing.get("/admin/rewards")).text
    assert "One &lt;b&gt;coffee&lt;/b&gt;" in listing
    edited = await marketing.post(f"/admin/rewards/{row['id']}", {**REWARD, "points_cost": "750"})
    assert edited.status_code == 303
    assert (await catalogue.get(row["id"]))["points_cost"] == 750
    retired = await marketing.post(f"/admin/rewards/{row['id']}/deactivate", {})
    assert retired.status_code == 303 and not (await catalogue.get(row["id"]))["active"]


async def test_reward_form_shows_problems(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    no_sku = await marketing.post("/admin/rewards", {**REWARD, "sku": ""})
    assert no_sku.status_code == 422 and "needs a sku" in no_sku.text
    not_number = await marketing.post("/admin/rewards", {**REWARD, "points_cost": "lots"})
    assert not_number.status_code == 422 and "points cost must be a whole number" in not_number.text
    zero = await marketing.post("/admin/rewards", {**REWARD, "points_cost": "0"})
    assert zero.status_code == 422 and "points_cost" in zero.text
    assert await catalogue.list_all(active_only=False) == []


async def test_staff_cannot_touch_the_catalogue_or_copy(pages_as: PagesAs) -> None:
    staff: Pages = await pages_as("staff")
    assert (await staff.post("/admin/rewards", REWARD)).status_code == 403
    save = await staff.post("/admin/templates/welcome/push/en", {"title": "x", "body": "y"})
    assert save.status_code == 403
    assert await catalogue.list_all(active_only=False) == []


async def test_copy_editor_saves_previews_and_resets(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    listing = (await marketing.get("/admin/templates")).text
    assert "/admin/templates/points_added/push/en" in listing
    editor = await marketing.get("/admin/templates/points_added/push/en")
    assert editor.status_code == 200 and "{{ points }}" in editor.text
    draft = {"title": "Hi {{ first_name }}", "body": "<script>x</script> +{{ points }} points"}
    preview = await marketing.post("/admin/templates/points_added/push/en/preview", draft)
    assert preview.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in preview.text and "<script>x" not in preview.text
    saved = await marketing.post("/admin/templates/points_added/push/en", draft)
    assert saved.status_code == 303
    copy, meta = await templates.get("points_added", "push", "en")
    assert copy.title == "Hi {{ first_name }}" and meta is not None
    reset = await marketing.post("/admin/templates/points_added/push/en/reset", {})
    assert reset.status_code == 303
    assert (await templates.get("points_added", "push", "en"))[1] is None


async def test_copy_errors_show_in_the_editor(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    bad = {"title": "Hi", "body": "{{ nonsense }} and {% if %}"}
    preview = await marketing.post("/admin/templates/welcome/push/en/preview", bad)
    assert 'id="preview-error"' in preview.text
    saved = await marketing.post("/admin/templates/welcome/push/en", bad)
    assert saved.status_code == 422 and 'id="copy-error"' in saved.text
    unknown = await marketing.get("/admin/templates/no_such_event/push/en")
    assert unknown.status_code == 404


async def test_email_html_preview_is_sandboxed(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    draft = {
        "title": "Your code",
        "body": "Code {{ coupon_code }}",
        "html": '<p onclick="steal()">Code {{ coupon_code }}</p><script>steal()</script>',
    }
    preview = (await marketing.post("/admin/templates/coupon_issued/email/en/preview", draft)).text
    assert '<iframe title="Email preview" sandbox="" class="email-frame" srcdoc="' in preview
    assert "<script>steal()" not in preview and "&lt;script&gt;steal()" in preview


async def test_test_send_reports_the_outcome(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    bad = await marketing.post("/admin/templates/welcome/email/en/test-send", {"to": "nobody"})
    assert bad.status_code == 422 and "need an email address" in bad.text
    sent = await marketing.post(
        "/admin/templates/welcome/email/en/test-send", {"to": "me@example.com"}
    )
    assert sent.status_code == 303  # no SMTP configured in tests: the outcome is "skipped"
    page = (await marketing.get("/admin/templates/welcome/email/en")).text
    assert "Test send to me@example.com:" in page


async def test_reward_form_keeps_a_title_per_locale(pages_as: PagesAs) -> None:
    marketing: Pages = await pages_as("marketing")
    form = (await marketing.get("/admin/rewards")).text
    assert 'name="title__nb"' in form  # the demo program's locales: en (default) and nb
    nb = {"title__nb": "Gratis kaffe", "description__nb": "Én kaffe"}
    created = await marketing.post("/admin/rewards", {**REWARD, **nb})
    assert created.status_code == 303
    [row] = await catalogue.list_all(active_only=False)
    assert row["title"] == "Free coffee"
    assert row["titles"] == {"en": "Free coffee", "nb": "Gratis kaffe"}
    editor = (await marketing.get(f"/admin/rewards/{row['id']}")).text
    assert 'value="Gratis kaffe"' in editor
    await marketing.post(f"/admin/rewards/{row['id']}", {**REWARD, **nb, "points_cost": "750"})
    assert (await catalogue.get(row["id"]))["descriptions"]["nb"] == "Én kaffe"


async def test_copy_list_shows_titles_rendered_with_sample_values(pages_as: PagesAs) -> None:
    listing = (await (await pages_as("marketing")).get("/admin/templates")).text
    assert "{{" not in listing and "{%" not in listing
    assert "Your reward is here: 10 % off your next order" in listing
