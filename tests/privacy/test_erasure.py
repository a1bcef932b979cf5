"""Export and erasure through the public API: after an erasure no API, page, export or CSV
shows the person, the ledger still adds up, and a returning customer id starts afresh."""

from __future__ import annotations

import csv
import io

from arq.connections import ArqRedis
from twilio.request_validator import RequestValidator

from loyalty import db, ledger, program
from loyalty.clock import FrozenClock
from loyalty.fakes.twilio import FakeTwilio
from loyalty.settings import Settings
from schemas.program import ProgramRules
from tests.admin_ui.conftest import Pages, PagesAs
from tests.helpers import Api, assert_ledger_consistent, balances
from tests.rules.test_tiers import spend_tiers
from tests.sms.conftest import deliver

CUSTOMER = "kari-nordmann-77"
EMAIL, NAME, PHONE = "kari.nordmann@example.no", "Kari Nordmann", "+4791234567"
TOKEN = "fcm-token-abcdefghijklmnopqrstuvwxyz:APA91b-0123456789"
TRACES = (CUSTOMER, EMAIL, NAME, PHONE, "Nordmann", TOKEN)


async def make_person(api: Api, pages: Pages) -> None:
    """A member with a profile, a device, orders, a coupon, a staff grant and a block."""
    r = await api.shop_put(
        f"/v1/shop/customers/{CUSTOMER}",
        {
            "email": EMAIL,
            "name": NAME,
            "phone": PHONE,
            "birthday": "1990-05-17",
            "newsletter": True,
        },
    )
    assert r.status_code == 200, r.text
    device = {"platform": "android", "provider": "fcm"}
    r = await api.client.put(f"/v1/me/devices/{TOKEN}", json=device, headers=api.shopper(CUSTOMER))
    assert r.status_code == 200, r.text
    await api.order("o-1", customer_id=CUSTOMER, total_minor=60_000, status="completed")
    await api.order("o-2", customer_id=CUSTOMER, total_minor=5_000)  # still pending
    staff = await api.staff_headers("staff")
    r = await api.client.post(
        f"/v1/admin/members/{CUSTOMER}/adjustments",
        json={"points": 250, "reason": f"Goodwill for {NAME}'s late parcel"},
        headers=staff,
    )
    assert r.status_code == 201, r.text
    r = await pages.post(f"/admin/members/{CUSTOMER}/block", {"blocked": "1", "reason": "check"})
    assert r.status_code == 303
    await pages.post(f"/admin/members/{CUSTOMER}/block", {"blocked": "0", "reason": "fine"})


async def test_export_holds_every_part(api: Api, pages_as: PagesAs) -> None:
    await make_person(api, await pages_as("staff"))
    r = await api.client.get(
        f"/v1/admin/members/{CUSTOMER}/export", headers=await api.staff_headers("staff")
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["profile"]["email"] == EMAIL and doc["profile"]["birthday"] == "1990-05-17"
    assert doc["consents"] == {"newsletter": True, "push": True}
    assert [o["order_id"] for o in doc["orders"]] == ["o-1", "o-2"]
    assert {e["kind"] for e in doc["ledger"]} >= {"earn_pending", "earn_confirm", "coupon_burn"}
    assert sum(e["available"] for e in doc["ledger"]) == doc["balance"]["available"] == 1_250
    assert len(doc["coupons"]) == 1 and doc["coupons"][0]["status"] == "active"
    assert [d["token"] for d in doc["devices"]] == [TOKEN]
    assert {n["event"] for n in doc["notifications"]} >= {"welcome", "coupon_issued"}
    mine = await api.client.get("/v1/me/export", headers=api.shopper(CUSTOMER))
    assert mine.status_code == 200 and mine.json()["ledger"] == doc["ledger"]
    marketing = await api.client.get(
        f"/v1/admin/members/{CUSTOMER}/export", headers=await api.staff_headers("marketing")
    )
    assert marketing.status_code == 403


async def _everything_in_the_database() -> str:
    tables = await db.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'migration'"
    )
    parts = []
    for t in tables:
        rows = await db.fetch(f'SELECT row_to_json(x)::text AS j FROM "{t["tablename"]}" x')
        parts += [r["j"] for r in rows]
    return "\n".join(parts)


async def texts_and_tier(
    api: Api, settings: Settings, clock: FrozenClock, redis: ArqRedis, twilio: FakeTwilio
) -> None:
    """The person's coupon texted to their phone, a STOP and a START texted back (audited by
    number), and a tier set by hand with a reason naming them."""
    await deliver(settings, clock, redis)
    assert [m.to for m in twilio.to(PHONE)] == [PHONE]  # the coupon, by SMS
    url = "http://test/v1/sms/inbound"
    for word in ("STOP", "START"):
        form = {"From": PHONE, "To": twilio.from_number, "Body": word, "MessageSid": "SM1"}
        signature = RequestValidator(twilio.auth_token).compute_signature(url, form)
        r = await api.client.post(url, data=form, headers={"x-twilio-signature": signature})
        assert r.status_code == 200, r.text
    await program.save_rules(ProgramRules(tiers=spend_tiers()), actor=None, now=clock.now())
    r = await api.client.post(
        f"/v1/admin/members/{CUSTOMER}/tier",
        json={"tier_id": "gold", "reason": f"{NAME} is a press partner"},
        headers=await api.staff_headers("staff"),
    )
    assert r.status_code == 200, r.text


async def test_after_erasure_nothing_shows_the_person(
    api: Api,
    pages_as: PagesAs,
    settings: Settings,
    clock: FrozenClock,
    redis: ArqRedis,
    twilio: FakeTwilio,
) -> None:
    staff_pages, admin_pages = await pages_as("staff"), await pages_as("admin")
    await make_person(api, staff_pages)
    await texts_and_tier(api, settings, clock, redis, twilio)
    admin = await api.staff_headers("admin")
    staff = await api.staff_headers("staff")
    refused = await api.client.delete(f"/v1/admin/members/{CUSTOMER}", headers=staff)
    assert refused.status_code == 403
    r = await api.client.delete(f"/v1/admin/members/{CUSTOMER}", headers=admin)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["coupons_voided"] == 1 and done["points_forfeited"] == 6_250
    assert done["pending_dropped"] == 500

    # The API, the pages, the export and the CSV know no such person.
    assert (await api.client.get(f"/v1/admin/members/{CUSTOMER}", headers=admin)).status_code == 404
    for q in (CUSTOMER, EMAIL, PHONE, "Nordmann"):
        found = await api.client.get("/v1/admin/members", params={"q": q}, headers=admin)
        assert found.json() == [], q
        page = await staff_pages.get("/admin/members", params={"q": q})
        assert "No member matches" in page.text, q
    export = await api.client.get(f"/v1/admin/members/{CUSTOMER}/export", headers=admin)
    assert export.status_code == 404
    me = await api.client.get("/v1/me/export", headers=api.shopper(CUSTOMER))
    assert me.status_code == 404
    audit = await api.client.get("/v1/admin/audit", headers=admin)
    csv_text = (await admin_pages.get("/admin/audit/export.csv")).text
    audit_page = (await admin_pages.get("/admin/audit")).text
    for text in (audit.text, csv_text, audit_page, await _everything_in_the_database()):
        for trace in TRACES:
            assert trace not in text, trace
    actions = [row["action"] for row in csv.DictReader(io.StringIO(csv_text))]
    assert "member.erase" in actions and "member.adjust" in actions  # who did what stays
    assert {"member.sms_opt_out", "member.sms_opt_in", "member.tier"} <= set(actions)
    sms = await db.fetch("SELECT target, status FROM delivery WHERE channel = 'sms'")
    assert [r["status"] for r in sms] == ["sent"] and PHONE not in sms[0]["target"]
    flags = await db.fetchrow(
        "SELECT sms_opt_in, sms_block FROM member WHERE customer_id LIKE '#erased-%'"
    )
    assert (flags["sms_opt_in"], flags["sms_block"]) == (False, None)
    assert await db.fetchval("SELECT count(*) FROM member_tier") == 0  # counts in no tier

    # The ledger still adds up; the forfeited points count as expired, none are owed.
    await assert_ledger_consistent()
    assert await ledger.lot_drift() == []
    outstanding = await db.fetchval("SELECT sum(available) FROM member")
    assert outstanding == 0

    # A customer id that comes back is a new, empty member.
    again = await api.shop_put(f"/v1/shop/customers/{CUSTOMER}", {"name": "Someone new"})
    assert again.status_code == 200
    assert await balances(CUSTOMER) == {
        "available": 0,
        "pending": 0,
        "lifetime": 0,
        "spent": 0,
        "expired": 0,
    }
    second = await api.client.delete("/v1/admin/members/nobody-here", headers=admin)
    assert second.status_code == 404


async def test_the_shop_forwards_an_erasure_signed(api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    path = "/v1/shop/customers/c-1"
    unsigned = await api.client.delete(path)
    assert unsigned.status_code == 401
    wrong_path = api.signed(b"", path="/v1/shop/customers/c-2", method="DELETE")
    assert (await api.client.delete(path, headers=wrong_path)).status_code == 401
    r = await api.client.delete(path, headers=api.signed(b"", path=path, method="DELETE"))
    assert r.status_code == 200, r.text
    assert r.json()["points_forfeited"] == 1_000
    gone = await api.client.delete(path, headers=api.signed(b"", path=path, method="DELETE"))
    assert gone.status_code == 404
    await assert_ledger_consistent()
