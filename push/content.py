"""What the delivery layer is asked to send, and what it answers, independent of provider.

The outbox worker turns rows into these Structs, hands a batch to a sender and gets one
:class:`DeliveryResult` per message back, in the same order. Senders never raise for a
per-message problem: every provider answer is sorted into an outcome the worker can act on.
"""

from __future__ import annotations

from typing import Literal, Protocol

import msgspec

Platform = Literal["ios", "android"]
Provider = Literal["fcm", "apns"]
SendOutcome = Literal["sent", "pruned", "retry", "failed", "skipped"]
FcmTarget = Literal["token", "fid"]


class PushMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One push to one device.

    ``fcm_target`` says what ``token`` is for FCM: a registration token (what apps register
    today) or a Firebase installation ID, which firebase-admin 7.x sends in its own field.
    """

    token: str
    platform: Platform
    provider: Provider
    title: str
    body: str
    deep_link: str
    data: dict[str, str] = {}
    collapse_key: str | None = None
    badge: int | None = None
    fcm_target: FcmTarget = "token"


class EmailMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One email to one address; always sent as text plus HTML alternatives.

    ``message_id`` is the left part of the Message-ID header when given (the same on a
    re-send, so mail systems and people can tell a copy); the sender adds its domain.
    """

    to: str
    subject: str
    text: str
    html: str
    message_id: str | None = None


class SmsMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One text message to one phone number (E.164, checked again before it leaves)."""

    to: str
    body: str


class DeliveryResult(msgspec.Struct, frozen=True, kw_only=True):
    """How one message ended.

    - ``sent``: the provider accepted it (``provider_id`` is its message id when it gives one);
    - ``pruned``: the provider says the token is dead: remove the device (for SMS: the number
      is refused for good, e.g. Twilio 21211 invalid or 21610 unsubscribed: mark it);
    - ``retry``: nothing is wrong with the message; try again after ``retry_after_s`` if set;
    - ``failed``: the message itself is refused; sending it again will not help;
    - ``skipped``: no sender is configured for this channel.
    """

    key: str
    outcome: SendOutcome
    reason: str = ""
    retry_after_s: float | None = None
    provider_id: str | None = None


def sent(key: str, provider_id: str | None = None) -> DeliveryResult:
    return DeliveryResult(key=key, outcome="sent", provider_id=provider_id)


def pruned(key: str, reason: str) -> DeliveryResult:
    return DeliveryResult(key=key, outcome="pruned", reason=reason)


def retry(key: str, reason: str, after_s: float | None = None) -> DeliveryResult:
    return DeliveryResult(key=key, outcome="retry", reason=reason, retry_after_s=after_s)


def failed(key: str, reason: str) -> DeliveryResult:
    return DeliveryResult(key=key, outcome="failed", reason=reason)


def skipped(key: str, reason: str) -> DeliveryResult:
    return DeliveryResult(key=key, outcome="skipped", reason=reason)


def complete(results: list[DeliveryResult | None]) -> list[DeliveryResult]:
    """The results of a batch, checked to have one answer per message."""
    done = [r for r in results if r is not None]
    if len(done) != len(results):
        raise RuntimeError("a message of the batch got no delivery result")
    return done


class PushSender(Protocol):
    """Anything that delivers pushes: FCM, APNs, or the stand-in for a missing one."""

    async def send(self, batch: list[PushMessage]) -> list[DeliveryResult]: ...

    async def close(self) -> None: ...


class EmailSender(Protocol):
    """Anything that delivers emails: SMTP, or the stand-in for a missing one."""

    async def send(self, batch: list[EmailMessage]) -> list[DeliveryResult]: ...

    async def close(self) -> None: ...


class SmsSender(Protocol):
    """Anything that delivers text messages: Twilio, or the stand-in for a missing one."""

    async def send(self, batch: list[SmsMessage]) -> list[DeliveryResult]: ...

    async def close(self) -> None: ...
