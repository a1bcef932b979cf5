"""Logging in and out of the back office (the session is a :func:`loyalty.staff.login` token)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from admin_ui.auth import (
    LOGIN_CSRF_COOKIE,
    check_login_csrf,
    login_csrf_cookie,
    new_login_csrf,
    require,
    safe_next,
    session_cookie,
    session_token,
)
from admin_ui.render import SECURITY_HEADERS, page
from api.deps import STAFF_COOKIE, Now, client_of, provide_now
from loyalty import login_limits, staff
from loyalty.errors import RateLimited, Unauthorized


def login_form(
    request: Request[Any, Any, Any], next_path: str, *, error: str | None = None, status: int = 200
) -> Template:
    token = new_login_csrf()
    response = page(
        request, "login.html", status=status, login_csrf=token, next=next_path, error=error
    )
    response.set_cookie(login_csrf_cookie(token))
    return response


class LoginController(Controller):
    dependencies = {"now": Provide(provide_now)}

    @get("/login")
    async def form(
        self,
        request: Request[Any, Any, Any],
        next: Annotated[str, QueryParameter(max_length=500)] = "/admin/",
    ) -> Template:
        """The login form."""
        return login_form(request, safe_next(next))

    @post("/login")
    async def login(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """Check the credentials; on success set the session cookie and go where asked."""
        form = await request.form()
        check_login_csrf(request, form.get("_login_csrf"))
        target = safe_next(form.get("next"))
        try:
            token, _ = await login_limits.login(
                request.app.state.redis,
                str(form.get("email") or "")[:254],
                str(form.get("password") or "")[:500],
                client_of(request),
                now=now,
            )
        except Unauthorized as exc:
            return login_form(request, target, error=exc.message, status=401)
        except RateLimited as exc:
            page_ = login_form(request, target, error=exc.message, status=429)
            page_.headers["Retry-After"] = str(exc.details["retry_after"])
            return page_
        response = Redirect(target, status_code=303, headers=SECURITY_HEADERS)
        response.set_cookie(session_cookie(token))
        response.delete_cookie(LOGIN_CSRF_COOKIE, path="/admin/login")
        return response

    @post("/logout", guards=[require("program.read")])
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session (the token is deleted server-side, the cookie cleared)."""
        token = session_token(request)
        if token:
            await staff.logout(token)
        response = Redirect("/admin/login", status_code=303, headers=SECURITY_HEADERS)
        response.delete_cookie(STAFF_COOKIE, path="/")
        return response
