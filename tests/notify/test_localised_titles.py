"""Issue 15, localisation: coupon and reward texts in the member's locale, default as fallback."""

from __future__ import annotations

import msgspec
from arq.connections import ArqRedis

from loyalty import texts
from loyalty.clock import FrozenClock
from loyalty.settings import Settings
from schemas.program import ProgramRules
from tests.helpers import Api
from tests.notify.conftest import Fakes, member, run_worker, settle
from tests.rewards.support import create_reward, grant, my_coupons, rules_004, set_program

ANDROID = "android-fcm-token-0001:APA91bHPRgkF"
IOS_FCM = "ios-fcm-token-0002:APA91bXYZabcdefgh"


def test_pick_falls_back_from_region_to_language_to_the_default() -> None:
    title = {"en": "10 % off", "nb": "10 % rabatt"}
    assert texts.pick(title, "nb-NO", "en") == "10 % rabatt"
    assert texts.pick(title, "nn", "en") == "10 % rabatt"
    assert texts.pick(title, "sv", "en") == "10 % off"
    assert texts.pick(title, None, "nb") == "10 % rabatt"
    assert texts.pick("One text", "nb", "en") == "One text"
    assert texts.local('{"nb": "Gratis frakt"}', "nb-NO", "Free shipping") == "Gratis frakt"
    assert texts.local({}, "nb", "Free shipping") == "Free shipping"


def test_a_program_saved_with_a_plain_coupon_title_still_loads() -> None:
    doc = msgspec.json.encode({"coupon": {"title": "10 % off"}})
    assert msgspec.json.decode(doc, type=ProgramRules).coupon.title == "10 % off"


async def test_threshold_coupon_push_email_and_app_list_speak_the_members_language(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, fakes: Fakes
) -> None:
    await set_program(api, rules_004())  # coupon title {"en": ..., "nb": ...}
    android = ((ANDROID, "android", "fcm"),)
    await member(api, "kari", locale="nb-NO", email="kari@example.no", devices=android)
    await member(api, "ola", locale="sv", devices=((IOS_FCM, "ios", "fcm"),))
    await settle(settings, clock, redis, fakes)
    await grant(api, "kari", 5_000)
    await grant(api, "ola", 5_000)
    await run_worker(settings, clock, redis)

    titles = [p["notification"]["title"] for p in fakes.pushes_to(ANDROID)]
    assert "Belønningen din er klar: 10 % rabatt på neste bestilling" in titles
    [mail] = [m for m in fakes.smtp.messages if m["Subject"].startswith("Belønningen")]
    assert mail["Subject"] == "Belønningen din: 10 % rabatt på neste bestilling"
    assert "off your next order" not in mail.get_body(("plain",)).get_content()
    # Swedish has neither copy nor title: English copy, the default locale's title.
    english = [p["notification"]["title"] for p in fakes.pushes_to(IOS_FCM)]
    assert "Your reward is here: 10 % off your next order" in english

    assert [c["title"] for c in (await my_coupons(api, "kari"))["items"]] == [
        "10 % rabatt på neste bestilling"
    ]
    assert [c["title"] for c in (await my_coupons(api, "ola"))["items"]] == [
        "10 % off your next order"
    ]


async def test_catalogue_rewards_and_their_coupons_are_shown_per_locale(api: Api) -> None:
    await set_program(api, rules_004(threshold_points=0))
    reward = await create_reward(
        api,
        title={"en": "Free shipping", "nb": "Gratis frakt"},
        description={"en": "Shipped for free.", "nb": "Sendt gratis."},
        kind="free_shipping",
        value=0,
        points_cost=800,
    )
    assert reward["title"] == "Free shipping" and reward["titles"]["nb"] == "Gratis frakt"
    await member(api, "kari", locale="nb")
    await member(api, "ola", locale="en")
    await grant(api, "kari", 1_000)
    shown = await api.client.get("/v1/me/rewards", headers=api.shopper("kari"))
    [item] = shown.json()["items"]
    assert (item["title"], item["description"]) == ("Gratis frakt", "Sendt gratis.")
    english = await api.client.get("/v1/me/rewards", headers=api.shopper("ola"))
    assert english.json()["items"][0]["title"] == "Free shipping"

    unlocked = await api.client.post(
        f"/v1/me/rewards/{reward['id']}/unlock", headers=api.shopper("kari")
    )
    assert unlocked.status_code == 201, unlocked.text
    assert unlocked.json()["coupon"]["title"] == "Gratis frakt"

    plain = await create_reward(api, title="5 off", points_cost=100)
    assert plain["title"] == "5 off" and plain["titles"] == {"en": "5 off"}
