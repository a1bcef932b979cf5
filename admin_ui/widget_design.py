"""Marketing's design panel for the web shop widget: colours, launcher shape and position,
logo, sign-up link and texts per language, with a live preview of the real widget.

The preview is ``/widget/loyalty.js`` itself, mounted with sample member data
(``LoyaltyWidget.preview``) and redrawn from the form on every input by
``static/widget_design.js``. Saving puts the design into the program
(``loyalty.widget.save_design``); problems come back beside their fields.
"""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.response import Redirect, Template

from admin_ui.auth import require
from admin_ui.render import PREVIEW_CSP, page, redirect
from api.deps import Now, provide_now
from api.rewards import reward_out
from loyalty import program, widget
from loyalty.errors import DomainError
from loyalty.rewards import catalogue, reach
from schemas.widget import WidgetDesign, WidgetTexts

COLOURS = ("accent", "accent_text", "background", "text")
TEXT_KEYS = tuple(WidgetTexts.__struct_fields__)
TEXT_LABELS = {
    "title": "Panel title",
    "launcher": "Word after the balance on the launcher",
    "signed_out_title": "Signed-out heading ({program} = program name)",
    "signed_out_body": "Signed-out text",
    "cta": "Sign-up button",
}
LOGO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml")
MAX_LOGO_BYTES = 45_000


def values_of(design: WidgetDesign) -> dict[str, Any]:
    """The form's values for a saved design (texts as ``texts.<locale>.<key>``)."""
    values: dict[str, Any] = msgspec.to_builtins(design)
    for locale, texts in design.texts.items():
        for key in TEXT_KEYS:
            values[f"texts.{locale}.{key}"] = getattr(texts, key)
    return values


async def _logo(form: Any, current: str | None) -> str | None:
    """An uploaded file (as a data URL), else the URL field; ``remove_logo`` clears it."""
    if form.get("remove_logo"):
        return None
    upload = form.get("logo_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read()
        if upload.content_type not in LOGO_TYPES:
            raise ValueError("the logo must be a PNG, JPEG, GIF, WebP or SVG image")
        if len(data) > MAX_LOGO_BYTES:
            raise ValueError(f"the logo file must be at most {MAX_LOGO_BYTES // 1000} KB")
        return f"data:{upload.content_type};base64,{base64.b64encode(data).decode()}"
    text = str(form.get("logo") or "").strip()
    return text or current


async def design_from(
    form: Any, locales: list[str], current: WidgetDesign
) -> tuple[WidgetDesign | None, dict[str, Any], dict[str, str]]:
    """The posted design, the values to show again, and problems by field name."""
    doc: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in (*COLOURS, "shape")}
    doc["position"] = str(form.get("position") or "").strip()
    doc["sign_up_url"] = str(form.get("sign_up_url") or "").strip() or None
    doc["texts"] = {
        loc: {k: str(form.get(f"texts.{loc}.{k}") or "").strip() for k in TEXT_KEYS}
        for loc in locales
    }
    values = {**doc, "logo": current.logo}
    for loc, texts in doc["texts"].items():
        values.update({f"texts.{loc}.{k}": v for k, v in texts.items()})
    try:
        doc["logo"] = await _logo(form, current.logo)
    except ValueError as exc:
        return None, values, {"logo": str(exc)}
    values["logo"] = doc["logo"]
    try:
        return msgspec.convert(doc, WidgetDesign), values, {}
    except msgspec.ValidationError as exc:
        return None, values, {_field(str(exc)): str(exc).split(" - at ")[0].replace("`", "")}


def _field(message: str) -> str:
    """``... - at `$.texts.nb.title``` -> ``texts.nb.title`` (the form's field name)."""
    where = message.rsplit(" - at ", 1)[-1].strip("`$.") if " - at " in message else ""
    return where.replace("[", ".").replace("]", "").replace("'", "").replace('"', "")


async def _sample(rules: Any) -> dict[str, Any]:
    """What the preview shows: a sample member against the real program and catalogue."""
    config = widget.public_config(rules, None)
    threshold = rules.threshold_points
    rewards = [
        msgspec.to_builtins(reward_out(r, reach.Purse(available=1_250)))
        for r in await catalogue.list_all(active_only=True)
    ][:3]
    balance = {
        "available": 1_250, "pending": 300, "expires_on": "2027-06-30", "expiring_points": 1_250,
        "next_reward_threshold": threshold or None,
        "points_to_next_reward": max(threshold - 1_250, 0) if threshold else None,
    }  # fmt: skip
    return {
        "program": msgspec.to_builtins(config.program),
        "me": {"balance": balance, "blocked": False},
        "rewards": {"items": rewards},
        "coupons": {"items": []},
        "ways": {
            "earn_points": rules.earn_points,
            "rate_unit_minor": rules.rate_unit_minor,
            "currency": rules.currency,
            "items": [msgspec.to_builtins(w) for w in config.program.ways_to_earn],
        },
        "referral": {
            "enabled": rules.activity.referral.enabled,
            "share_link": rules.activity.referral.share_link.replace("{code}", "KARI-2026"),
            "friends_rewarded": 0,
            "rules": msgspec.to_builtins(rules.activity.referral),
        },
    }


async def design_page(
    request: Request[Any, Any, Any],
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    rules, version, updated_at = await program.get_program()
    me = request.scope["state"]["staff"]
    return page(
        request,
        "widget.html",
        status=status,
        csp=PREVIEW_CSP,
        values=values or values_of(widget.design_of(rules)),
        errors=errors or {},
        locales=rules.locales,
        default_locale=rules.default_locale,
        text_keys=TEXT_KEYS,
        text_labels=TEXT_LABELS,
        version=version,
        updated_at=updated_at,
        editable=me.can("program.write"),
        sample=await _sample(rules),
    )


class WidgetDesignController(Controller):
    path = "/widget"
    dependencies = {"now": Provide(provide_now)}

    @get("/", guards=[require("program.read")])
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        """The design form with the live preview (read-only for roles that may not save)."""
        return await design_page(request)

    @post("/", guards=[require("program.write")])
    async def save(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """Validate and save the design into the program; problems beside the fields."""
        rules = await program.get_rules()
        form = await request.form()
        design, values, errors = await design_from(form, rules.locales, widget.design_of(rules))
        if design is None:
            return await design_page(request, values=values, errors=errors, status=422)
        who = request.scope["state"]["staff"]
        try:
            saved = await widget.save_design(
                design, expected_version=_int(form.get("version")), actor=who.email, now=now
            )
        except DomainError as exc:
            return await design_page(
                request, values=values, errors={"": exc.message}, status=exc.status
            )
        return redirect("/admin/widget", f"Widget design saved (program version {saved}).")


def _int(raw: Any) -> int | None:
    try:
        return int(str(raw))
    except ValueError:
        return None
