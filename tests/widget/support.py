"""Test data of the widget tests: a program with activity rules and rewards, a shopper with
points, and the shop's page that embeds the widget with the two documented lines."""

from __future__ import annotations

from typing import Any

import msgspec

from schemas.program import ActivityRules, CappedActivity, ProductViews, ProgramRules, Referrals
from schemas.widget import WidgetDesign, WidgetTexts
from tests.helpers import Api

LOGO = (
    "data:image/svg+xml;base64,"
    "PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHZpZXdCb3g9IjAgMCA0MCA0MCI+"
    "PGNpcmNsZSBjeD0iMjAiIGN5PSIyMCIgcj0iMTgiIGZpbGw9IiNmZmQ3MDAiLz48dGV4dCB4PSIyMCIg"
    "eT0iMjciIGZvbnQtc2l6ZT0iMjAiIHRleHQtYW5jaG9yPSJtaWRkbGUiIGZvbnQtZmFtaWx5PSJzYW5z"
    "LXNlcmlmIiBmaWxsPSIjMWI0MzMyIj5OPC90ZXh0Pjwvc3ZnPg=="
)

DESIGN = WidgetDesign(
    accent="#1b4332",
    accent_text="#ffffff",
    shape="pill",
    position="bottom-right",
    logo=LOGO,
    sign_up_url="/account/register",
    texts={
        "en": WidgetTexts(title="Nordlys Club", launcher="points"),
        "nb": WidgetTexts(title="Nordlys-klubben"),
    },
)


def program(**overrides: Any) -> ProgramRules:
    """The demo program with visits, two marked products (once a day in all) and referrals."""
    activity = ActivityRules(
        visit=CappedActivity(enabled=True, points=10, cap="day", cap_count=1),
        product_view=ProductViews(
            enabled=True, points=5, cap="day", cap_count=1, skus=["SHOE-1", "BAG-7"]
        ),
        referral=Referrals(enabled=True, share_link="https://shop.example/invite/{code}"),
    )
    return ProgramRules(
        **{"name": "Nordlys Club", "activity": activity, "widget": DESIGN, **overrides}
    )


async def save_program(api: Api, rules: ProgramRules) -> None:
    response = await api.client.put(
        "/v1/admin/program",
        content=msgspec.json.encode(rules),
        headers={**await api.staff_headers("marketing"), "content-type": "application/json"},
    )
    assert response.status_code == 200, response.text


async def add_reward(api: Api, title: str, cost: int, **extra: Any) -> int:
    body = {"title": title, "points_cost": cost, "kind": "amount_off", "value": 5_000, **extra}
    response = await api.client.post(
        "/v1/admin/rewards", json=body, headers=await api.staff_headers("marketing")
    )
    assert response.status_code == 201, response.text
    reward_id: int = response.json()["id"]
    return reward_id


def page(engine: str, token: str, *, sku: str | None = None, locale: str = "en") -> str:
    """A shop page: its own CSS that would clash, a marked product, a snippet, the embed."""
    product = f'<article class="product" data-loyalty-sku="{sku}"><h2>{sku}</h2></article>'
    return f"""<!doctype html>
<html lang="{locale}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>Nordlys shop</title>
<style>body{{font-family:Georgia,serif;margin:0;padding:24px;background:#f4f1ea}}
button{{background:red!important;font-size:30px!important}} h2{{color:purple}}
.hero{{height:260px;background:#d8cfc0;border-radius:12px;padding:20px}}</style></head>
<body><header class="hero"><h1>Nordlys shop</h1>
<p>Your points: <loyalty-points id="snippet"></loyalty-points></p>
<p><loyalty-points id="snippet-next" show="next"></loyalty-points></p></header>
{product if sku else ""}
<script src="{engine}/widget/loyalty.js" defer></script>
<loyalty-widget token="{token}" locale="{locale}"></loyalty-widget>
</body></html>"""
