"""Bodies of the shopper's activity API (``POST /v1/me/events``, ``GET /v1/me/referral``)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from schemas.program import Referrals

ClientEventId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9._:\-]+$",
        description="The app's own id for this event (a UUID is fine); a retry reuses it.",
    ),
]
ActivityChannel = Annotated[
    Literal["app", "web"],
    Meta(description="Activity rules apply to the app and web shop only."),
]
EventOutcome = Literal[
    "earned", "cap_reached", "already_earned", "not_eligible", "blocked", "disabled"
]


class _Event(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="type"):
    id: ClientEventId
    channel: ActivityChannel = "app"


class VisitEvent(_Event, tag="visit"):
    """The shopper opened the app or the web shop."""


class NewsletterSignupEvent(_Event, tag="newsletter_signup"):
    """The shopper subscribed to the newsletter (also sets the member's opt-in)."""


class ProductViewEvent(_Event, tag="product_view"):
    """The shopper looked at a product; only the SKUs marketing picked earn."""

    sku: Annotated[str, Meta(min_length=1, max_length=64)]


class NotificationOpenEvent(_Event, tag="notification_open"):
    """The shopper opened one of their notifications (its id from the push or e-mail)."""

    notification_id: Annotated[int, Meta(ge=1, le=2**63 - 1)]


EventIn = VisitEvent | NewsletterSignupEvent | ProductViewEvent | NotificationOpenEvent


class EventOut(msgspec.Struct):
    """What the event earned, or why it earned nothing."""

    id: str
    type: str
    outcome: EventOutcome
    points: int
    window: Annotated[str, Meta(description="The cap window: a local date, month, or 'ever'.")]
    cap: Literal["day", "month", "ever"]
    cap_count: int
    used: Annotated[int, Meta(description="Awards of this rule in the window so far.")]
    replayed: Annotated[bool, Meta(description="True when this id was seen before.")]
    available: int
    message: str


class ReferralOut(msgspec.Struct):
    """The member's code to share and how their referrals went."""

    code: str
    share_link: str
    enabled: bool
    friends_pending: int
    friends_rewarded: int
    points_earned: int
    rules: Referrals
