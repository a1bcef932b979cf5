"""Email through SMTP with aiosmtplib: one connection kept between batches (the delivery
worker hands over one message at a time), text plus HTML per message.

Replies are sorted like push answers: 4xx is temporary (``retry``), a 5xx refusal of the
recipient or message is final (``failed``), and a lost or slow connection retries the
message and everything after it in the batch.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import ssl
import time
from collections.abc import Sequence
from email.message import EmailMessage as MimeMessage
from typing import Literal

import aiosmtplib

from push.content import DeliveryResult, EmailMessage, failed, retry, sent

log = logging.getLogger(__name__)

TlsMode = Literal["auto", "starttls", "tls", "none"]
TLS_MODES: dict[str, TlsMode] = {
    "": "auto",
    "auto": "auto",
    "starttls": "starttls",
    "true": "starttls",
    "1": "starttls",
    "yes": "starttls",
    "tls": "tls",
    "ssl": "tls",
    "implicit": "tls",
    "none": "none",
    "false": "none",
    "0": "none",
    "no": "none",
    "off": "none",
}
DEFAULT_RETRY_AFTER_S = 300.0
IDLE_CHECK_S = 10.0


def parse_tls_mode(value: str | None) -> TlsMode:
    """``LOYALTY_SMTP_TLS``: auto (STARTTLS when offered), starttls, tls (port 465), none."""
    mode = TLS_MODES.get((value or "").strip().lower())
    if mode is None:
        raise ValueError(f"LOYALTY_SMTP_TLS must be one of {sorted(set(TLS_MODES.values()))}")
    return mode


class SmtpSender:
    """Sends :class:`EmailMessage` batches from ``sender`` through one SMTP server."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        tls: TlsMode = "auto",
        timeout_s: float = 30.0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username or None, password or None
        self._tls = tls
        self._timeout_s = timeout_s
        self._tls_context = tls_context
        self._open: aiosmtplib.SMTP | None = None
        self._last_used = 0.0
        self._lock = asyncio.Lock()

    async def send(self, batch: Sequence[EmailMessage]) -> list[DeliveryResult]:
        """Send every message over the kept connection; one result per message, in order."""
        if not batch:
            return []
        async with self._lock:
            try:
                client = await self._connection()
            except (aiosmtplib.SMTPException, OSError) as error:
                log.warning("SMTP connect to %s:%s failed: %s", self.host, self.port, error)
                return [retry(m.to, f"smtp_connect: {error}", DEFAULT_RETRY_AFTER_S) for m in batch]
            results = await self._send_all(client, batch)
            self._last_used = time.monotonic()
            if not client.is_connected or any(_connection_lost(r) for r in results):
                await self._drop()
            return results

    async def close(self) -> None:
        """Say QUIT on the kept connection."""
        async with self._lock:
            await self._drop()

    async def _connection(self) -> aiosmtplib.SMTP:
        """The kept connection, checked with NOOP after ``IDLE_CHECK_S`` of silence (servers
        drop idle clients), or a new one."""
        client = self._open
        if client is not None and client.is_connected:
            if time.monotonic() - self._last_used < IDLE_CHECK_S:
                return client
            try:
                await client.noop()
                return client
            except (aiosmtplib.SMTPException, OSError):
                await self._drop()
        client = self._client()
        await client.connect()
        self._open = client
        return client

    async def _drop(self) -> None:
        client, self._open = self._open, None
        if client is not None:
            await _quit(client)

    def _client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self._username,
            password=self._password,
            use_tls=self._tls == "tls",
            start_tls={"auto": None, "starttls": True}.get(self._tls, False),
            timeout=self._timeout_s,
            tls_context=self._tls_context,
        )

    async def _send_all(
        self, client: aiosmtplib.SMTP, batch: Sequence[EmailMessage]
    ) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for index, msg in enumerate(batch):
            try:
                await client.send_message(self.mime(msg))
            except aiosmtplib.SMTPRecipientsRefused as error:
                results.append(_refused(msg.to, error.recipients[0]))
            except aiosmtplib.SMTPResponseException as error:
                results.append(_refused(msg.to, error))
            except (aiosmtplib.SMTPException, OSError) as error:
                reason = "timeout" if isinstance(error, TimeoutError) else f"smtp: {error}"
                return results + [retry(m.to, reason) for m in batch[index:]]
            else:
                results.append(sent(msg.to))
            if results[-1].outcome != "sent":
                await _reset(client)
        return results

    def mime(self, msg: EmailMessage) -> MimeMessage:
        """A multipart/alternative message: the text part first, as RFC 2046 wants."""
        mime = MimeMessage()
        mime["From"] = self.sender
        mime["To"] = msg.to
        mime["Subject"] = msg.subject
        mime["Date"] = email.utils.formatdate(localtime=False, usegmt=True)
        address = email.utils.parseaddr(self.sender)[1]  # "Shop <a@b>" or plain "a@b"
        domain = address.rpartition("@")[2] or None
        if msg.message_id:
            mime["Message-ID"] = f"<{msg.message_id}@{domain or 'localhost'}>"
        else:
            mime["Message-ID"] = email.utils.make_msgid(domain=domain)
        mime.set_content(msg.text)
        mime.add_alternative(msg.html, subtype="html")
        return mime


def _connection_lost(result: DeliveryResult) -> bool:
    return result.reason == "timeout" or result.reason.startswith("smtp: ")


def _refused(key: str, error: aiosmtplib.SMTPResponseException) -> DeliveryResult:
    reason = f"smtp_{error.code}: {error.message}"
    if 400 <= error.code < 500:
        return retry(key, reason, DEFAULT_RETRY_AFTER_S)
    return failed(key, reason)


async def _reset(client: aiosmtplib.SMTP) -> None:
    """Clear a half-done transaction so the next message starts clean."""
    try:
        await client.rset()
    except aiosmtplib.SMTPException as error:
        log.debug("SMTP RSET failed: %s", error)


async def _quit(client: aiosmtplib.SMTP) -> None:
    if not client.is_connected:
        return
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()
