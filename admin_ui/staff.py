"""Admins' page: staff accounts and their roles (each change audited by the domain)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.auth import require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now
from loyalty import staff
from loyalty.errors import DomainError, Invalid

Email = Annotated[str, PathParameter(min_length=3, max_length=254)]


async def staff_page(
    request: Request[Any, Any, Any],
    *,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    return page(
        request,
        "staff.html",
        status=status,
        people=await staff.list_staff(),
        roles=staff.ROLES,
        permissions=sorted(staff.PERMISSIONS.items()),
        form_error=error,
        values=values or {},
    )


class StaffController(Controller):
    path = "/staff"
    dependencies = {"now": Provide(provide_now)}
    guards = [require("staff.manage")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """Every account, its role and whether it is active; a form for a new one."""
        return await staff_page(request)

    @post("/")
    async def create(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """A new account (email, name, role, initial password of 10+ characters)."""
        form = await request.form()
        values = {k: str(form.get(k) or "") for k in ("email", "name", "role")}
        me = request.scope["state"]["staff"]
        try:
            if "@" not in values["email"]:
                raise Invalid("invalid_email", "enter an email address")
            await staff.create(
                values["email"],
                str(form.get("password") or ""),
                values["role"],
                now=now,
                actor=me.email,
                name=values["name"].strip() or None,
            )
        except DomainError as exc:
            return await staff_page(request, error=exc.message, values=values, status=exc.status)
        return redirect("/admin/staff", f"Account {values['email'].strip().lower()} created.")

    @post("/{email:str}")
    async def update(
        self, request: Request[Any, Any, Any], email: Email, now: Now
    ) -> Redirect | Template:
        """Change a role, or deactivate/reactivate an account (deactivation ends sessions)."""
        form = await request.form()
        me = request.scope["state"]["staff"]
        role = str(form.get("role") or "") or None
        active = {"1": True, "0": False}.get(str(form.get("active")))
        try:
            if email.lower() == me.email and (active is False or role not in (None, "admin")):
                raise Invalid("self_lockout", "you cannot demote or deactivate yourself")
            await staff.update(email, role=role, active=active, actor=me.email, now=now)
        except DomainError as exc:
            return await staff_page(request, error=exc.message, status=exc.status)
        return redirect("/admin/staff", f"Account {email.lower()} updated.")
