"""The widget in a real browser, embedded in a shop page on another origin.

Headless Chromium (Debian's, driven by Playwright, as in the back-office tests) opens the
shop's page at ``http://127.0.0.1:<port>``; the engine runs at ``http://localhost:<port>``
and allows only the shop's origin. Screenshots of the widget land in docs/screenshots/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from loyalty.clock import FrozenClock
from tests.activity.support import activity_points
from tests.helpers import Api, assert_ledger_consistent, balances
from tests.widget.conftest import ShopSite
from tests.widget.support import add_reward, page, program, save_program

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def token_of(api: Api, customer_id: str) -> str:
    return api.shopper(customer_id)["authorization"].removeprefix("Bearer ")


class Console:
    """Every console error and uncaught exception of a page."""

    def __init__(self, page: Any) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))


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
    assert await pg.evaluate("document.querySelector('loyalty-widget').shadowRoot.activeElement.className") == "close"
    assert await pg.inner_text("loyalty-widget #lw-balance") == "1,015"
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
    assert coupons["items"][0]["code"] in await pg.locator("loyalty-widget #lw-coupons input").first.input_value()

    referral = (await api.client.get("/v1/me/referral", headers=api.shopper("c-1"))).json()
    shown = await pg.locator("loyalty-widget #lw-referral input").input_value()
    assert shown == referral["share_link"]
    await pg.screenshot(path=str(DOCS / "widget-desktop.png"))

    await pg.keyboard.press("Escape")
    await panel.wait_for(state="hidden")
    assert await pg.evaluate("document.querySelector('loyalty-widget').shadowRoot.activeElement.className") == "launcher"

    # A reload and another marked product: the view counted once, the daily cap holds.
    await pg.reload()
    await launcher_count(pg, "515")
    await pg.goto(f"{shop.origin}/bag")
    await launcher_count(pg, "515")
    await pg.wait_for_timeout(300)
    assert (await balances("c-1"))["available"] == 515
    assert await activity_points("c-1") == 15
    assert console.errors == []
    await assert_ledger_consistent()
