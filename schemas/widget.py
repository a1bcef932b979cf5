"""The shopper widget: marketing's design (stored in the program) and the public answers.

The design is a compact, optional part of the program document (``ProgramRules.widget``):
colours, the launcher's shape and position, a logo, and texts per locale. ``None`` means the
widget's built-in look and texts. Everything here is shown to anonymous visitors of the web
shop, so nothing in it may be secret.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

Colour = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
ShortText = Annotated[str, Meta(max_length=80)]
LongText = Annotated[str, Meta(max_length=400)]
LOGO_PATTERN = (
    r"^(https://[^\s\"'<>]{1,2000}"
    r"|data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]{1,60000})$"
)
Logo = Annotated[
    str,
    Meta(pattern=LOGO_PATTERN, description="an https URL, or a data:image/...;base64 URL"),
]
Locale = Annotated[str, Meta(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]


class WidgetTexts(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, omit_defaults=True):
    """Marketing's wording for one language; an empty text keeps the widget's own."""

    title: ShortText = ""
    launcher: ShortText = ""
    signed_out_title: ShortText = ""
    signed_out_body: LongText = ""
    cta: ShortText = ""


class WidgetDesign(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """How the widget looks on the shop's pages (the back office's design panel)."""

    accent: Colour = "#1f5f8b"
    accent_text: Colour = "#ffffff"
    background: Colour = "#ffffff"
    text: Colour = "#1b1f24"
    shape: Literal["pill", "circle", "square"] = "pill"
    position: Literal["bottom-right", "bottom-left"] = "bottom-right"
    logo: Logo | None = None
    sign_up_url: Annotated[str, Meta(pattern=r"^(https?://|/)[^\s\"'<>]{0,2000}$")] | None = None
    texts: dict[Locale, WidgetTexts] = msgspec.field(default_factory=dict)


class WayToEarnOut(msgspec.Struct):
    """One activity rule marketing switched on, as the shopper sees it.

    ``used`` is how many awards the member had in the current ``cap`` window (repeatable
    rules, signed-in answers only). A referral names what each side gets: points, or the title
    of a coupon (``coupon_title`` for the referrer, ``friend_*`` for the friend)."""

    type: str
    points: int
    cap: Literal["day", "month", "year", "ever"]
    cap_count: int
    used: int | None = None
    coupon_title: str | None = None
    friend_points: int = 0
    friend_coupon_title: str | None = None


class WaysToEarnOut(msgspec.Struct):
    """How points are earned: the purchase rate, then the enabled activity rules."""

    earn_points: int
    rate_unit_minor: int
    currency: str
    items: list[WayToEarnOut]


class WidgetProgramOut(msgspec.Struct):
    """The public summary of the program a signed-out visitor sees (no member data)."""

    name: str
    currency: str
    earn_points: int
    rate_unit_minor: int
    threshold_points: int
    ways_to_earn: list[WayToEarnOut]


class WidgetConfigOut(msgspec.Struct):
    """``GET /widget/config``: the design (texts of the chosen locale) and the program summary."""

    locale: str
    locales: list[str]
    design: WidgetDesign
    texts: WidgetTexts
    program: WidgetProgramOut
