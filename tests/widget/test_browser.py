"""The widget in a real browser, embedded in a shop page on another origin.

Headless Chromium (Debian's, driven by Playwright, as in the back-office tests) opens the
shop's page at ``http://127.0.0.1:<port>``; the engine runs at ``http://localhost:<port>``
and allows only the shop's origin. Screenshots land in tests/screenshots/ (git-ignored);
docs/screenshots/widget-*.png are copies of them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from loyalty.clock import FrozenClock
from tests.activity.support import activity_points
from tests.admin_ui.conftest import SCREENSHOTS as DOCS
from tests.helpers import Api, assert_ledger_consistent, balances
from tests.widget.conftest import ShopSite
from tests.widget.support import add_reward, page, program, save_program


def token_of(api: Api, customer_id: str) -> str:
    return api.shopper(customer_id)["authorization"].removeprefix("Bearer ")


class Console:
    """Every console error and uncaught exception of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


def setup_module() -> None:
    DOCS.mkdir(exist_ok=True)


async def shopper_with_points(api: Api, customer_id: str, total_minor: int) -> None:
    await api.shop_put(f"/v1/shop/customers/{customer_id}", {"name": "Kari", "locale": "en"})
    await api.order(f"{customer_id}-o1", customer_id=customer_id, total_minor=total_minor,
                    status="completed")  # fmt: skip


async def launcher_count(pg: Any, expected: str) -> None:
    await pg.locator("loyalty-widget .launcher .count", has_text=expected).wait_for()


async def test_shopper_sees_balance_unlocks_a_reward_and_earns_a_product_view_once(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, context: Any
) -> None:
    await save_program(api, program())
    cheap = await add_reward(api, "5 EUR off", 500, description="On any order")
    await add_reward(api, "Weekend trip", 900_000)
    await shopper_with_points(api, "c-1", 100_00)  # 1,000 points
    token = token_of(api, "c-1")
    shop.pages["/shoe"] = page(live_server, token, sku="SHOE-1")
    shop.pages["/bag"] = page(live_server, token, sku="BAG-7")

    pg = await context.new_page()
    console = Console(pg)
    await pg.goto(f"{shop.origin}/shoe")
    await launcher_count(pg, "1,015")  # 1,000 + visit 10 + product view 5
    assert await pg.inner_text("#snippet") == "1,015 points"
    assert "to your next reward" in await pg.inner_text("#snippet-next")

    # Keyboard only: focus the launcher, open, walk to the reward, unlock, confirm.
    await pg.locator("loyalty-widget .launcher").focus()
    await pg.keyboard.press("Enter")
    panel = pg.locator("loyalty-widget .panel")
    await panel.wait_for(state="visible")
    assert (
        await pg.evaluate(
            "document.querySelector('loyalty-widget').shadowRoot.activeElement.className"
        )
        == "close"
    )
    assert await pg.inner_text("loyalty-widget #lw-balance") == "1,015"
    # /v1/me has no tier or campaigns here (tiers off): those sections stay out.
    assert await pg.locator("loyalty-widget #lw-tier, loyalty-widget #lw-campaigns").count() == 0
    unlock = pg.locator(f"loyalty-widget button.unlock[data-reward='{cheap}']")
    for _ in range(12):
        await pg.keyboard.press("Tab")
        if await unlock.evaluate("b => b.getRootNode().activeElement === b"):
            break
    else:
        raise AssertionError("Tab never reached the unlock button")
    await pg.keyboard.press("Enter")
    await pg.keyboard.press("Enter")  # the confirm button has the focus
    code_box = pg.locator(f"loyalty-widget li.reward[data-reward='{cheap}'] .code input")
    await code_box.wait_for()
    await launcher_count(pg, "515")
    coupons = (await api.client.get("/v1/me/coupons", headers=api.shopper("c-1"))).json()
    assert await code_box.input_value() == coupons["items"][0]["code"]
    assert await pg.inner_text("loyalty-widget #lw-balance") == "515"
    assert (
        coupons["items"][0]["code"]
        in await pg.locator("loyalty-widget #lw-coupons input").first.input_value()
    )

    referral = (await api.client.get("/v1/me/referral", headers=api.shopper("c-1"))).json()
    shown = await pg.locator("loyalty-widget #lw-referral input").input_value()
    assert shown == referral["share_link"]
    await pg.keyboard.press("Enter")  # the focus went to the new code's copy button
    copy = pg.locator(f"loyalty-widget li.reward[data-reward='{cheap}'] button.copy")
    await copy.filter(has_text="Copied").wait_for()
    await pg.screenshot(path=str(DOCS / "widget-desktop.png"))

    await pg.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert (
        await pg.evaluate(
            "document.querySelector('loyalty-widget').shadowRoot.activeElement.className"
        )
        == "launcher"
    )

    # A reload and another marked product: the view counted once, the daily cap holds.
    await pg.reload()
    await launcher_count(pg, "515")
    async with pg.expect_response(lambda r: "BAG-7" in (r.request.post_data or "")) as seen:
        await pg.goto(f"{shop.origin}/bag")
    assert (await (await seen.value).json())["outcome"] == "cap_reached"
    await launcher_count(pg, "515")
    assert (await balances("c-1"))["available"] == 515
    assert await activity_points("c-1") == 15
    assert console.errors == []
    await assert_ledger_consistent()


async def test_usable_at_390_px_in_norwegian(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, browser: Any
) -> None:
    await save_program(api, program())
    await add_reward(api, "50 kr rabatt", 500)
    await add_reward(api, "Gavekort 500 kr", 20_000)
    await shopper_with_points(api, "c-2", 123_400)  # 12,340 points -> a coupon at 5,000 ...
    await api.order("c-2-o2", customer_id="c-2", total_minor=31_000)  # ... and 3,100 pending
    shop.pages["/"] = page(live_server, token_of(api, "c-2"), locale="nb")
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                      has_touch=True, device_scale_factor=2)  # fmt: skip
    try:
        pg = await phone.new_page()
        console = Console(pg)
        await pg.goto(f"{shop.origin}/")
        available = (await balances("c-2"))["available"] + 10  # and the visit's 10
        shown = f"{available:,}".replace(",", "\u00a0")  # Norwegian groups with a no-break space
        await launcher_count(pg, shown)
        assert await pg.inner_text("#snippet") == f"{shown} poeng"
        await pg.locator("loyalty-widget .launcher").tap()
        panel = pg.locator("loyalty-widget .panel")
        await panel.wait_for(state="visible")
        box = await panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844
        assert await pg.evaluate("document.documentElement.scrollWidth") <= 390
        assert "3\u00a0100 poeng venter" in await pg.inner_text("loyalty-widget #lw-pending")
        assert "Nordlys-klubben" in await pg.inner_text("loyalty-widget header")
        assert "dine rabatter" in (await pg.inner_text("loyalty-widget .panel")).lower()
        unlock = pg.locator("loyalty-widget button.unlock")
        assert await unlock.count() == 1  # only the affordable reward
        ubox = await unlock.bounding_box()
        assert ubox is not None and ubox["height"] >= 40  # a comfortable touch target
        await pg.screenshot(path=str(DOCS / "widget-phone.png"))
        assert console.errors == []
    finally:
        await phone.close()


async def test_expired_token_shows_the_signed_out_view(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, context: Any
) -> None:
    await save_program(api, program())
    await shopper_with_points(api, "c-3", 10_000)
    expired = api.shopper("c-3", ttl=timedelta(hours=-1))["authorization"].removeprefix("Bearer ")
    shop.pages["/"] = page(live_server, expired)
    pg = await context.new_page()
    await pg.add_init_script(
        "document.addEventListener('loyalty:token-expired', () => { window.__expired = true; });"
    )
    await pg.goto(f"{shop.origin}/")
    await pg.locator("loyalty-widget .launcher").click()
    signed_out = pg.locator("loyalty-widget .signed-out")
    await signed_out.wait_for()
    assert "Join Nordlys Club" in await signed_out.inner_text()
    cta = pg.locator("loyalty-widget a.cta")
    assert await cta.get_attribute("href") == "/account/register"
    how = await pg.inner_text("loyalty-widget .panel")
    assert "10 points per €1.00" in how and "Visit the shop" in how
    assert await pg.locator("loyalty-widget #lw-balance").count() == 0
    assert await pg.inner_text("#snippet") == ""
    assert await pg.evaluate("window.__expired") is True
    await pg.screenshot(path=str(DOCS / "widget-signed-out.png"))
    assert await activity_points("c-3") == 0  # the expired token earned nothing either


async def test_a_page_on_an_origin_not_allowed_is_refused(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, context: Any
) -> None:
    await save_program(api, program())
    await shopper_with_points(api, "c-4", 10_000)
    token = token_of(api, "c-4")
    shop.pages["/"] = page(live_server, token, sku="SHOE-1")
    other = shop.origin.replace("127.0.0.1", "localhost")  # same server, another origin
    pg = await context.new_page()
    await pg.goto(f"{other}/")
    await pg.locator("loyalty-widget .launcher").click()
    await pg.locator("loyalty-widget .panel [role=alert]").wait_for()
    outcome = await pg.evaluate(
        """async ([url, token]) => {
             try { await fetch(url, {headers: {authorization: `Bearer ${token}`}}); return "read"; }
             catch (e) { return e.name; }
           }""",
        [f"{live_server}/v1/me", token],
    )
    assert outcome == "TypeError"  # the browser may not read the answer
    assert await activity_points("c-4") == 0  # and the engine refused before any handler ran
    await assert_ledger_consistent()


async def preview_js(pg: Any, expression: str) -> Any:
    """``expression`` evaluated with ``r`` = the preview widget's shadow root."""
    root = "document.querySelector('#widget-preview > .lw-host').shadowRoot"
    return await pg.evaluate(f"(() => {{ const r = {root}; return {expression}; }})()")


async def test_marketing_designs_the_widget_with_a_live_preview(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, context: Any
) -> None:
    from tests.admin_ui.test_browser import login

    await save_program(api, program(widget=None))
    await add_reward(api, "5 EUR off", 500)
    pg = await login(context, live_server, "marketing", clock)
    console = Console(pg)
    await pg.click("header nav >> text=Widget")
    preview = pg.locator("#widget-preview .panel")
    await preview.wait_for(state="visible")
    assert await pg.inner_text("#widget-preview header h2") == "Rewards"

    await pg.fill("#w-accent", "#8a1c7c")
    await pg.fill("#w-en-title", "Aurora Club")
    await pg.locator("#widget-preview header h2", has_text="Aurora Club").wait_for()
    assert await preview_js(pg, "getComputedStyle(r.querySelector('header')).backgroundColor") == (
        "rgb(138, 28, 124)"
    )
    await pg.select_option("#w-shape", "circle")
    await pg.select_option("#w-position", "bottom-left")
    assert await preview_js(pg, "r.querySelector('.lw').dataset.shape") == "circle"
    await pg.select_option("#preview-mode", "out")
    await pg.locator("#widget-preview .signed-out").wait_for()
    await pg.select_option("#preview-mode", "in")
    await pg.locator("#widget-preview #lw-balance").wait_for()
    await pg.screenshot(path=str(DOCS / "widget-design-panel.png"), full_page=True)

    await pg.fill("#w-sign-up-url", "javascript:alert(1)")
    await pg.click("#save-widget")
    assert await pg.get_attribute("[data-field='sign_up_url']", "data-field") == "sign_up_url"
    assert console.errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
    console.errors.clear()  # the page itself answered 422, as form errors do
    await pg.fill("#w-sign-up-url", "https://shop.example/join")
    await pg.fill("#w-nb-title", "Nordlys-klubben")
    await pg.click("#save-widget")
    await pg.wait_for_selector(".flash")
    assert "Widget design saved" in await pg.inner_text(".flash")
    assert console.errors == []

    config = (await api.client.get("/widget/config?locale=nb")).json()
    assert config["design"]["accent"] == "#8a1c7c"
    assert config["design"]["shape"] == "circle"
    assert config["design"]["position"] == "bottom-left"
    assert config["design"]["sign_up_url"] == "https://shop.example/join"
    assert config["texts"]["title"] == "Nordlys-klubben"
    assert config["design"]["texts"]["en"]["title"] == "Aurora Club"


async def test_tier_and_campaigns_show_when_the_api_reports_them(
    live_server: str, shop: ShopSite, context: Any
) -> None:
    shop.pages["/"] = (
        f'<!doctype html><html lang="en"><head><link rel="icon" href="data:,"></head><body>'
        f'<div id="host"></div><script src="{live_server}/widget/loyalty.js"></script>'
        "</body></html>"
    )
    pg = await context.new_page()
    console = Console(pg)
    await pg.goto(f"{shop.origin}/")
    await pg.evaluate(
        """() => LoyaltyWidget.preview(document.getElementById("host"), {
             locale: "en",
             me: {balance: {available: 7200, pending: 0, next_reward_threshold: null},
                  tier: {id: "silver", name: "Silver",
                         next: {id: "gold", name: "Gold", missing: 2800}},
                  campaigns: [{id: "bf", name: "Black Friday", ends_at: "2026-11-30T23:00:00Z",
                               multiplier_pct: 200, bonus_points: 0}]},
             rewards: {items: []}, coupons: {items: []}})"""
    )
    await pg.locator("#host #lw-tier", has_text="Level: Silver").wait_for()
    panel = await pg.inner_text("#host .panel")
    assert "2,800 points to Gold" in panel
    assert "Black Friday" in panel and "2\u00d7 points" in panel
    assert console.errors == []


async def test_init_call_starts_the_widget_and_announces_a_product_view(
    api: Api, clock: FrozenClock, live_server: str, shop: ShopSite, context: Any
) -> None:
    await save_program(api, program())
    await shopper_with_points(api, "c-5", 5_000)
    shop.pages["/"] = (
        '<!doctype html><html lang="en"><head><link rel="icon" href="data:,"></head><body>'
        f'<script src="{live_server}/widget/loyalty.js"></script>'
        f'<script>LoyaltyWidget.init({{token: "{token_of(api, "c-5")}"}});</script>'
        '<div data-loyalty-sku="SHOE-1">Shoe</div></body></html>'
    )
    pg = await context.new_page()
    console = Console(pg)
    await pg.goto(f"{shop.origin}/")
    await launcher_count(pg, "515")
    toast = pg.locator("loyalty-widget .toast", has_text="+5 points for looking at this product")
    await toast.wait_for()
    assert console.errors == []
