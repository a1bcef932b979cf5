"""A loopback APNs: HTTP/2 over TLS with raw ``h2``, answering ``POST /3/device/{token}``.

It answers the way Apple does and the way aioapns needs (STACK-NOTES): ``apns-id`` echoed,
a 200 ended on the HEADERS frame, an error body in one DATA frame. The provider token
(``authorization: bearer <ES256 JWT>``) is checked against the test key.

    async with FakeApns(tmp_path) as apns:
        sender = ApnsSender(apns.key.p8_file, apns.key.key_id, apns.key.team_id, apns.topic,
                            endpoint=apns.endpoint, ca_file=apns.tls.ca_file)
        apns.behave("dead-token", "unregistered")
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import ConnectionTerminated, DataReceived, RequestReceived, StreamEnded
from h2.settings import SettingCodes

from loyalty.fakes._server import HOST, LoopbackServer
from loyalty.fakes.behaviour import Behaviour
from loyalty.fakes.keys import ApnsKey, TlsFiles, make_apns_key, make_tls_files

MAX_PAYLOAD_BYTES = 4096
TOKEN_MAX_AGE_S = 3600
_ERRORS: dict[str, tuple[int, str]] = {
    "bad_request": (400, "BadTopic"),
    "bad_token": (400, "BadDeviceToken"),
    "wrong_topic": (400, "DeviceTokenNotForTopic"),
    "unregistered": (410, "Unregistered"),
    "rate_limited": (429, "TooManyRequests"),
    "server_error": (500, "InternalServerError"),
    "unavailable": (503, "ServiceUnavailable"),
}


@dataclass(frozen=True)
class ApnsRequest:
    """One notification as received: device token, request headers, decoded payload."""

    token: str
    headers: dict[str, str]
    payload: dict[str, Any]


@dataclass
class _Stream:
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)


class FakeApns(LoopbackServer):
    """APNs on 127.0.0.1 with a fresh test CA, server certificate and .p8 signing key."""

    def __init__(
        self, folder: Path, *, port: int = 0, topic: str = "com.example.shop", record: bool = True
    ) -> None:
        super().__init__(port=port)
        self.tls: TlsFiles = make_tls_files(folder / "apns-tls")
        self.key: ApnsKey = make_apns_key(folder / "apns-key")
        self.topic = topic
        self.record = record
        self.requests: list[ApnsRequest] = []
        self.send_count = 0
        self._verified: set[str] = set()

    @property
    def endpoint(self) -> str:
        """``host:port`` for ``LOYALTY_APNS_ENDPOINT``."""
        return f"{HOST}:{self.port}"

    def tokens(self) -> list[str]:
        return [r.token for r in self.requests]

    def clear(self) -> None:
        self.requests.clear()
        self.send_count = 0

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        context.set_alpn_protocols(["h2"])
        return context

    def protocol_factory(self) -> Callable[[], asyncio.Protocol]:
        return lambda: _H2Server(self)

    def answer(self, stream: _Stream) -> tuple[int, str] | None:
        """Status and reason for one request (reason "" for 200); ``None`` means hang."""
        headers = stream.headers
        problem = self._refusal(headers, stream.body)
        if problem is not None:
            return problem
        token = headers[":path"].removeprefix("/3/device/")
        self.send_count += 1
        if self.record:
            self.requests.append(ApnsRequest(token, headers, json.loads(stream.body)))
        behaviour: Behaviour = self.table.lookup(token)
        if behaviour == "hang":
            return None
        return _ERRORS.get(behaviour, (200, ""))

    def _refusal(self, headers: dict[str, str], body: bytes | bytearray) -> tuple[int, str] | None:
        if headers.get(":method") != "POST":
            return 405, "MethodNotAllowed"
        if not headers.get(":path", "").startswith("/3/device/"):
            return 404, "BadPath"
        if (auth_problem := self._auth_problem(headers.get("authorization", ""))) is not None:
            return 403, auth_problem
        if headers.get("apns-topic") != self.topic:
            return 400, "BadTopic"
        if len(body) > MAX_PAYLOAD_BYTES:
            return 413, "PayloadTooLarge"
        return None

    def _auth_problem(self, authorization: str) -> str | None:
        """Check the ES256 provider token once; Apple caches it for its lifetime too."""
        if not authorization.startswith("bearer "):
            return "MissingProviderToken"
        token = authorization.removeprefix("bearer ")
        if token in self._verified:
            return None
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, self.key.public_pem, algorithms=["ES256"])
        except jwt.PyJWTError:
            return "InvalidProviderToken"
        if header.get("kid") != self.key.key_id or claims.get("iss") != self.key.team_id:
            return "InvalidProviderToken"
        if time.time() - float(claims.get("iat", 0)) > TOKEN_MAX_AGE_S:
            return "ExpiredProviderToken"
        self._verified.add(token)
        return None


class _H2Server(asyncio.Protocol):
    def __init__(self, fake: FakeApns) -> None:
        self.fake = fake
        self.transport: asyncio.Transport | None = None
        self.conn = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.streams: dict[int, _Stream] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.fake.track(transport)
        self.conn.initiate_connection()
        self.conn.update_settings({SettingCodes.MAX_CONCURRENT_STREAMS: 1000})
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        self.fake.untrack(self.transport)

    def data_received(self, data: bytes) -> None:
        for event in self.conn.receive_data(data):
            if isinstance(event, RequestReceived):
                self.streams[event.stream_id] = _Stream(dict(event.headers))  # type: ignore[arg-type]
            elif isinstance(event, DataReceived):
                self.streams[event.stream_id].body += event.data
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                self._respond(event.stream_id)
            elif isinstance(event, ConnectionTerminated) and self.transport is not None:
                self.transport.close()
        self._flush()

    def _respond(self, stream_id: int) -> None:
        stream = self.streams.pop(stream_id)
        answer = self.fake.answer(stream)
        if answer is None:
            return
        status, reason = answer
        apns_id = stream.headers.get("apns-id") or str(uuid.uuid4()).upper()
        headers = [(":status", str(status)), ("apns-id", apns_id)]
        if not reason:
            self.conn.send_headers(stream_id, headers, end_stream=True)
            return
        body: dict[str, Any] = {"reason": reason}
        if status == 410:
            body["timestamp"] = int(time.time() * 1000)
        if status == 429:
            headers.append(("retry-after", str(self.fake.table.retry_after_s)))
        self.conn.send_headers(stream_id, [*headers, ("content-type", "application/json")])
        self.conn.send_data(stream_id, json.dumps(body).encode(), end_stream=True)

    def _flush(self) -> None:
        if self.transport is not None and (data := self.conn.data_to_send()):
            self.transport.write(data)
