"""Staff opt a member out of text messages (or back in) from the member page.

One domain call (:func:`loyalty.sms.consent.set_opt_in`, audited); the form is
``_sms_consent.html``, included in the member page.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.di import Provide
from litestar.response import Redirect, Template

from admin_ui.auth import actor, require
from admin_ui.members import member_page
from admin_ui.render import redirect
from api.deps import Now, provide_now
from api.shop import PathId
from loyalty.errors import DomainError
from loyalty.sms import consent


class SmsConsentController(Controller):
    path = "/members"
    dependencies = {"now": Provide(provide_now)}

    @post("/{customer_id:str}/sms", guards=[require("members.write")])
    async def sms_consent(
        self, request: Request[Any, Any, Any], customer_id: PathId, now: Now
    ) -> Redirect | Template:
        """Opt out (``opt_in=0``) or back in, with a reason."""
        form = await request.form()
        opt_in = form.get("opt_in") == "1"
        reason = str(form.get("reason") or "")
        try:
            await consent.set_opt_in(
                customer_id, opt_in, reason=reason, actor=actor(request), now=now
            )
        except DomainError as exc:
            return await member_page(
                request,
                customer_id,
                now=now,
                status=exc.status,
                form_error={"sms": exc.message},
                values={"sms_reason": reason},
            )
        word = "may get texts again" if opt_in else "gets no more texts"
        return redirect(f"/admin/members/{customer_id}", f"The member {word}.")
