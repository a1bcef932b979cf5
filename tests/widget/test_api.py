"""The widget's HTTP side without a browser: CORS for the allowed origins only, the script,
the public config, the ways to earn, the design's validation and the design panel's forms."""

from __future__ import annotations

import gzip
from typing import Any

import msgspec
import pytest

from loyalty import db
from loyalty.settings import Settings, SettingsError, load_settings
from tests.activity.support import event
from tests.admin_ui.conftest import PagesAs
from tests.helpers import Api
from tests.widget.support import program, save_program


def origin_of(settings: Settings) -> str:
    return settings.widget_origins[0]


async def test_preflight_from_the_shop_names_its_origin_never_a_wildcard(
    api: Api, settings: Settings
) -> None:
    shop = origin_of(settings)
    answer = await api.client.options(
        "/v1/me/rewards/1/unlock",
        headers={
            "origin": shop,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, idempotency-key",
        },
    )
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == shop
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "authorization" in answer.headers["access-control-allow-headers"]
    assert "idempotency-key" in answer.headers["access-control-allow-headers"]
    assert answer.headers["vary"] == "Origin"

    me = await api.client.get("/v1/me/coupons", headers={"origin": shop, **api.shopper("c-1")})
    assert me.status_code == 200
    assert me.headers["access-control-allow-origin"] == shop
    assert "Origin" in me.headers["vary"]


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:1"])
async def test_other_origins_are_refused_before_anything_happens(api: Api, origin: str) -> None:
    await save_program(api, program())
    preflight = await api.client.options(
        "/v1/me/events", headers={"origin": origin, "access-control-request-method": "POST"}
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    posted = await api.client.post(
        "/v1/me/events",
        json={"type": "visit", "id": "web-visit-1", "channel": "web"},
        headers={"origin": origin, **api.shopper("c-1")},
    )
    assert posted.status_code == 403
    assert posted.json()["error"]["code"] == "origin_not_allowed"
    assert "access-control-allow-origin" not in posted.headers
    assert await db.fetchval("SELECT count(*) FROM activity_event") == 0
    config = await api.client.get("/widget/config", headers={"origin": origin})
    assert config.status_code == 403


async def test_the_app_servers_and_other_paths_see_no_cors(api: Api, settings: Settings) -> None:
    me = await api.client.get("/v1/me/coupons", headers=api.shopper("c-1"))  # no Origin: the app
    assert me.status_code == 200 and "access-control-allow-origin" not in me.headers
    health = await api.client.get("/schema/openapi.json", headers={"origin": origin_of(settings)})
    assert "access-control-allow-origin" not in health.headers
    same = await api.client.get(
        "/v1/me/coupons", headers={"origin": "http://test", **api.shopper("c-1")}
    )
    assert same.status_code == 200  # the engine's own pages (same origin) pass


def test_widget_origins_come_from_the_environment_and_never_allow_all() -> None:
    env = {"LOYALTY_WIDGET_ORIGINS": " https://Shop.example/ , http://127.0.0.1:9500,"}
    assert load_settings(env).widget_origins == ("https://shop.example", "http://127.0.0.1:9500")
    assert load_settings({}).widget_origins == ()
    for bad in ("*", "shop.example", "https://shop.example/path", "ftp://shop.example"):
        with pytest.raises(SettingsError, match="LOYALTY_WIDGET_ORIGINS"):
            load_settings({"LOYALTY_WIDGET_ORIGINS": bad})


async def test_the_script_is_small_cached_and_gzipped(api: Api) -> None:
    plain = await api.client.get("/widget/loyalty.js", headers={"accept-encoding": "identity"})
    assert plain.status_code == 200
    assert plain.headers["content-type"].startswith("text/javascript")
    assert "customElements.define" in plain.text
    packed = len(gzip.compress(plain.content, 9))
    print(f"loyalty.js: {len(plain.content)} bytes, {packed} gzipped")
    assert packed <= 30 * 1024
    zipped = await api.client.get("/widget/loyalty.js", headers={"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip" and zipped.content == plain.content
    again = await api.client.get(
        "/widget/loyalty.js", headers={"if-none-match": plain.headers["etag"]}
    )
    assert again.status_code == 304


async def test_config_is_the_design_and_a_public_summary_only(api: Api) -> None:
    default = (await api.client.get("/widget/config")).json()
    assert default["design"]["shape"] == "pill" and default["locale"] == "en"
    await save_program(api, program())
    config = (await api.client.get("/widget/config?locale=nb-NO")).json()
    assert config["locale"] == "nb" and config["texts"] == {"title": "Nordlys-klubben"}
    assert config["design"]["accent"] == "#1b4332"
    assert config["program"]["earn_points"] == 10
    assert [w["type"] for w in config["program"]["ways_to_earn"]] == [
        "visit", "product_view", "referral",
    ]  # fmt: skip
    text = msgspec.json.encode(config).decode()
    assert "SHOE-1" not in text and "customer" not in text and "invite" not in text
    assert (await api.client.get("/widget/config?locale=de")).json()["locale"] == "en"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"accent": "red"}, "accent"),
        ({"logo": "javascript:alert(1)"}, "logo"),
        ({"logo": "http://insecure.example/logo.png"}, "logo"),
        ({"sign_up_url": "javascript:alert(1)"}, "sign_up_url"),
        ({"shape": "star"}, "shape"),
        ({"texts": {"en": {"title": "x" * 81}}}, "title"),
    ],
)
async def test_a_bad_design_is_refused_with_the_field(
    api: Api, change: dict[str, Any], field: str
) -> None:
    rules = msgspec.to_builtins(program())
    rules["widget"].update(change)
    answer = await api.client.put(
        "/v1/admin/program", json=rules, headers=await api.staff_headers("marketing")
    )
    assert answer.status_code in (400, 422), answer.text
    assert field in answer.text


async def test_ways_to_earn_count_the_shoppers_awards_in_the_window(api: Api) -> None:
    await save_program(api, program())
    ways = (await api.client.get("/v1/me/ways-to-earn", headers=api.shopper("c-9"))).json()
    assert ways["earn_points"] == 10 and ways["currency"] == "EUR"
    assert {w["type"]: w["used"] for w in ways["items"]} == {
        "visit": 0, "product_view": 0, "referral": None,
    }  # fmt: skip
    await event(api, "c-9", type="visit", id="web-visit-2026-03-02", channel="web")
    await event(api, "c-9", type="visit", id="web-visit-2026-03-02", channel="web")  # a reload
    await event(api, "c-9", type="product_view", id="pv-1", sku="BAG-7", channel="web")
    ways = (await api.client.get("/v1/me/ways-to-earn", headers=api.shopper("c-9"))).json()
    by_type = {w["type"]: w for w in ways["items"]}
    assert by_type["visit"]["used"] == 1 and by_type["product_view"]["used"] == 1
    assert by_type["referral"]["points"] == 500
    assert by_type["referral"]["friend_coupon_title"] == "10 off"


async def test_design_panel_saves_an_uploaded_logo_and_refuses_a_big_one(
    api: Api, pages_as: PagesAs
) -> None:
    await save_program(api, program(widget=None))
    marketing = await pages_as("marketing")
    shown = await marketing.get("/admin/widget")
    assert shown.status_code == 200 and 'id="widget-preview"' in shown.text
    staff = await api.staff_headers("marketing")
    version = (await api.client.get("/v1/admin/program", headers=staff)).json()["version"]
    form = {
        "_csrf": marketing.csrf, "version": str(version), "accent": "#123456",
        "accent_text": "#ffffff", "background": "#ffffff", "text": "#000000", "shape": "square",
        "position": "bottom-left", "texts.en.title": "Club", "texts.nb.title": "",
    }  # fmt: skip
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4"/></svg>'
    saved = await marketing.client.post(
        "/admin/widget", data=form, files={"logo_file": ("logo.svg", svg, "image/svg+xml")}
    )
    assert saved.status_code == 303, saved.text
    design = (await api.client.get("/widget/config")).json()["design"]
    assert design["logo"].startswith("data:image/svg+xml;base64,")
    assert design["shape"] == "square" and design["texts"]["en"]["title"] == "Club"

    form["version"] = str(version + 1)
    big = await marketing.client.post(
        "/admin/widget", data=form, files={"logo_file": ("big.png", b"x" * 50_000, "image/png")}
    )
    assert big.status_code == 422 and "at most 45 KB" in big.text
    stale = await marketing.client.post("/admin/widget", data={**form, "version": "1"})
    assert stale.status_code == 409


async def test_staff_may_look_at_the_design_but_not_change_it(pages_as: PagesAs) -> None:
    staff = await pages_as("staff")
    shown = await staff.get("/admin/widget")
    assert shown.status_code == 200 and 'id="read-only"' in shown.text
    assert 'id="save-widget"' not in shown.text
    refused = await staff.post("/admin/widget", {"accent": "#000000"})
    assert refused.status_code == 403
