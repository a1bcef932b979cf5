"""A loopback SMTP server (aiosmtpd) that parses and keeps every message it accepts.

async with FakeSmtp() as smtp:
    sender = SmtpSender(smtp.host, smtp.port, sender="shop@example.com", tls="none")
    smtp.behave("gone@example.com", "unregistered")   # 550 at RCPT
    ...
    smtp.messages[0]["Subject"], smtp.messages[0].get_body(("html",))
"""

from __future__ import annotations

import asyncio
import email.policy
from collections.abc import Callable
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from loyalty.fakes._server import HOST, LoopbackServer
from loyalty.fakes.behaviour import Behaviour

HANG_S = 3600.0
_RCPT_REPLIES: dict[str, str] = {
    "ok": "250 2.1.5 OK",
    "bad_request": "553 5.1.3 Bad recipient address syntax",
    "bad_token": "553 5.1.3 Bad recipient address syntax",
    "wrong_topic": "553 5.1.3 Bad recipient address syntax",
    "unregistered": "550 5.1.1 Recipient address rejected: User unknown",
    "rate_limited": "450 4.2.1 Too many messages, slow down",
    "server_error": "451 4.3.0 Temporary server error, try again later",
    "unavailable": "421 4.3.2 Service not available",
}


class FakeSmtp(LoopbackServer):
    """SMTP on 127.0.0.1; behaviours apply per recipient at RCPT time.

    With ``username``/``password`` it offers AUTH (PLAIN, LOGIN) without TLS and refuses
    recipients from unauthenticated clients (530), so the sender's login is exercised.
    (aiosmtpd's own ``auth_required`` without TLS emits a warning, hence the RCPT check.)
    """

    def __init__(
        self, *, port: int = 0, username: str | None = None, password: str | None = None
    ) -> None:
        super().__init__(port=port)
        self.host = HOST
        self.username, self.password = username, password
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0

    def clear(self) -> None:
        self.messages.clear()
        self.envelopes.clear()
        self.connections = 0

    def protocol_factory(self) -> Callable[[], asyncio.Protocol]:
        handler = _Handler(self)
        auth = self.username is not None
        return lambda: _TrackedSmtp(
            self,
            handler,
            hostname="fake-smtp.test",
            authenticator=self._authenticate if auth else None,
            auth_require_tls=not auth,
        )

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.username, self.password)
        return AuthResult(success=ok, handled=False)  # handled=True would send no reply


class _TrackedSmtp(SMTP):
    def __init__(self, fake: FakeSmtp, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fake = fake

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.fake.track(transport)
        self.fake.connections += 1
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self.fake.untrack(self.transport)
        super().connection_lost(error)


class _Handler:
    """aiosmtpd hooks: answer RCPT by behaviour, parse and keep DATA."""

    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.fake.username is not None and not session.authenticated:
            return "530 5.7.0 Authentication required"
        behaviour: Behaviour = self.fake.table.lookup(address)
        if behaviour == "hang":
            await asyncio.sleep(HANG_S)
        reply = _RCPT_REPLIES.get(behaviour, _RCPT_REPLIES["ok"])
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        self.fake.messages.append(parsed)
        self.fake.envelopes.append((envelope.mail_from or "", list(envelope.rcpt_tos)))
        return "250 2.0.0 Message accepted for delivery"
