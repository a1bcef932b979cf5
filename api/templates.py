"""Marketing's copy (``/v1/admin/templates``): read, edit, preview and test-send it.

Reading needs ``program.read``; editing and test sends need ``templates.write``.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter

from api.deps import Me, Now, allow, provide_now, provide_settings, provide_staff
from loyalty.notify import preview as previews
from loyalty.notify import runtime, templates
from loyalty.settings import Settings
from loyalty.sms import segments
from schemas.notify import (
    PreviewIn,
    RenderedOut,
    SmsLengthOut,
    TemplateIn,
    TemplateOut,
    TestSendIn,
    TestSendOut,
)

Event = Annotated[str, PathParameter(pattern=r"^[a-z_]{1,48}$", description="An outbox event.")]
Channel = Annotated[str, PathParameter(pattern=r"^(push|email|sms)$")]
Locale = Annotated[str, PathParameter(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$", max_length=16)]
KEY = "/{event:str}/{channel:str}/{locale:str}"
AppSettings = NamedDependency[Settings]


def template_out(
    event: str,
    channel: str,
    locale: str,
    copy: templates.Copy,
    saved: dict[str, Any] | None,
    written_in: str,
) -> TemplateOut:
    email = channel == "email"
    return TemplateOut(
        event=event,
        channel=channel,
        locale=locale,
        title=None if email or channel == "sms" else copy.title,
        subject=copy.title if email else None,
        body=copy.body,
        html=copy.html,
        custom=saved is not None,
        written_in=written_in,
        version=saved["version"] if saved else None,
        updated_at=saved["updated_at"] if saved else None,
        updated_by=saved["updated_by"] if saved else None,
        placeholders=sorted(templates.PLACEHOLDERS.get(event, ())),
    )


def rendered_out(event: str, channel: str, shown: previews.Preview) -> RenderedOut:
    r, email, sms = shown.rendered, channel == "email", channel == "sms"
    return RenderedOut(
        event=event,
        channel=channel,
        locale=shown.written_in,
        title=None if email or sms else r.title,
        subject=r.title if email else None,
        body=r.body,
        html=r.html,
        deep_link=None if email or sms else shown.values.get("deep_link"),
        values=shown.values,
        sms=sms_length_out(r.body) if sms else None,
    )


def sms_length_out(body: str) -> SmsLengthOut:
    found = segments.measure(body)
    return SmsLengthOut(
        encoding=found.encoding,
        characters=found.characters,
        units=found.units,
        segments=found.segments,
        per_segment=found.per_segment,
        non_gsm=list(found.non_gsm),
    )


class TemplatesController(Controller):
    path = "/v1/admin/templates"
    tags = ["staff"]
    dependencies = {
        "now": Provide(provide_now),
        "me": Provide(provide_staff),
        "settings": Provide(provide_settings),
    }
    security = [{"staffToken": []}]

    @get("/", guards=[allow("program.read")])
    async def list_templates(self) -> list[TemplateOut]:
        """Every template in effect: marketing's (``custom``) and the shipped defaults."""
        return [
            template_out(e, c, loc, copy, saved, loc)
            for e, c, loc, copy, saved in await templates.listing()
        ]

    @get(KEY, guards=[allow("program.read")])
    async def get_template(self, event: Event, channel: Channel, locale: Locale) -> TemplateOut:
        """The copy for this event, channel and locale; ``written_in`` says which locale's
        copy applies when this one has none (``nb-NO`` -> ``nb`` -> ``en``)."""
        copy, saved = await templates.get(event, channel, locale)
        written_in = locale
        if saved is None:
            written_in, copy = templates.resolve(event, channel, locale, {})
        return template_out(event, channel, locale, copy, saved, written_in)

    @put(KEY, guards=[allow("templates.write")])
    async def put_template(
        self,
        event: Event,
        channel: Channel,
        locale: Locale,
        data: JSONBody[TemplateIn],
        me: Me,
        now: Now,
    ) -> TemplateOut:
        """Save marketing's copy. Placeholders are ``{{ name }}``-style (Jinja2, sandboxed);
        one this event does not provide is refused with 422 ``unknown_placeholders``
        naming it, as is a syntax error (``template_syntax``)."""
        copy = previews.draft(
            channel, title=data.title, subject=data.subject, body=data.body, html=data.html
        )
        await templates.save(event, channel, locale, copy, actor=me.email, now=now)
        copy, saved = await templates.get(event, channel, locale)
        return template_out(event, channel, locale, copy, saved, locale)

    @delete(KEY, status_code=204, guards=[allow("templates.write")])
    async def reset_template(
        self, event: Event, channel: Channel, locale: Locale, me: Me, now: Now
    ) -> None:
        """Drop marketing's copy for this locale: the shipped default (or fallback) applies."""
        await templates.reset(event, channel, locale, actor=me.email, now=now)

    @post(KEY + "/preview", status_code=200, guards=[allow("program.read")])
    async def preview(
        self,
        event: Event,
        channel: Channel,
        locale: Locale,
        now: Now,
        settings: AppSettings,
        data: JSONBody[PreviewIn | None] = None,
    ) -> RenderedOut:
        """Render with sample values: a draft when the body has ``body``, else the saved copy.
        ``sample`` replaces sample values (e.g. a long name)."""
        draft = None
        if data is not None and data.body is not None:
            draft = previews.draft(
                channel, title=data.title, subject=data.subject, body=data.body, html=data.html
            )
        shown = await previews.preview(
            event,
            channel,
            locale,
            draft,
            data.sample if data else None,
            now=now,
            deep_link=settings.deep_link,
        )
        return rendered_out(event, channel, shown)

    @post(KEY + "/test-send", status_code=200, guards=[allow("templates.write")])
    async def test_send(
        self,
        event: Event,
        channel: Channel,
        locale: Locale,
        data: JSONBody[TestSendIn],
        me: Me,
        now: Now,
        settings: AppSettings,
    ) -> TestSendOut:
        """Send the copy in effect, rendered with sample values, through the real provider
        to one device token (push) or email address (email). Answers the provider's outcome;
        nothing is recorded for any member."""
        async with runtime.borrow(settings) as rt:
            result, shown = await previews.test_send(
                event,
                channel,
                locale,
                data.to,
                platform=data.platform,
                provider=data.provider,
                sample=data.sample,
                senders=rt.senders,
                actor=me.email,
                now=now,
                deep_link=settings.deep_link,
            )
        return TestSendOut(
            channel=channel,
            to=data.to,
            outcome=result.outcome,
            reason=result.reason,
            provider_id=result.provider_id,
            rendered=rendered_out(event, channel, shown),
        )
