"""Without a browser: sessions, CSRF, roles enforced server-side, escaping."""

from __future__ import annotations

import pytest

from loyalty.clock import FrozenClock
from tests.admin_ui.conftest import Pages, PagesAs, ensure_staff, password_of
from tests.helpers import Api, assert_ledger_consistent, balances

PAGES = [
    "/admin/",
    "/admin/members",
    "/admin/members?q=c-1",
    "/admin/members/c-1",
    "/admin/members/c-1/ledger",
    "/admin/program",
    "/admin/staff",
    "/admin/audit",
    "/admin/audit/export.csv",
    "/admin/rewards",
    "/admin/templates",
]
POSTS = [
    "/admin/members/c-1/adjust",
    "/admin/members/c-1/block",
    "/admin/program",
    "/admin/staff",
    "/admin/staff/admin@test.example",
    "/admin/logout",
]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_redirects_to_login_without_a_session(
    pages_as: PagesAs, path: str
) -> None:
    anonymous: Pages = await pages_as("anonymous")
    response = await anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/login")


async def test_login_redirect_keeps_where_you_were_going(
    pages_as: PagesAs, clock: FrozenClock
) -> None:
    anonymous: Pages = await pages_as("anonymous")
    response = await anonymous.get("/admin/members?q=c-1")
    assert response.headers["location"] == "/admin/login?next=%2Fadmin%2Fmembers%3Fq%3Dc-1"
    email = await ensure_staff("staff", clock)
    login = await anonymous.login(email, password_of("staff"))
    assert login.status_code == 303 and login.headers["location"] == "/admin/"
    form = await anonymous.get("/admin/login?next=https://evil.example/")
    assert 'value="/admin/"' in form.text


async def test_a_forged_or_stale_session_cookie_is_not_a_session(pages_as: PagesAs) -> None:
    anonymous: Pages = await pages_as("anonymous")
    anonymous.client.cookies.set("loyalty_staff", "made-up-token", domain="test")
    response = await anonymous.get("/admin/")
    assert response.status_code == 303


@pytest.mark.parametrize("path", POSTS)
async def test_posts_without_a_session_go_to_login(pages_as: PagesAs, path: str) -> None:
    anonymous: Pages = await pages_as("anonymous")
    response = await anonymous.post(path, {"reason": "x" * 10}, csrf=False)
    assert response.status_code == 303


@pytest.mark.parametrize("path", POSTS)
async def test_posts_without_the_csrf_token_are_refused(
    pages_as: PagesAs, api: Api, path: str
) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    admin: Pages = await pages_as("admin")
    data = {"direction": "grant", "points": "5", "reason": "goodwill", "blocked": "1"}
    response = await admin.post(path, data, csrf=False)
    assert response.status_code == 403 and "security token" in response.text
    wrong = await admin.post(path, {**data, "_csrf": "0" * 64}, csrf=False)
    assert wrong.status_code == 403
    assert await balances("c-1") == {
        "available": 1_000,
        "pending": 0,
        "lifetime": 1_000,
        "spent": 0,
        "expired": 0,
    }
    assert (await admin.get("/admin/")).status_code == 200  # still logged in


async def test_login_needs_the_login_form_token(pages_as: PagesAs, clock: FrozenClock) -> None:
    anonymous: Pages = await pages_as("anonymous")
    email = await ensure_staff("admin", clock)
    response = await anonymous.client.post(
        "/admin/login", data={"email": email, "password": password_of("admin")}
    )
    assert response.status_code == 403
    assert "loyalty_staff" not in response.headers.get("set-cookie", "")


async def test_wrong_password_is_an_error_on_the_form(
    pages_as: PagesAs, clock: FrozenClock
) -> None:
    anonymous: Pages = await pages_as("anonymous")
    email = await ensure_staff("admin", clock)
    response = await anonymous.login(email, "not-the-password")
    assert response.status_code == 401 and "wrong email or password" in response.text


async def test_session_cookie_is_httponly_secure_strict(
    pages_as: PagesAs, clock: FrozenClock
) -> None:
    anonymous: Pages = await pages_as("anonymous")
    email = await ensure_staff("admin", clock)
    response = await anonymous.login(email, password_of("admin"))
    cookie = next(c for c in response.headers.get_list("set-cookie") if "loyalty_staff=" in c)
    lowered = cookie.lower()
    assert "httponly" in lowered and "secure" in lowered and "samesite=strict" in lowered


async def test_marketing_cannot_grant_points(pages_as: PagesAs, api: Api) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=10_000, status="completed")
    marketing: Pages = await pages_as("marketing")
    page = await marketing.get("/admin/members/c-1")
    assert page.status_code == 403
    data = {"direction": "grant", "points": "500", "reason": "sneaky"}
    response = await marketing.post("/admin/members/c-1/adjust", data)
    assert response.status_code == 403
    block = await marketing.post("/admin/members/c-1/block", {"blocked": "1", "reason": "nope"})
    assert block.status_code == 403
    assert (await balances("c-1"))["available"] == 1_000
    nav = (await marketing.get("/admin/")).text
    assert "/admin/members" not in nav and "/admin/program" in nav


async def test_staff_cannot_change_the_program(pages_as: PagesAs) -> None:
    staff_pages: Pages = await pages_as("staff")
    view = await staff_pages.get("/admin/program")
    assert view.status_code == 200 and "Read-only" in view.text and "save-program" not in view.text
    response = await staff_pages.post("/admin/program", {"name": "Hijacked", "version": "0"})
    assert response.status_code == 403
    for path in ("/admin/staff", "/admin/audit", "/admin/rewards", "/admin/templates"):
        assert (await staff_pages.get(path)).status_code == 403, path


async def test_html_in_a_member_name_is_escaped(pages_as: PagesAs, api: Api) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = await api.shop_put("/v1/shop/customers/c-1", {"name": evil, "email": "a@b.c"})
    assert response.status_code == 200
    staff_pages: Pages = await pages_as("staff")
    for path in ("/admin/members/c-1", "/admin/members?q=script"):
        html = (await staff_pages.get(path)).text
        assert evil not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    reason = "<b>bold</b> reason"
    await staff_pages.post(
        "/admin/members/c-1/adjust", {"direction": "grant", "points": "5", "reason": reason}
    )
    admin: Pages = await pages_as("admin")
    audit = (await admin.get("/admin/audit")).text
    assert reason not in audit and "&lt;b&gt;bold&lt;/b&gt; reason" in audit


async def test_pages_send_security_headers(pages_as: PagesAs) -> None:
    admin: Pages = await pages_as("admin")
    response = await admin.get("/admin/")
    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]


async def test_logout_ends_the_session_server_side(pages_as: PagesAs) -> None:
    admin: Pages = await pages_as("admin")
    token = admin.client.cookies.get("loyalty_staff")
    response = await admin.post("/admin/logout", {})
    assert response.status_code == 303
    admin.client.cookies.set("loyalty_staff", token or "", domain="test")
    assert (await admin.get("/admin/")).status_code == 303
    await assert_ledger_consistent()
