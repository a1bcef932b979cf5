"""Marketing's notification copy: every event, channel and language, an editor with a live
preview, saving, going back to the default, and a test send through the real providers.

All of it goes through ``loyalty.notify`` (templates, preview, runtime): this module only
turns forms into its calls. Marketing's own HTML for emails is shown in a sandboxed frame (no
scripts, no access to the page); everything else is escaped by the page templates.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.auth import require
from admin_ui.render import PREVIEW_CSP, page, redirect
from api.deps import Now, provide_now, provide_settings
from loyalty.errors import DomainError
from loyalty.notify import preview as previews
from loyalty.notify import runtime, templates
from loyalty.settings import Settings
from loyalty.sms import segments

Event = Annotated[str, PathParameter(pattern=r"^[a-z_]{1,48}$")]
Channel = Annotated[str, PathParameter(pattern=r"^(push|email|sms)$")]
Locale = Annotated[str, PathParameter(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=16)]
KEY = "/{event:str}/{channel:str}/{locale:str}"
Conf = NamedDependency[Settings]


def _form_copy(form: Any, channel: str) -> templates.Copy:
    """The editor's fields as one copy (an email's subject is its title)."""
    html = (str(form.get("html") or "").strip() or None) if channel == "email" else None
    title = "" if channel == "sms" else str(form.get("title") or "")
    return templates.Copy(title, str(form.get("body") or ""), html)


def _preview_context(shown: previews.Preview | None, error: str | None) -> dict[str, Any]:
    length = segments.measure(shown.rendered.body) if shown is not None else None
    return {"shown": shown, "preview_error": error, "sms_length": length}


async def _render_preview(
    event: str, channel: str, locale: str, copy: templates.Copy | None, now: Any, link: str
) -> dict[str, Any]:
    try:
        shown = await previews.preview(event, channel, locale, copy, None, now=now, deep_link=link)
    except DomainError as exc:
        return _preview_context(None, exc.message)
    return _preview_context(shown, None)


class CopyController(Controller):
    path = "/templates"
    dependencies = {"now": Provide(provide_now), "settings": Provide(provide_settings)}
    guards = [require("templates.write")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any], now: Now, settings: Conf) -> Template:
        """Every event's copy per channel and language; customised ones are marked. Titles
        are shown rendered with sample values, not as template source."""
        rows = [
            (*row, previews.sample_title(*row[:4], now=now, deep_link=settings.deep_link))
            for row in await templates.listing()
        ]
        return page(request, "copy_list.html", rows=rows)

    @get(KEY)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        event: Event,
        channel: Channel,
        locale: Locale,
        now: Now,
        settings: Conf,
    ) -> Template:
        """The editor: the copy in effect for this language, its placeholders, a preview."""
        copy, saved = await templates.get(event, channel, locale)
        return await self._editor(request, event, channel, locale, copy, saved, now, settings)

    async def _editor(
        self,
        request: Request[Any, Any, Any],
        event: str,
        channel: str,
        locale: str,
        copy: templates.Copy,
        saved: dict[str, Any] | None,
        now: Any,
        settings: Conf,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> Template:
        shown = await _render_preview(event, channel, locale, copy, now, settings.deep_link)
        return page(
            request,
            "copy_edit.html",
            status=status,
            csp=PREVIEW_CSP,
            event=event,
            channel=channel,
            locale=locale,
            copy=copy,
            saved=saved,
            placeholders=sorted(templates.PLACEHOLDERS.get(event, ())),
            form_error=error,
            base=f"/admin/templates/{event}/{channel}/{locale}",
            **shown,
        )

    @post(KEY + "/preview")
    async def preview(
        self,
        request: Request[Any, Any, Any],
        event: Event,
        channel: Channel,
        locale: Locale,
        now: Now,
        settings: Conf,
    ) -> Template:
        """The preview of the draft in the form (the editor's live update)."""
        copy = _form_copy(await request.form(), channel)
        shown = await _render_preview(event, channel, locale, copy, now, settings.deep_link)
        return page(request, "_copy_preview.html", csp=PREVIEW_CSP, channel=channel, **shown)

    @post(KEY)
    async def save(
        self,
        request: Request[Any, Any, Any],
        event: Event,
        channel: Channel,
        locale: Locale,
        now: Now,
        settings: Conf,
    ) -> Redirect | Template:
        """Validate and save; problems (unknown placeholder, syntax) show above the form."""
        copy = _form_copy(await request.form(), channel)
        who = request.scope["state"]["staff"]
        try:
            version = await templates.save(event, channel, locale, copy, actor=who.email, now=now)
        except DomainError as exc:
            _, saved = await templates.get(event, channel, locale)
            return await self._editor(
                request, event, channel, locale, copy, saved, now, settings,
                error=exc.message, status=exc.status,
            )  # fmt: skip
        return redirect(f"/admin/templates/{event}/{channel}/{locale}", f"Saved (v{version}).")

    @post(KEY + "/reset")
    async def reset(
        self, request: Request[Any, Any, Any], event: Event, channel: Channel, locale: Locale,
        now: Now,
    ) -> Redirect:  # fmt: skip
        """Drop the customised copy so the shipped default applies again."""
        who = request.scope["state"]["staff"]
        removed = await templates.reset(event, channel, locale, actor=who.email, now=now)
        message = "Back to the default copy." if removed else "Already the default copy."
        return redirect(f"/admin/templates/{event}/{channel}/{locale}", message)

    @post(KEY + "/test-send")
    async def test_send(
        self,
        request: Request[Any, Any, Any],
        event: Event,
        channel: Channel,
        locale: Locale,
        now: Now,
        settings: Conf,
    ) -> Redirect | Template:
        """Send the saved copy with sample values to one device token or email address."""
        form = await request.form()
        who = request.scope["state"]["staff"]
        to = str(form.get("to") or "").strip()
        platform = str(form.get("platform") or "") or None
        provider = str(form.get("provider") or "") or None
        try:
            async with runtime.borrow(settings) as rt:
                result, _ = await previews.test_send(
                    event, channel, locale, to, platform=platform, provider=provider,
                    sample=None, senders=rt.senders, actor=who.email, now=now,
                    deep_link=settings.deep_link,
                )  # fmt: skip
        except DomainError as exc:
            copy, saved = await templates.get(event, channel, locale)
            return await self._editor(
                request, event, channel, locale, copy, saved, now, settings,
                error=f"Test send: {exc.message}", status=exc.status,
            )  # fmt: skip
        outcome = f"Test send to {to}: {result.outcome}"
        if result.reason:
            outcome += f" ({result.reason})"
        return redirect(f"/admin/templates/{event}/{channel}/{locale}", outcome)
