"""Marketing's copy through the admin API: defaults, edits, validation, preview, escaping."""

from __future__ import annotations

from tests.helpers import Api

BASE = "/v1/admin/templates"


async def test_defaults_ship_in_english_and_norwegian(api: Api) -> None:
    h = await api.staff_headers("marketing")
    r = await api.client.get(BASE, headers=h)
    assert r.status_code == 200
    keys = {(t["event"], t["channel"], t["locale"]) for t in r.json()}
    for event in ("coupon_issued", "points_expiring", "balance_summary", "welcome"):
        for channel in ("push", "email"):
            assert {(event, channel, "en"), (event, channel, "nb")} <= keys
    r = await api.client.get(f"{BASE}/coupon_issued/email/nb", headers=h)
    body = r.json()
    assert body["custom"] is False and body["written_in"] == "nb"
    assert "{{ coupon_code }}" in body["body"] and "coupon_code" in body["placeholders"]


async def test_locale_falls_back_to_language_then_english(api: Api) -> None:
    h = await api.staff_headers("marketing")
    r = await api.client.get(f"{BASE}/welcome/push/nb-NO", headers=h)
    assert r.json()["written_in"] == "nb"
    r = await api.client.get(f"{BASE}/welcome/push/de", headers=h)
    assert r.json()["written_in"] == "en"


async def test_edit_then_read_back_and_reset(api: Api) -> None:
    h = await api.staff_headers("marketing")
    url = f"{BASE}/coupon_issued/push/nb"
    new = {"title": "Hei {{ first_name }}!", "body": "Koden {{ coupon_code }} venter."}
    r = await api.client.put(url, json=new, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["custom"] is True and r.json()["version"] == 1
    r = await api.client.put(url, json=new, headers=h)
    assert r.json()["version"] == 2 and r.json()["updated_by"] == "marketing@test.example"
    r = await api.client.get(url, headers=h)
    assert r.json()["title"] == new["title"]
    assert (await api.client.delete(url, headers=h)).status_code == 204
    r = await api.client.get(url, headers=h)
    assert r.json()["custom"] is False


async def test_unknown_placeholders_are_refused_naming_them(api: Api) -> None:
    h = await api.staff_headers("marketing")
    r = await api.client.put(
        f"{BASE}/points_earned/push/en",
        json={"title": "Hi {{ nmae }}", "body": "Code {{ coupon_code }} and {{ points }}"},
        headers=h,
    )
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "unknown_placeholders"
    assert error["details"]["placeholders"] == ["coupon_code", "nmae"]
    assert "nmae" in error["message"]


async def test_bad_copy_is_refused_before_it_is_saved(api: Api) -> None:
    h = await api.staff_headers("marketing")
    cases = [
        ("coupon_issued/push/en", {"title": "{% if %}", "body": "x"}, 422, "template_syntax"),
        (
            "coupon_issued/push/en",
            {"title": "{{ name|nope }}", "body": "x"},
            422,
            "template_syntax",
        ),
        (
            "coupon_issued/push/en",
            {"title": "{{ name.__class__ }}", "body": "x"},
            422,
            "template_error",
        ),
        (
            "coupon_issued/email/en",
            {"subject": "Hi", "body": "no code here"},
            422,
            "coupon_code_required",
        ),
        (
            "coupon_issued/email/en",
            {"title": "Hi", "body": "{{ coupon_code }}"},
            422,
            "invalid_template",
        ),
        (
            "coupon_issued/push/en",
            {"title": "Hi", "body": "x", "html": "<p>x</p>"},
            422,
            "invalid_template",
        ),
        ("coupon_issued/push/en", {"title": "x" * 201, "body": "x"}, 422, "invalid_template"),
        ("no_such_event/push/en", {"title": "Hi", "body": "x"}, 404, "unknown_event"),
        ("coupon_issued/fax/en", {"title": "Hi", "body": "x"}, 400, "validation_error"),
        ("coupon_issued/sms/en", {"title": "Hi", "body": "x"}, 422, "invalid_template"),
        ("coupon_issued/sms/en", {"body": "x"}, 422, "coupon_code_required"),
        ("welcome/sms/en", {"body": "x"}, 404, "unknown_channel"),
        ("coupon_issued/push/EN_us", {"title": "Hi", "body": "x"}, 400, "validation_error"),
        ("coupon_issued/push/en", {"title": "Hi", "body": ""}, 400, "validation_error"),
        (
            "coupon_issued/push/en",
            {"title": "Hi", "body": "x", "extra": 1},
            400,
            "validation_error",
        ),
    ]
    for path, body, status, code in cases:
        r = await api.client.put(f"{BASE}/{path}", json=body, headers=h)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["error"]["code"] == code, (path, body, r.text)
    r = await api.client.get(BASE, headers=h)
    assert not any(t["custom"] for t in r.json())


async def test_roles(api: Api) -> None:
    staff = await api.staff_headers("staff")
    r = await api.client.get(f"{BASE}/welcome/push/en", headers=staff)
    assert r.status_code == 200
    r = await api.client.put(
        f"{BASE}/welcome/push/en", json={"title": "a", "body": "b"}, headers=staff
    )
    assert r.status_code == 403
    r = await api.client.get(f"{BASE}/welcome/push/en")
    assert r.status_code == 401


async def test_preview_renders_sample_values_and_escapes_html(api: Api) -> None:
    h = await api.staff_headers("marketing")
    r = await api.client.post(f"{BASE}/coupon_issued/email/nb/preview", headers=h)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["locale"] == "nb"
    assert "LOYAL-7Q4K-2MXD" in shown["body"] and "LOYAL-7Q4K-2MXD" in shown["html"]
    assert "Hei Kari," in shown["body"]
    draft = {
        "subject": "Til {{ name }}",
        "body": "Hei {{ name }}: {{ coupon_code }}",
        "html": "<p>Hei {{ name }}: <b>{{ coupon_code }}</b></p>",
        "sample": {"name": "<script>alert(1)</script>"},
    }
    r = await api.client.post(f"{BASE}/coupon_issued/email/nb/preview", json=draft, headers=h)
    shown = r.json()
    assert "<script>" not in shown["html"] and "&lt;script&gt;" in shown["html"]
    assert "<b>LOYAL-7Q4K-2MXD</b>" in shown["html"]
    assert shown["body"] == "Hei <script>alert(1)</script>: LOYAL-7Q4K-2MXD"
    r = await api.client.post(f"{BASE}/points_earned/push/en/preview", headers=h)
    assert r.json()["title"] == "You earned 5,000 points"
    assert r.json()["deep_link"] == "shop://profile/discounts"
    r = await api.client.post(f"{BASE}/points_earned/push/nb/preview", headers=h)
    assert r.json()["title"] == "Du har tjent 5\u00a0000 poeng"
    r = await api.client.post(
        f"{BASE}/points_earned/push/en/preview", json={"sample": {"bogus": 1}}, headers=h
    )
    assert r.status_code == 422 and r.json()["error"]["details"]["placeholders"] == ["bogus"]
