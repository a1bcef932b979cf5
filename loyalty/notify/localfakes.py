"""Loopback FCM, APNs, SMTP and Twilio for a local try: ``LOYALTY_FAKE_PROVIDERS=1 loyalty run``.

The fakes are the test suite's (``loyalty.fakes``: real protocols, in this process; they are
part of the installed package); the real senders are aimed at them, so what is printed is
exactly what would have reached Google, Apple, the mail server and Twilio. Every push and
text is logged; every email is logged and saved as an ``.eml`` file under
``<data dir>/fakes/mail/`` (open it in a mail client or browser).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loyalty.fakes.__main__ import fake_env
from loyalty.fakes.apns import FakeApns
from loyalty.fakes.fcm import FakeFcm
from loyalty.fakes.smtp import FakeSmtp
from loyalty.fakes.twilio import FakeTwilio
from loyalty.settings import Settings

log = logging.getLogger("loyalty.fakes")
TRUTHY = frozenset({"1", "true", "yes", "on"})
POLL_S = 0.5


def wanted(delivery_env: dict[str, str] | Any) -> bool:
    """True when ``LOYALTY_FAKE_PROVIDERS`` asks for the fakes."""
    return str(delivery_env.get("LOYALTY_FAKE_PROVIDERS", "")).strip().lower() in TRUTHY


@dataclass
class LocalFakes:
    """The running fakes, the delivery variables that aim the senders at them, the logger."""

    fcm: FakeFcm
    apns: FakeApns
    smtp: FakeSmtp
    twilio: FakeTwilio
    env: dict[str, str]
    mail_dir: Path
    _seen: dict[str, int] = field(
        default_factory=lambda: {"fcm": 0, "apns": 0, "smtp": 0, "twilio": 0}
    )
    _task: asyncio.Task[None] | None = None

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.report()
        for fake in (self.fcm, self.apns, self.smtp, self.twilio):
            await fake.stop()

    def report(self) -> None:
        """Log what arrived since the last report."""
        for message in self.fcm.messages[self._seen["fcm"] :]:
            note = message.get("notification", {})
            log.info(
                "[fake FCM] to %s: %r / %r -> %s",
                _short(message.get("token", "")),
                note.get("title"),
                note.get("body"),
                message.get("data", {}).get("deep_link"),
            )
        for request in self.apns.requests[self._seen["apns"] :]:
            alert = request.payload.get("aps", {}).get("alert", {})
            log.info(
                "[fake APNs] to %s: %r / %r -> %s",
                _short(request.token),
                alert.get("title"),
                alert.get("body"),
                request.payload.get("deep_link"),
            )
        for index, mail in enumerate(
            self.smtp.messages[self._seen["smtp"] :], start=self._seen["smtp"] + 1
        ):
            path = self.mail_dir / f"{index:05d}.eml"
            path.write_bytes(mail.as_bytes())
            log.info("[fake SMTP] to %s: %r (saved %s)", mail["To"], mail["Subject"], path)
        for sms in self.twilio.messages[self._seen["twilio"] :]:
            log.info("[fake Twilio] to %s (%s): %r", sms.to, sms.status, sms.body)
        self._seen = {
            "fcm": len(self.fcm.messages),
            "apns": len(self.apns.requests),
            "smtp": len(self.smtp.messages),
            "twilio": len(self.twilio.messages),
        }

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            self.report()


def _short(token: str) -> str:
    return token if len(token) <= 16 else f"{token[:12]}...{token[-4:]}"


async def start(folder: Path) -> LocalFakes:
    """Start the four fakes on free loopback ports (keys and certificates in ``folder``)."""
    mail_dir = folder / "mail"
    mail_dir.mkdir(parents=True, exist_ok=True)
    fcm = await FakeFcm().start()
    apns = await FakeApns(folder).start()
    smtp = await FakeSmtp().start()
    twilio = await FakeTwilio().start()
    credentials = fcm.write_service_account(folder / "fcm-service-account.json")
    env = {**fake_env(fcm, apns, smtp, credentials), **twilio.env()}
    fakes = LocalFakes(fcm, apns, smtp, twilio, env, mail_dir)
    fakes._task = asyncio.create_task(fakes._watch())
    return fakes


async def maybe_start(settings: Settings) -> tuple[Settings, LocalFakes | None]:
    """With ``LOYALTY_FAKE_PROVIDERS=1``: start the fakes and aim the settings at them."""
    if not wanted(settings.delivery_env):
        return settings, None
    fakes = await start(settings.data_dir / "fakes")
    print(
        f"  fake providers (LOYALTY_FAKE_PROVIDERS): FCM {fakes.fcm.url}, APNs "
        f"{fakes.apns.endpoint}, SMTP {fakes.smtp.host}:{fakes.smtp.port}, Twilio "
        f"{fakes.twilio.url}; pushes and texts are logged, emails saved in {fakes.mail_dir}",
        flush=True,
    )
    return replace(settings, delivery_env={**settings.delivery_env, **fakes.env}), fakes
