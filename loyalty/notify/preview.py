"""Marketing's preview and test send: the copy rendered with sample values, and sent for real.

A test send goes through the same senders as the worker (FCM, APNs, SMTP), so what arrives on
the test phone or in the test mailbox is exactly what members get. It is audited, and it
touches no member, notification or delivery row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import jinja2

from loyalty import audit, db
from loyalty.errors import Invalid
from loyalty.notify import devices, templates
from loyalty.notify.delivery import ProviderSenders
from loyalty.sms import phones
from push.content import (
    DeliveryResult,
    EmailMessage,
    Platform,
    Provider,
    PushMessage,
    SmsMessage,
)

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class Preview:
    written_in: str
    rendered: templates.Rendered
    values: dict[str, Any]


def draft(
    channel: str, *, title: str | None, subject: str | None, body: str, html: str | None
) -> templates.Copy:
    """The API's fields as one copy: a push has a title, an email a subject (and html), a
    text message only a body."""
    if channel == "sms":
        if title is not None or subject is not None or html is not None:
            raise Invalid(
                "invalid_template",
                "a text message has only a body",
                field="title" if title is not None else "subject" if subject else "html",
            )
        return templates.Copy("", body)
    if channel == "push":
        if subject is not None or html is not None:
            raise Invalid(
                "invalid_template",
                "a push has a title and a body, no subject or html",
                field="subject" if subject is not None else "html",
            )
        if title is None:
            raise Invalid("invalid_template", "a push needs a title", field="title")
        return templates.Copy(title, body)
    if title is not None:
        raise Invalid("invalid_template", "an email has a subject, not a title", field="title")
    if subject is None:
        raise Invalid("invalid_template", "an email needs a subject", field="subject")
    return templates.Copy(subject, body, html)


def sample_title(
    event: str, channel: str, locale: str, copy: templates.Copy, *, now: datetime, deep_link: str
) -> str:
    """The title (or subject) as a member would read it, with sample values: what a list of
    templates shows instead of Jinja source. A title that will not render shows as written."""
    values = templates.sample_values(event, locale, now, deep_link)
    try:
        return templates.render(templates.Copy(copy.title, ""), "push", values, locale).title
    except jinja2.TemplateError:
        return copy.title


async def preview(
    event: str,
    channel: str,
    locale: str,
    copy: templates.Copy | None,
    sample: dict[str, Any] | None,
    *,
    now: datetime,
    deep_link: str,
) -> Preview:
    """Render ``copy`` (validated like a save), or the copy in effect, with sample values."""
    templates.check_key(event, channel)
    if copy is not None:
        templates.validate(event, channel, copy)
        written_in = locale
    else:
        written_in, copy = templates.resolve(event, channel, locale, await templates.load_custom())
    values = templates.sample_values(event, written_in, now, deep_link)
    if sample:
        if unknown := sorted(set(sample) - templates.PLACEHOLDERS[event]):
            raise Invalid(
                "unknown_placeholders",
                f"unknown placeholders: {', '.join(unknown)}",
                placeholders=unknown,
                allowed=sorted(templates.PLACEHOLDERS[event]),
            )
        values.update(sample)
    return Preview(written_in, templates.render(copy, channel, values, written_in), values)


async def test_send(
    event: str,
    channel: str,
    locale: str,
    to: str,
    *,
    platform: str | None,
    provider: str | None,
    sample: dict[str, Any] | None,
    senders: ProviderSenders,
    actor: str,
    now: datetime,
    deep_link: str,
) -> tuple[DeliveryResult, Preview]:
    """Send the copy in effect, with sample values, to one token or address."""
    shown = await preview(event, channel, locale, None, sample, now=now, deep_link=deep_link)
    r = shown.rendered
    if channel == "sms":
        number = await phones.normalise(to, field="to")
        result = (await senders.twilio.send([SmsMessage(to=number, body=r.body)]))[0]
    elif channel == "email":
        if not EMAIL.match(to):
            raise Invalid(
                "invalid_address", "test sends by email need an email address", field="to"
            )
        result = (
            await senders.smtp.send(
                [EmailMessage(to=to, subject=r.title, text=r.body, html=r.html or "")]
            )
        )[0]
    else:
        platform, provider = await _route(to, platform, provider)
        message = PushMessage(
            token=to,
            platform=platform,
            provider=provider,
            title=r.title,
            body=r.body,
            deep_link=deep_link,
            data={"event": event, "test": "1"},
        )
        result = (await senders.push(provider).send([message]))[0]
    await audit.record(
        actor,
        "template.test_send",
        now=now,
        target=f"{event}/{channel}/{locale}",
        details={"to": to, "outcome": result.outcome, "reason": result.reason},
    )
    return result, shown


async def _route(
    token: str, platform: str | None, provider: str | None
) -> tuple[Platform, Provider]:
    """A registered token's platform and provider, or the ones the caller gave."""
    if platform is None or provider is None:
        row = await db.fetchrow("SELECT platform, provider FROM device WHERE token = $1", token)
        if row is None:
            raise Invalid(
                "unknown_device",
                "this token is not registered: give its platform and provider",
                field="to",
            )
        platform, provider = platform or row["platform"], provider or row["provider"]
    devices.check(token, devices.Registration(platform=platform, provider=provider))
    return cast(Platform, platform), cast(Provider, provider)
