"""Marketing's program form: every rule, validated on save with messages beside the fields."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from admin_ui import program_form
from admin_ui.auth import require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now
from loyalty import program, simulate


async def program_page(
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    whatif: simulate.WhatIf | None = None,
) -> Template:
    rules, version, updated_at = await program.get_program()
    me = request.scope["state"]["staff"]
    return page(
        request,
        "program.html",
        status=status,
        groups=program_form.GROUPS,
        values=values or program_form.values_of(rules),
        errors=errors or {},
        version=version,
        updated_at=updated_at,
        editable=me.can("program.write"),
        whatif=whatif,
    )


class ProgramController(Controller):
    path = "/program"
    dependencies = {"now": Provide(provide_now)}

    @get("/", guards=[require("program.read")])
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The program's rules (read-only for roles that may not change them)."""
        return await program_page(request)

    @post("/", guards=[require("program.write")])
    async def save(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """Validate and save; on a problem, the form again with the message at the field."""
        current, version, _ = await program.get_program()
        form = await request.form()
        parsed = program_form.parse(form, current)
        if parsed.rules is None:
            return await program_page(
                request, values=parsed.values, errors=parsed.errors, status=422
            )
        if str(form.get("version")) != str(version):
            stale = {"": "someone saved the program since you opened it; review and save again"}
            return await program_page(request, values=parsed.values, errors=stale, status=409)
        who = request.scope["state"]["staff"]
        version = await program.save_rules(parsed.rules, actor=who.email, now=now)
        return redirect("/admin/program", f"Program saved (version {version}).")

    @post("/preview", guards=[require("program.write")])
    async def preview(self, request: Request[Any, Any, Any], now: Now) -> Template:
        """What-if: the form's rules replayed over the last days of orders, next to the
        current rules, before saving (nothing is saved; the form keeps the values)."""
        current, _, _ = await program.get_program()
        form = await request.form()
        parsed = program_form.parse(form, current)
        if parsed.rules is None:
            return await program_page(
                request, values=parsed.values, errors=parsed.errors, status=422
            )
        days = str(form.get("whatif_days") or "30")
        result = await simulate.what_if(
            parsed.rules, days=int(days) if days.isdigit() and 0 < int(days) <= 3650 else 30,
            now=now,
        )  # fmt: skip
        return await program_page(request, values=parsed.values, whatif=result)
