"""A loopback FCM: Google's OAuth token endpoint and the FCM v1 send endpoint over HTTP/1.1.

firebase-admin's async client is httpx with HTTP/2 enabled, but over plain ``http://`` httpx
only speaks HTTP/1.1 (HTTP/2 is negotiated by TLS ALPN), so a small keep-alive HTTP/1.1
server is all it takes. It is hand-rolled on ``asyncio.Protocol`` to stay dependency-free
and fast enough for the push benchmark.

    async with FakeFcm() as fcm:
        creds = fcm.write_service_account(tmp_path / "sa.json")
        sender = FcmSender(creds, endpoint=fcm.url)
        fcm.behave("dead-token", "unregistered")
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt

from tests.fakes._server import HOST, LoopbackServer
from tests.fakes.behaviour import Behaviour
from tests.fakes.keys import make_service_account

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
FCM_ERROR = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
INVALID_TOKEN = "The registration token is not a valid FCM registration token"
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    raw: bytes | None = None  # a non-JSON body, as Google's front end sends for bad paths


class FakeFcm(LoopbackServer):
    """FCM v1 and OAuth on one port; records every ``message`` it accepted or refused."""

    def __init__(
        self,
        *,
        port: int = 0,
        project_id: str = "loyalty-test",
        expires_in: int = 3600,
        record: bool = True,
    ) -> None:
        super().__init__(port=port)
        self.project_id = project_id
        self.expires_in = expires_in
        self.record = record
        self.messages: list[dict[str, Any]] = []
        self.send_count = 0
        self.token_count = 0
        self.service_account: Path | None = None
        self._public_key: bytes | None = None
        self._issued: set[str] = set()
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        """Base URL for ``LOYALTY_FCM_ENDPOINT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    def write_service_account(self, path: Path) -> Path:
        """Write a service-account JSON whose ``token_uri`` points here (start first)."""
        self._public_key = make_service_account(
            path, token_uri=self.token_uri, project_id=self.project_id
        )
        self.service_account = path
        return path

    def revoke_tokens(self) -> None:
        """Refuse every access token issued so far (401), as after a key rotation."""
        self._issued.clear()

    def tokens(self) -> list[str]:
        """Targets of the recorded messages, in arrival order."""
        return [m.get("token") or m.get("fid") or "" for m in self.messages]

    def clear(self) -> None:
        self.messages.clear()
        self.send_count = 0

    def protocol_factory(self) -> Callable[[], asyncio.Protocol]:
        return lambda: _Http11(self)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply | None:
        """Route one request; ``None`` means hang (never answer)."""
        if method == "POST" and path == "/token":
            return self._token(body)
        if method == "POST" and path == f"/v1/projects/{self.project_id}/messages:send":
            return self._send(headers, body)
        return Reply(404, {}, raw=b"<html><title>Error 404 (Not Found)!!1</title></html>")

    def _token(self, body: bytes) -> Reply:
        form = parse_qs(body.decode())
        assertion = form.get("assertion", [""])[0]
        if not self._assertion_ok(assertion):
            return Reply(400, {"error": "invalid_grant", "error_description": "bad assertion"})
        self.token_count += 1
        token = f"fake-access-token-{self.token_count}"
        self._issued.add(token)
        return Reply(
            200, {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        )

    def _assertion_ok(self, assertion: str) -> bool:
        if self._public_key is None:
            return bool(assertion)
        try:
            # google-auth always names Google's own token URI as the audience.
            jwt.decode(
                assertion,
                self._public_key,
                algorithms=["RS256"],
                audience=[GOOGLE_TOKEN_URI, self.token_uri],
            )
        except jwt.PyJWTError:
            return False
        return True

    def _send(self, headers: dict[str, str], body: bytes) -> Reply | None:
        auth = headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self._issued:
            return _google_error(401, "UNAUTHENTICATED", "Request had invalid credentials.")
        message = json.loads(body)["message"]
        self.send_count += 1
        if self.record:
            self.messages.append(message)
        target = message.get("token") or message.get("fid") or ""
        return self._reply(self.table.lookup(target))

    def _reply(self, behaviour: Behaviour) -> Reply | None:
        if behaviour == "ok":
            return Reply(200, {"name": f"projects/{self.project_id}/messages/{next(self._ids)}"})
        if behaviour == "hang":
            return None
        return _ERRORS[behaviour](self.table.retry_after_s)


def _google_error(
    status: int,
    code: str,
    message: str,
    fcm_code: str | None = None,
    extra: list[dict[str, Any]] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
) -> Reply:
    details: list[dict[str, Any]] = []
    if fcm_code:
        details.append({"@type": FCM_ERROR, "errorCode": fcm_code})
    details.extend(extra or [])
    error = {"code": status, "message": message, "status": code, "details": details}
    return Reply(status, {"error": error}, headers)


_ERRORS: dict[str, Callable[[int], Reply]] = {
    "bad_request": lambda _: _google_error(
        400, "INVALID_ARGUMENT", "Invalid value at 'message.data'", "INVALID_ARGUMENT"
    ),
    "wrong_topic": lambda _: _google_error(
        400, "INVALID_ARGUMENT", "Invalid value at 'message.apns'", "INVALID_ARGUMENT"
    ),
    "bad_token": lambda _: _google_error(
        400,
        "INVALID_ARGUMENT",
        INVALID_TOKEN,
        "INVALID_ARGUMENT",
        [
            {
                "@type": BAD_REQUEST,
                "fieldViolations": [{"field": "message.token", "description": INVALID_TOKEN}],
            }
        ],
    ),
    "unregistered": lambda _: _google_error(
        404, "NOT_FOUND", "Requested entity was not found.", "UNREGISTERED"
    ),
    "rate_limited": lambda after: _google_error(
        429,
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Send requests'",
        "QUOTA_EXCEEDED",
        headers=(("Retry-After", str(after)),),
    ),
    "server_error": lambda _: _google_error(
        500, "INTERNAL", "Internal error encountered.", "INTERNAL"
    ),
    "unavailable": lambda _: _google_error(
        503, "UNAVAILABLE", "The service is currently unavailable.", "UNAVAILABLE"
    ),
}


class _Http11(asyncio.Protocol):
    """Keep-alive HTTP/1.1 with Content-Length bodies: what httpx and requests send."""

    def __init__(self, fake: FakeFcm) -> None:
        self.fake = fake
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.fake.track(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fake.untrack(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (request := self._next_request()) is not None:
            self._answer(*request)

    def _next_request(self) -> tuple[str, str, dict[str, str], bytes] | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        lines = self.buffer[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        size = int(headers.get("content-length", "0"))
        if len(self.buffer) < end + 4 + size:
            return None
        body = bytes(self.buffer[end + 4 : end + 4 + size])
        del self.buffer[: end + 4 + size]
        method, target, _ = lines[0].split(" ", 2)
        return method, target.split("?", 1)[0], headers, body

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> None:
        reply = self.fake.handle(method, path, headers, body)
        if reply is None or self.transport is None:
            return
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        kind = "text/html" if reply.raw is not None else "application/json"
        head = [
            f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Error')}",
            f"Content-Type: {kind}; charset=UTF-8",
            f"Content-Length: {len(payload)}",
        ]
        head += [f"{name}: {value}" for name, value in reply.headers]
        self.transport.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
        if headers.get("connection", "").lower() == "close":
            self.transport.close()
