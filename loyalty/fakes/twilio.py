"""A loopback Twilio: the Messages API over HTTP/1.1, as the ``twilio`` client speaks it.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded (``To``, ``From``,
``Body``), basic auth ``AccountSid:AuthToken``; answers 201 with the message resource, or
Twilio's error body ``{"code", "message", "more_info", "status"}``. Behaviours are per
recipient number, with the names every fake shares (``behaviour.py``):

- ``ok``: 201, ``status: queued``;
- ``bad_token`` / ``bad_request``: 400 with code 21211 (invalid ``To`` number);
- ``unregistered``: 400 with code 21610 (the recipient texted STOP);
- ``wrong_topic``: 400 with code 21614 (not a mobile number);
- ``rate_limited``: 429 with code 20429 and ``Retry-After``;
- ``server_error``: 500 (code 20500); ``unavailable``: 503; ``hang``: no answer.

    async with FakeTwilio() as twilio:
        sender = TwilioSender(twilio.account_sid, twilio.auth_token, twilio.from_number,
                              endpoint=twilio.url)
        twilio.behave("+4791234567", "rate_limited")
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from loyalty.fakes._server import HOST, LoopbackServer
from loyalty.fakes.behaviour import Behaviour
from loyalty.fakes.fcm import Reply, _Http11

_ERRORS: dict[str, tuple[int, int, str]] = {
    "bad_request": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "bad_token": (400, 21211, "The 'To' number {to} is not a valid phone number."),
    "unregistered": (400, 21610, "Attempt to send to unsubscribed recipient"),
    "wrong_topic": (400, 21614, "'To' number is not a valid mobile number"),
    "rate_limited": (429, 20429, "Too Many Requests"),
    "server_error": (500, 20500, "An internal server error has occurred"),
    "unavailable": (503, 20503, "Service unavailable"),
}


@dataclass(frozen=True)
class Sms:
    """One message as received (accepted or refused)."""

    to: str
    from_: str
    body: str
    sid: str | None
    status: int


class FakeTwilio(LoopbackServer):
    """Twilio's Messages API on 127.0.0.1; records every message it was asked to send."""

    def __init__(
        self,
        *,
        port: int = 0,
        account_sid: str = "AC" + "0" * 32,
        auth_token: str = "fake-twilio-auth-token",
        from_number: str = "+4759440000",
    ) -> None:
        super().__init__(port=port)
        self.account_sid, self.auth_token, self.from_number = (
            account_sid,
            auth_token,
            from_number,
        )
        self.messages: list[Sms] = []
        self.send_count = 0
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        """Base URL for ``LOYALTY_TWILIO_ENDPOINT``."""
        return f"http://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        """The variables that aim the SMS sender here."""
        return {
            "LOYALTY_TWILIO_ACCOUNT_SID": self.account_sid,
            "LOYALTY_TWILIO_AUTH_TOKEN": self.auth_token,
            "LOYALTY_TWILIO_FROM": self.from_number,
            "LOYALTY_TWILIO_ENDPOINT": self.url,
        }

    def sent(self) -> list[Sms]:
        """Messages answered 201, in arrival order."""
        return [m for m in self.messages if m.status == 201]

    def to(self, number: str) -> list[Sms]:
        return [m for m in self.sent() if m.to == number]

    def clear(self) -> None:
        self.messages.clear()
        self.send_count = 0

    def protocol_factory(self) -> Callable[[], asyncio.Protocol]:
        return lambda: _Http11(self)  # type: ignore[arg-type]  # duck-typed: handle()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        """Route one request; ``None`` means hang (never answer)."""
        if method != "POST" or path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return _error(404, 20404, "The requested resource was not found")
        if not self._authorised(headers.get("authorization", "")):
            return _error(401, 20003, "Authenticate")
        form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
        to, body_text = form.get("To", ""), form.get("Body", "")
        if not to or not body_text:
            return _error(400, 21604 if not to else 21602, "A 'To' and a 'Body' are required")
        self.send_count += 1
        behaviour: Behaviour = self.table.lookup(to)
        if behaviour == "hang":
            return None
        if behaviour == "ok":
            sid = f"SM{next(self._ids):032x}"
            self.messages.append(Sms(to, form.get("From", ""), body_text, sid, 201))
            return Reply(201, self._resource(sid, to, form))
        status, code, text = _ERRORS[behaviour]
        self.messages.append(Sms(to, form.get("From", ""), body_text, None, status))
        headers_out: tuple[tuple[str, str], ...] = ()
        if behaviour == "rate_limited":
            headers_out = (("Retry-After", str(self.table.retry_after_s)),)
        return _error(status, code, text.format(to=to), headers_out)

    def _authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return (user, password) == (self.account_sid, self.auth_token)

    def _resource(self, sid: str, to: str, form: dict[str, str]) -> dict[str, Any]:
        body = form.get("Body", "")
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": form.get("From"),
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }


def _error(
    status: int, code: int, message: str, headers: tuple[tuple[str, str], ...] = ()
) -> Reply:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Reply(status, body, headers)
