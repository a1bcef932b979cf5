"""Build the delivery senders from the ``LOYALTY_*`` environment, once, at start.

A channel without credentials gets a :class:`SkippingSender`, so the outbox still drains
(every message ``skipped`` with e.g. ``fcm_not_configured``) and a shop can run with email
only. A channel configured by halves is a mistake worth stopping for: it raises
:class:`DeliveryConfigError` naming the missing variables.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from push.apns import ApnsSender
from push.content import (
    DeliveryResult,
    EmailMessage,
    EmailSender,
    PushMessage,
    PushSender,
    SmsMessage,
    SmsSender,
    skipped,
)
from push.fcm import FcmSender
from push.smtp import SmtpSender, parse_tls_mode
from push.twilio import TwilioSender

log = logging.getLogger(__name__)

APNS_VARS = (
    "LOYALTY_APNS_KEY_FILE",
    "LOYALTY_APNS_KEY_ID",
    "LOYALTY_APNS_TEAM_ID",
    "LOYALTY_APNS_TOPIC",
)
SMTP_VARS = ("LOYALTY_SMTP_HOST", "LOYALTY_SMTP_SENDER")
TWILIO_VARS = ("LOYALTY_TWILIO_ACCOUNT_SID", "LOYALTY_TWILIO_AUTH_TOKEN", "LOYALTY_TWILIO_FROM")
Msg = TypeVar("Msg", PushMessage, EmailMessage, SmsMessage)


SMS_SKIPPED = "twilio_not_configured"


class DeliveryConfigError(ValueError):
    """A delivery channel is configured by halves."""


class SkippingSender(Generic[Msg]):
    """Stands in for a channel without credentials: answers ``skipped`` with ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    async def send(self, batch: Sequence[Msg]) -> list[DeliveryResult]:
        return [skipped(_key(m), self.reason) for m in batch]

    async def close(self) -> None:
        """Nothing to release."""


@dataclass(frozen=True)
class ConfiguredSenders:
    """One sender per provider, as the environment configured them (or skipping stand-ins)."""

    fcm: PushSender
    apns: PushSender
    email: EmailSender
    sms: SmsSender = field(default_factory=lambda: SkippingSender[SmsMessage](SMS_SKIPPED))

    async def close(self) -> None:
        await asyncio.gather(
            self.fcm.close(), self.apns.close(), self.email.close(), self.sms.close()
        )


def senders_from_env(env: Mapping[str, str]) -> ConfiguredSenders:
    """Build every sender the environment has credentials for; skip the others."""
    return ConfiguredSenders(
        fcm=fcm_from_env(env),
        apns=apns_from_env(env),
        email=smtp_from_env(env),
        sms=twilio_from_env(env),
    )


def fcm_from_env(env: Mapping[str, str]) -> PushSender:
    credentials = _get(env, "LOYALTY_FCM_CREDENTIALS")
    if credentials is None:
        log.info("FCM not configured (LOYALTY_FCM_CREDENTIALS): pushes to FCM are skipped")
        return SkippingSender[PushMessage]("fcm_not_configured")
    return FcmSender(credentials, endpoint=_get(env, "LOYALTY_FCM_ENDPOINT"))


def apns_from_env(env: Mapping[str, str]) -> PushSender:
    if not _complete(env, APNS_VARS, "APNs"):
        log.info("APNs not configured (%s): pushes to APNs are skipped", ", ".join(APNS_VARS))
        return SkippingSender[PushMessage]("apns_not_configured")
    key_file, key_id, team_id, topic = (env[name].strip() for name in APNS_VARS)
    return ApnsSender(
        key_file,
        key_id,
        team_id,
        topic,
        endpoint=_get(env, "LOYALTY_APNS_ENDPOINT"),
        ca_file=_get(env, "LOYALTY_APNS_CA_FILE"),
        use_sandbox=_flag(env, "LOYALTY_APNS_SANDBOX"),
    )


def smtp_from_env(env: Mapping[str, str]) -> EmailSender:
    if not _complete(env, SMTP_VARS, "SMTP"):
        log.info("SMTP not configured (%s): emails are skipped", ", ".join(SMTP_VARS))
        return SkippingSender[EmailMessage]("smtp_not_configured")
    tls = parse_tls_mode(_get(env, "LOYALTY_SMTP_TLS"))
    default_port = {"tls": 465, "starttls": 587}.get(tls, 25)
    return SmtpSender(
        env["LOYALTY_SMTP_HOST"].strip(),
        int(_get(env, "LOYALTY_SMTP_PORT") or default_port),
        sender=env["LOYALTY_SMTP_SENDER"].strip(),
        username=_get(env, "LOYALTY_SMTP_USER"),
        password=_get(env, "LOYALTY_SMTP_PASSWORD"),
        tls=tls,
    )


def twilio_from_env(env: Mapping[str, str]) -> SmsSender:
    if not _complete(env, TWILIO_VARS, "Twilio"):
        log.info("Twilio not configured (%s): SMS are skipped", ", ".join(TWILIO_VARS))
        return SkippingSender[SmsMessage](SMS_SKIPPED)
    sid, token, sender = (env[name].strip() for name in TWILIO_VARS)
    return TwilioSender(sid, token, sender, endpoint=_get(env, "LOYALTY_TWILIO_ENDPOINT"))


def _complete(env: Mapping[str, str], names: Sequence[str], channel: str) -> bool:
    """True when all are set, False when none is; raise when only some are."""
    missing = [name for name in names if _get(env, name) is None]
    if missing and len(missing) < len(names):
        raise DeliveryConfigError(f"{channel} is partly configured; missing {', '.join(missing)}")
    return not missing


def _get(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _flag(env: Mapping[str, str], name: str) -> bool:
    return (_get(env, name) or "").lower() in {"1", "true", "yes", "on"}


def _key(msg: PushMessage | EmailMessage | SmsMessage) -> str:
    return msg.token if isinstance(msg, PushMessage) else msg.to
