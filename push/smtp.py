"""Email through SMTP with aiosmtplib: one connection per batch, text plus HTML per message.

Replies are sorted like push answers: 4xx is temporary (``retry``), a 5xx refusal of the
recipient or message is final (``failed``), and a lost or slow connection retries the
message and everything after it in the batch.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
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

    async def send(self, batch: Sequence[EmailMessage]) -> list[DeliveryResult]:
        """Send every message over one connection; one result per message, in order."""
        if not batch:
            return []
        client = self._client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            log.warning("SMTP connect to %s:%s failed: %s", self.host, self.port, error)
            return [retry(m.to, f"smtp_connect: {error}", DEFAULT_RETRY_AFTER_S) for m in batch]
        try:
            return await self._send_all(client, batch)
        finally:
            await _quit(client)

    async def close(self) -> None:
        """Nothing to release: connections live for one batch."""

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
        mime["Message-ID"] = email.utils.make_msgid(domain=address.rpartition("@")[2] or None)
        mime.set_content(msg.text)
        mime.add_alternative(msg.html, subtype="html")
        return mime


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
