"""Marketing's copy: per event, channel (push, email) and locale, with placeholders.

Copy is Jinja2 run in a sandbox, so a template can read the placeholders it is given and
nothing else. Saving refuses what would go wrong at send time: a syntax error, an unknown
filter, or a placeholder this event does not provide (422 naming them). Sending is lenient:
a value an event did not carry renders empty rather than losing the message. The HTML part of
an email is autoescaped, so a name like ``<b>Kari</b>`` arrives as text.

Locales fall back ``nb-NO`` -> ``nb`` -> (``no``/``nn`` -> ``nb``) -> ``en``; a locale with no
saved copy uses the shipped defaults (English and Norwegian bokmål, ``defaults.py``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import jinja2
from jinja2 import meta, nodes, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from loyalty import audit, db, texts
from loyalty.errors import Invalid, NotFound
from loyalty.notify.defaults import CODE, SHIPPED, code_line, greeting
from loyalty.outbox import EVENTS
from loyalty.sms.copy import SMS_BODY_MAX, SMS_SHIPPED
from loyalty.sms.planning import SMS_EVENTS, SMS_ONLY

Channel = Literal["push", "email", "sms"]
CHANNELS: tuple[Channel, ...] = ("push", "email", "sms")
DEFAULT_LOCALE = "en"
ALIASES = {"no": "nb", "nn": "nb"}
PUSH_TITLE_MAX = 200
PUSH_BODY_MAX = 2000

BASE = frozenset(
    {
        "name",
        "first_name",
        "customer_id",
        "available",
        "pending",
        "spent",
        "lifetime",
        "expired",
        "deep_link",
    }
)
_COUPON = frozenset({"coupon_code", "coupon_title", "expires_at", "days_left", "points"})
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "welcome": BASE,
    "points_earned": BASE | {"points", "order_id"},
    "coupon_issued": BASE | _COUPON,
    "reward_unlocked": BASE | _COUPON | {"reward_title"},
    "points_expiring": BASE | {"points", "expires_at", "days_left"},
    "points_expired": BASE | {"points"},
    "points_added": BASE | {"points", "reason"},
    "points_removed": BASE | {"points", "reason"},
    "reward_redeemed": BASE | _COUPON | {"reward_title", "order_id"},
    "admin_redemption_alert": BASE | _COUPON | {"reward_title", "order_id"},
    "birthday": BASE | {"points"},
    "referral_success": BASE | {"points", "friend_name"},
    "balance_summary": BASE,
    "pos_welcome": BASE | {"points", "order_id"},
    "referral_reversed": BASE | {"points"},
    "tier_up": BASE | {"tier_id", "tier_name", "perks", "coupon_code", "coupon_title"},
    "reward_available": BASE | {"reward_id", "reward_title", "points", "missing"},
}
CODE_EVENTS = frozenset({"coupon_issued", "reward_unlocked"})
"""Events whose email (and text) must carry the coupon code (the product promises it)."""


def channels_for(event: str) -> tuple[Channel, ...]:
    """The channels an event can go by: push and email, plus SMS for the SMS events."""
    if event in SMS_ONLY:
        return ("sms",)
    return ("push", "email", "sms") if event in SMS_EVENTS else ("push", "email")


_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
}
_CODE_HTML = (
    '<p style="font-size:24px;font-weight:bold;letter-spacing:2px;font-family:monospace">'
    "{{ coupon_code }}</p>"
)
_LAYOUT = (
    '<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width"></head>\n'
    '<body style="font-family:Helvetica,Arial,sans-serif;line-height:1.5;color:#222">\n'
    "{content}\n</body></html>\n"
)


@dataclass(frozen=True, slots=True)
class Copy:
    """One template: ``title`` is the push title or email subject; ``html`` is email only."""

    title: str
    body: str
    html: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str
    html: str | None = None


# -- formatting --------------------------------------------------------------------------------


def language(locale: str) -> str:
    lang = locale.split("-")[0].split("_")[0].lower()
    return ALIASES.get(lang, lang)


def format_number(value: Any, locale: str) -> str:
    """Thousands grouped the local way: ``5,000`` in English, ``5 000`` in Norwegian."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "" if value is None else str(value)
    text = f"{value:,}"
    return text.replace(",", "\u00a0") if language(locale) == "nb" else text


def format_date(value: date | datetime | None, locale: str) -> str:
    if value is None:
        return ""
    months = _MONTHS.get(language(locale))
    if months is None:
        return value.strftime("%Y-%m-%d")
    sep = ". " if language(locale) == "nb" else " "
    return f"{value.day}{sep}{months[value.month - 1]} {value.year}"


@pass_context
def _number(ctx: Context, value: Any) -> str:
    return format_number(value, str(ctx.get("locale") or DEFAULT_LOCALE))


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = SandboxedEnvironment(autoescape=autoescape, trim_blocks=True, lstrip_blocks=True)
    env.filters["number"] = _number
    return env


_TEXT = _environment(False)
_HTML = _environment(True)
_compiled: dict[tuple[bool, str], jinja2.Template] = {}


def _compile(source: str, *, html: bool) -> jinja2.Template:
    key = (html, source)
    found = _compiled.get(key)
    if found is None:
        if len(_compiled) > 1000:
            _compiled.clear()
        found = _compiled[key] = (_HTML if html else _TEXT).from_string(source)
    return found


# -- defaults and lookup -----------------------------------------------------------------------


def shipped(event: str, channel: str, locale: str) -> Copy | None:
    """The shipped default for exactly this locale, if there is one."""
    if channel == "sms":
        text = SMS_SHIPPED.get(locale, {}).get(event)
        return Copy("", text) if text is not None and event in SMS_EVENTS else None
    entry = SHIPPED.get(locale, {}).get(event)
    if entry is None:
        return None
    if channel == "push":
        return Copy(entry.push_title, entry.push_body)
    paragraphs = list(entry.paragraphs)
    if event != "admin_redemption_alert":
        paragraphs.insert(0, greeting(locale))
    text = "\n\n".join(code_line(locale) if p == CODE else p for p in paragraphs)
    html = "\n".join(_CODE_HTML if p == CODE else f"<p>{p}</p>" for p in paragraphs)
    return Copy(entry.subject, text, html)


def fallbacks(locale: str) -> list[str]:
    """Locales to try for ``locale``, most specific first, ending with the default."""
    chain = [locale, locale.split("-")[0].lower(), language(locale), DEFAULT_LOCALE]
    return list(dict.fromkeys(chain))


CustomCopy = dict[tuple[str, str, str], Copy]


async def load_custom() -> CustomCopy:
    """Every saved template (a few dozen rows), for a batch to resolve against."""
    rows = await db.fetch("SELECT event, channel, locale, title, body, html FROM notify_template")
    return {
        (r["event"], r["channel"], r["locale"]): Copy(r["title"], r["body"], r["html"])
        for r in rows
    }


def resolve(event: str, channel: str, locale: str, custom: CustomCopy) -> tuple[str, Copy]:
    """The copy to use and the locale it is written in."""
    for candidate in fallbacks(locale):
        found = custom.get((event, channel, candidate)) or shipped(event, channel, candidate)
        if found is not None:
            return candidate, found
    raise LookupError(f"no copy for {event}/{channel}")  # every event ships English


# -- rendering ---------------------------------------------------------------------------------


def render(copy: Copy, channel: str, values: dict[str, Any], locale: str) -> Rendered:
    """Render one template with ``values``; emails get an HTML part (autoescaped)."""
    ctx = {**values, "locale": locale}
    title = _run(_compile(copy.title, html=False), ctx).strip()
    body = _run(_compile(copy.body, html=False), ctx).strip()
    if channel == "sms":
        # A no-break space (Norwegian thousands) is not GSM-7: it would make a text UCS-2.
        return Rendered("", _one_line(body.replace("\u00a0", " ")))
    if channel == "push":
        return Rendered(_one_line(title), body)
    html_src = copy.html if copy.html else _text_to_html(copy.body)
    content = _run(_compile(html_src, html=True), ctx)
    if "<html" not in content.lower():
        content = _LAYOUT.format(lang=language(locale), content=content)
    return Rendered(_one_line(title), body, content)


def _one_line(text: str) -> str:
    """Titles and subjects are one line (a header must not carry a newline)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


def _run(template: jinja2.Template, ctx: dict[str, Any]) -> str:
    """``template.render(ctx)`` without copying the environment's globals into every
    context (a shared context: 4x faster). Copy cannot name globals anyway: only the
    event's placeholders pass validation."""
    context = template.new_context(ctx, shared=True)
    return str(template.environment.concat(template.root_render_func(context)))


def _text_to_html(source: str) -> str:
    """An HTML part for a text-only template: each paragraph in ``<p>``, escaped at render."""
    paragraphs = [p for p in source.split("\n\n") if p.strip()]
    return "\n".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in paragraphs)


def placeholder_values(
    event: str,
    *,
    member: dict[str, Any] | None,
    data: dict[str, Any],
    locale: str,
    now: datetime,
    deep_link: str,
) -> dict[str, Any]:
    """The values one notification offers its copy: the member's, then the event's data."""
    m = member or {}
    name = data.get("name") or m.get("name") or ""
    values: dict[str, Any] = {
        "name": name,
        "first_name": name.split()[0] if name.strip() else "",
        "customer_id": data.get("customer_id") or m.get("customer_id") or "",
        "deep_link": deep_link,
        "points": data.get("points"),
        "order_id": data.get("order_id") or "",
        "reason": data.get("reason") or "",
        "coupon_code": data.get("coupon_code") or data.get("code") or "",
        "coupon_title": texts.local(data.get("titles"), locale, _plain(data, "coupon_title")),
        "reward_title": texts.local(
            data.get("reward_titles"), locale, data.get("reward_title") or data.get("reward") or ""
        ),
        "friend_name": data.get("friend_name") or "",
    }
    for balance in ("available", "pending", "spent", "lifetime", "expired"):
        values[balance] = data.get(balance, m.get(balance, 0))
    expires = _expiry(event, data, m)
    values["expires_at"] = format_date(expires, locale)
    values["days_left"] = data.get("days_left", _days_left(expires, now))
    return values


def _plain(data: dict[str, Any], name: str) -> str:
    """A coupon's title as the event gave it (in the program's default locale)."""
    return str(data.get(name) or data.get("title") or "")


def _expiry(event: str, data: dict[str, Any], member: dict[str, Any]) -> datetime | None:
    raw = data.get("expires_at") or data.get("valid_until") or data.get("valid_to")
    if raw is None and event in ("points_expiring", "points_expired"):
        raw = member.get("points_expire_at")
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, datetime) else None


def _days_left(expires: datetime | None, now: datetime) -> int | None:
    if expires is None:
        return None
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=now.tzinfo)
    return max(0, math.ceil((expires - now) / timedelta(days=1)))


def sample_values(event: str, locale: str, now: datetime, deep_link: str) -> dict[str, Any]:
    """Made-up but realistic values for previews and test sends."""
    member = {
        "name": "Kari Nordmann",
        "customer_id": "c-1001",
        "available": 1250,
        "pending": 300,
        "spent": 5000,
        "lifetime": 6250,
        "expired": 0,
        "points_expire_at": now + timedelta(days=30),
    }
    data = {
        "points": 5000,
        "order_id": "1001",
        "reason": "Goodwill for a late delivery",
        "coupon_code": "LOYAL-7Q4K-2MXD",
        "coupon_title": "10 % off your next order",
        "reward_title": "Free coffee",
        "friend_name": "Ola",
        "expires_at": (now + timedelta(days=30)).isoformat(),
    }
    return placeholder_values(
        event, member=member, data=data, locale=locale, now=now, deep_link=deep_link
    )


# -- validation and storage --------------------------------------------------------------------


def check_key(event: str, channel: str) -> None:
    if event not in EVENTS:
        raise NotFound("unknown_event", f"no notification event {event!r}", events=list(EVENTS))
    if channel not in CHANNELS:
        raise NotFound("unknown_channel", f"channel must be one of {', '.join(CHANNELS)}")
    if channel not in channels_for(event):
        raise NotFound(
            "unknown_channel",
            f"{event} goes by {', '.join(channels_for(event))}, not {channel}",
            channels=list(channels_for(event)),
        )


def validate(event: str, channel: str, copy: Copy) -> None:
    """Refuse copy that would fail or say nothing useful at send time (422 naming the part)."""
    check_key(event, channel)
    parts = {"title" if channel == "push" else "subject": copy.title, "body": copy.body}
    if channel == "sms":
        if copy.title or copy.html is not None:
            raise Invalid("invalid_template", "a text message has only a body", field="title")
        parts = {"body": copy.body}
    if channel == "email" and copy.html is not None:
        parts["html"] = copy.html
    if channel == "push" and copy.html is not None:
        raise Invalid("invalid_template", "a push has no html part", field="html")
    unknown: dict[str, list[str]] = {}
    for field, source in parts.items():
        used = _placeholders(source, field, html=field == "html")
        if extra := sorted(used - PLACEHOLDERS[event]):
            unknown[field] = extra
    if unknown:
        names = sorted({n for found in unknown.values() for n in found})
        raise Invalid(
            "unknown_placeholders",
            f"unknown placeholders for {event}: {', '.join(names)}",
            placeholders=names,
            fields=unknown,
            allowed=sorted(PLACEHOLDERS[event]),
        )
    _check_limits(event, channel, copy)
    _check_renders(event, channel, copy)


def _placeholders(source: str, field: str, *, html: bool) -> set[str]:
    env = _HTML if html else _TEXT
    try:
        env.from_string(source)
        tree = env.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        raise Invalid(
            "template_syntax",
            f"{field}, line {exc.lineno}: {exc.message}",
            field=field,
            line=exc.lineno,
        ) from exc
    if (node := next(tree.find_all((nodes.Getattr, nodes.Getitem)), None)) is not None:
        raise Invalid(
            "template_error",
            f"{field}, line {node.lineno}: placeholders are plain "
            "values; attributes and indexing are not allowed",
            field=field,
        )
    return set(meta.find_undeclared_variables(tree))


def _check_limits(event: str, channel: str, copy: Copy) -> None:
    if channel == "push" and len(copy.title) > PUSH_TITLE_MAX:
        raise Invalid(
            "invalid_template",
            f"a push title has at most {PUSH_TITLE_MAX} characters",
            field="title",
        )
    if channel == "push" and len(copy.body) > PUSH_BODY_MAX:
        raise Invalid(
            "invalid_template", f"a push body has at most {PUSH_BODY_MAX} characters", field="body"
        )
    if channel == "sms" and len(copy.body) > SMS_BODY_MAX:
        raise Invalid(
            "invalid_template", f"a text has at most {SMS_BODY_MAX} characters", field="body"
        )
    if (
        channel == "sms"
        and event in CODE_EVENTS
        and "coupon_code" not in _placeholders(copy.body, "body", html=False)
    ):
        raise Invalid(
            "coupon_code_required",
            f"the {event} text must show {{{{ coupon_code }}}} in its body",
            field="body",
        )
    if channel == "email" and event in CODE_EVENTS:
        for field, source in (("body", copy.body), ("html", copy.html)):
            if source is not None and "coupon_code" not in _placeholders(
                source, field, html=field == "html"
            ):
                raise Invalid(
                    "coupon_code_required",
                    f"the {event} email must show {{{{ coupon_code }}}} in its {field}",
                    field=field,
                )


def _check_renders(event: str, channel: str, copy: Copy) -> None:
    values = sample_values(event, DEFAULT_LOCALE, datetime(2026, 1, 1, tzinfo=UTC), "shop://x")
    try:
        render(copy, channel, values, DEFAULT_LOCALE)
    except Exception as exc:  # the sandbox raises SecurityError and friends
        raise Invalid("template_error", f"the template fails to render: {exc}") from exc


async def get(event: str, channel: str, locale: str) -> tuple[Copy, dict[str, Any] | None]:
    """The copy for exactly this locale: the saved row (and its metadata) or the default."""
    check_key(event, channel)
    row = await db.fetchrow(
        """SELECT title, body, html, version, updated_at, updated_by FROM notify_template
           WHERE event = $1 AND channel = $2 AND locale = $3""",
        event,
        channel,
        locale,
    )
    if row is not None:
        return Copy(row["title"], row["body"], row["html"]), dict(row)
    _, copy = resolve(event, channel, locale, {})
    return copy, None


async def save(
    event: str, channel: str, locale: str, copy: Copy, *, actor: str, now: datetime
) -> int:
    """Validate and store marketing's copy; returns its version. Audited."""
    validate(event, channel, copy)
    async with db.transaction():
        version: int = await db.fetchval(
            """INSERT INTO notify_template (event, channel, locale, title, body, html, version,
                   updated_at, updated_by)
               VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8)
               ON CONFLICT (event, channel, locale) DO UPDATE SET title = EXCLUDED.title,
                   body = EXCLUDED.body, html = EXCLUDED.html,
                   version = notify_template.version + 1, updated_at = EXCLUDED.updated_at,
                   updated_by = EXCLUDED.updated_by
               RETURNING version""",
            event,
            channel,
            locale,
            copy.title,
            copy.body,
            copy.html,
            now,
            actor,
        )
        await audit.record(
            actor,
            "template.update",
            now=now,
            target=f"{event}/{channel}/{locale}",
            details={"version": version},
        )
    return version


async def reset(event: str, channel: str, locale: str, *, actor: str, now: datetime) -> bool:
    """Drop the saved copy so the default applies again. True if there was one."""
    check_key(event, channel)
    async with db.transaction():
        status = await db.execute(
            "DELETE FROM notify_template WHERE event = $1 AND channel = $2 AND locale = $3",
            event,
            channel,
            locale,
        )
        removed = status != "DELETE 0"
        if removed:
            await audit.record(
                actor, "template.reset", now=now, target=f"{event}/{channel}/{locale}"
            )
    return removed


async def listing() -> list[tuple[str, str, str, Copy, dict[str, Any] | None]]:
    """Every template in effect: saved ones and shipped defaults, by event, channel, locale."""
    rows = await db.fetch(
        """SELECT event, channel, locale, title, body, html, version, updated_at, updated_by
           FROM notify_template"""
    )
    saved = {(r["event"], r["channel"], r["locale"]): r for r in rows}
    keys = set(saved) | {(e, c, loc) for loc in SHIPPED for e in EVENTS for c in channels_for(e)}
    out = []
    for key in sorted(keys, key=lambda k: (EVENTS.index(k[0]) if k[0] in EVENTS else 99, *k)):
        row = saved.get(key)
        if row is not None:
            out.append((*key, Copy(row["title"], row["body"], row["html"]), dict(row)))
        elif (copy := shipped(*key)) is not None:
            out.append((*key, copy, None))
    return out


__all__ = ["Copy", "Rendered", "render", "resolve", "validate"]
