"""Marketing's SMS copy: per event and locale, validated, previewed with its segment count."""

from __future__ import annotations

from tests.helpers import Api

BASE = "/v1/admin/templates"


async def test_sms_copy_is_listed_edited_and_previewed_with_segments(api: Api) -> None:
    h = await api.staff_headers("marketing")
    listed = (await api.client.get(BASE, headers=h)).json()
    sms = {(t["event"], t["locale"]) for t in listed if t["channel"] == "sms"}
    assert {("pos_welcome", "en"), ("pos_welcome", "nb"), ("birthday", "nb")} <= sms
    assert ("welcome", "en") not in sms and ("points_earned", "en") not in sms
    assert not any(t["event"] == "pos_welcome" and t["channel"] != "sms" for t in listed)

    shown = await api.client.post(f"{BASE}/pos_welcome/sms/nb/preview", headers=h)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["body"].startswith("Velkommen i klubben, Kari!")
    assert body["sms"]["encoding"] == "GSM-7" and body["sms"]["segments"] == 1
    assert body["title"] is None and body["deep_link"] is None

    draft = {"body": "Hei {{ first_name }} \u2013 du har {{ available|number }} poeng " + "x" * 60}
    shown = await api.client.post(f"{BASE}/pos_welcome/sms/nb/preview", json=draft, headers=h)
    length = shown.json()["sms"]
    assert (length["encoding"], length["segments"], length["non_gsm"]) == ("UCS-2", 2, ["\u2013"])

    r = await api.client.put(
        f"{BASE}/pos_welcome/sms/en", json={"body": "Hi {{ name }}!"}, headers=h
    )
    assert r.status_code == 200 and r.json()["custom"] is True
    r = await api.client.put(f"{BASE}/pos_welcome/sms/en", json={"body": "{{ nope }}"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_placeholders"
    r = await api.client.put(f"{BASE}/pos_welcome/push/en", json={"title": "x", "body": "x"},
                             headers=h)  # fmt: skip
    assert r.status_code == 404
