"""Apple Push Notification service through aioapns 4 with token (.p8) authentication.

aioapns has no host/port or timeout setting: :func:`_connect` (the one seam) aims it with a
protocol subclass, and every send is bounded by ``asyncio.wait_for``. Sends run
concurrently, at most ``concurrency`` at a time, over HTTP/2 streams on a few connections.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aioapns import APNs, NotificationRequest, PushType
from aioapns.common import NotificationResult
from aioapns.connection import (
    APNsDevelopmentClientProtocol,
    APNsProductionClientProtocol,
    APNsTLSClientProtocol,
)
from aioapns.exceptions import ConnectionClosed, ConnectionError, MaxAttemptsExceeded
from h2.config import H2Configuration
from h2.connection import H2Connection
from hpack import Encoder
from hpack.hpack import encode_integer
from hpack.table import HeaderTable

from push.content import DeliveryResult, PushMessage, failed, pruned, retry, sent
from push.payloads import PayloadTooLarge, apns_payload

DEFAULT_RETRY_AFTER_S = 60.0
PRIORITY_IMMEDIATE = 10
PRUNE_REASONS = frozenset(
    {"Unregistered", "BadDeviceToken", "DeviceTokenNotForTopic", "ExpiredToken"}
)
AUTH_REASONS = frozenset(
    {
        "ExpiredProviderToken",
        "InvalidProviderToken",
        "MissingProviderToken",
        "TooManyProviderTokenUpdates",
    }
)


class ApnsSender:
    """Sends pushes to Apple with one provider key (.p8) for one app ``topic`` (bundle id).

    ``endpoint`` (``host:port``) replaces Apple's server and ``ca_file`` adds a CA to trust,
    both for test servers; ``use_sandbox`` picks Apple's development server otherwise. At
    most ``concurrency`` requests are in flight across all calls (default and ceiling:
    ``max_connections * streams_per_connection``); each is bounded by ``timeout_s``.
    """

    def __init__(
        self,
        key_file: str | Path,
        key_id: str,
        team_id: str,
        topic: str,
        *,
        endpoint: str | None = None,
        ca_file: str | Path | None = None,
        use_sandbox: bool = False,
        timeout_s: float = 10.0,
        concurrency: int | None = None,
        max_connections: int = 8,
        streams_per_connection: int = 100,
        default_retry_after_s: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        self._key = Path(key_file).read_text()
        self._key_id, self._team_id, self._topic = key_id, team_id, topic
        self._endpoint = endpoint
        self._ca_file = ca_file
        self._use_sandbox = use_sandbox
        self._timeout_s = timeout_s
        capacity = max_connections * streams_per_connection
        # Sender-wide, and never past the pool's capacity: past it aioapns polls every 10 ms.
        self._gate = asyncio.Semaphore(min(concurrency or capacity, capacity))
        self._max_connections = max_connections
        self._streams_per_connection = streams_per_connection
        self._default_retry_after_s = default_retry_after_s
        self._client: APNs | None = None

    async def send(self, batch: Sequence[PushMessage]) -> list[DeliveryResult]:
        """Send every message concurrently (bounded); one result per message, in order."""
        if not batch:
            return []
        client = self._connected()

        async def one(msg: PushMessage) -> DeliveryResult:
            async with self._gate:
                return await self._send_one(client, msg)

        return list(await asyncio.gather(*(one(msg) for msg in batch)))

    async def close(self) -> None:
        if self._client is not None:
            self._client.pool.close()
            self._client = None

    def _connected(self) -> APNs:
        """Build the client on first use: aioapns binds to the running loop when built."""
        if self._client is None:
            self._client = _connect(
                key=self._key,
                key_id=self._key_id,
                team_id=self._team_id,
                topic=self._topic,
                endpoint=self._endpoint,
                ca_file=self._ca_file,
                use_sandbox=self._use_sandbox,
                max_connections=self._max_connections,
                streams_per_connection=self._streams_per_connection,
            )
        return self._client

    async def _send_one(self, client: APNs, msg: PushMessage) -> DeliveryResult:
        try:
            request = NotificationRequest(
                device_token=msg.token,
                message=apns_payload(msg),
                priority=PRIORITY_IMMEDIATE,
                collapse_key=msg.collapse_key,
                push_type=PushType.ALERT,
            )
        except PayloadTooLarge:
            return failed(msg.token, "payload_too_large")
        try:
            async with asyncio.timeout(self._timeout_s):  # unlike wait_for, adds no Task
                result = await client.send_notification(request)
        except TimeoutError:
            return retry(msg.token, "timeout")
        except (ConnectionError, ConnectionClosed, MaxAttemptsExceeded, OSError) as error:
            return retry(msg.token, f"connection: {type(error).__name__}")
        return self._classify(msg.token, result)

    def _classify(self, key: str, result: NotificationResult) -> DeliveryResult:
        return classify(key, result, self._default_retry_after_s)


def classify(key: str, result: NotificationResult, default_after_s: float) -> DeliveryResult:
    """Sort one APNs answer (Zulip's rules: timeouts and 5xx never prune)."""
    status, reason = result.status, result.description or ""
    if status == "200":
        return sent(key, result.notification_id)
    if reason in PRUNE_REASONS or status == "410":
        return pruned(key, reason or "Unregistered")
    if status == "429":
        return retry(key, reason or "TooManyRequests", default_after_s)
    if status.startswith("5"):
        return retry(key, reason or f"http_{status}")
    if status == "403" and reason in AUTH_REASONS:
        return retry(key, reason, default_after_s)
    if status == "413":
        return failed(key, "payload_too_large")
    return failed(key, reason or f"http_{status}")


async def _ignore_error(request: NotificationRequest, result: NotificationResult) -> None:
    """aioapns logs every refusal at ERROR; we classify them instead."""


def _connect(
    *,
    key: str,
    key_id: str,
    team_id: str,
    topic: str,
    endpoint: str | None,
    ca_file: str | Path | None,
    use_sandbox: bool,
    max_connections: int,
    streams_per_connection: int,
) -> APNs:
    """THE seam into aioapns: its server is a class attribute of the connection protocol.

    We set our own protocol subclass as ``pool.protocol_class`` (STACK-NOTES), pointing at
    ``endpoint`` when given, and trust ``ca_file`` on top of the system CAs. The subclass
    also caps concurrent streams per connection: h2 counts open streams by walking all of
    them for every new one, so 1000 streams on one connection (Apple's limit, aioapns'
    default) cost a third of the CPU; a few connections of ``streams_per_connection`` do not.
    """
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    context.set_alpn_protocols(["h2"])
    client = APNs(
        key=key,
        key_id=key_id,
        team_id=team_id,
        topic=topic,
        use_sandbox=use_sandbox,
        ssl_context=context,
        max_connections=max_connections,
        err_func=_ignore_error,
    )
    base = APNsDevelopmentClientProtocol if use_sandbox else APNsProductionClientProtocol
    client.pool.protocol_class = _protocol_class(base, endpoint, streams_per_connection)
    return client


def _protocol_class(
    base: type[APNsTLSClientProtocol], endpoint: str | None, max_streams: int
) -> type[APNsTLSClientProtocol]:
    host, port = base.APNS_SERVER, base.APNS_PORT
    if endpoint:
        host, _, port_text = endpoint.rpartition(":")
        port = int(port_text)

    class Protocol(_TunedProtocol, base):  # type: ignore[valid-type,misc]
        APNS_SERVER = host
        APNS_PORT = port
        MAX_STREAMS = max_streams

    return Protocol


class _ApnsHeaderEncoder(Encoder):
    """HPACK tuned for APNs requests, where a few headers are new on every request.

    Those (``:path`` with the device token, ``apns-id``, and ``apns-collapse-id``, one per
    notification from the delivery path) are sent as literals kept out of the dynamic table
    (the first two "never indexed" as before, the collapse id "without indexing"):
    indexing them only evicted the reused headers (the 200-byte JWT among them) and made
    every table search walk a full table. No Huffman coding: it cost 12% of the CPU for a
    few bytes a request.

    And a memo: once a request's reused headers were encoded without changing the dynamic
    table, each of them encodes to the same index reference for as long as the table stays
    as it is, so the next request with the same reused headers joins remembered bytes with
    the literals (a quarter of the APNs CPU went into hpack's search and add). Any
    encoding that changes the table (a new JWT, a new topic) or a table resize empties it.
    """

    UNIQUE = frozenset({b":path", b"apns-id", b"apns-collapse-id"})

    def __init__(self) -> None:
        super().__init__()
        self._memo: dict[tuple[tuple[bytes, bytes | None], ...], list[bytes | None]] = {}

    def encode(self, headers: Any, huffman: bool = True) -> bytes:
        pairs = [(_to_bytes(h[0]), _to_bytes(h[1])) for h in headers]
        unique = self.UNIQUE
        key = tuple((n, None) if n in unique else (n, v) for n, v in pairs)
        pieces = None if self.header_table.resized else self._memo.get(key)
        if pieces is None:
            return self._encode_and_remember(pairs, key)
        return b"".join(
            piece if piece is not None else _literal(name, value)
            for piece, (name, value) in zip(pieces, pairs, strict=True)
        )

    def _encode_and_remember(
        self, pairs: list[tuple[bytes, bytes]], key: tuple[tuple[bytes, bytes | None], ...]
    ) -> bytes:
        table = self.header_table
        before, resized = list(table.dynamic_entries), table.resized
        prefix = b""
        if resized:
            prefix = self._encode_table_size_change()
            table.resized = False
        pieces: list[bytes | None] = [
            None if name in self.UNIQUE else self.add((name, value), False, False)
            for name, value in pairs
        ]
        if resized or list(table.dynamic_entries) != before:
            self._memo.clear()  # references into the table may have moved
        else:
            self._memo[key] = pieces
        return prefix + b"".join(
            piece if piece is not None else _literal(name, value)
            for piece, (name, value) in zip(pieces, pairs, strict=True)
        )


def _to_bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


_NEVER_INDEXED = frozenset({b":path", b"apns-id"})


def _literal(name: bytes, value: bytes) -> bytes:
    """RFC 7541 6.2.3 "never indexed" (6.2.2 "without indexing" for the collapse id), no
    Huffman coding."""
    return _literal_name(name) + _hpack_length(len(value)) + value


@functools.cache
def _literal_name(name: bytes) -> bytes:
    flag = 0x10 if name in _NEVER_INDEXED else 0x00
    static = HeaderTable.STATIC_TABLE_MAPPING.get(name)
    if static is not None:  # the name by its static-table index, 4-bit prefix
        head = encode_integer(static[0], 4)
        head[0] |= flag
        return bytes(head)
    return bytes((flag,)) + _hpack_length(len(name)) + name


def _hpack_length(length: int) -> bytes:
    """A string length with the Huffman bit clear (7-bit prefix integer)."""
    return bytes((length,)) if length < 127 else bytes(encode_integer(length, 7))


class _TunedProtocol(APNsTLSClientProtocol):
    """aioapns' connection protocol, made cheaper per request and safe with timeouts.

    - at most ``MAX_STREAMS`` streams per connection (see :func:`_connect`);
    - no h2 validation of the headers aioapns itself builds, and :class:`_ApnsHeaderEncoder`;
    - writes coalesced to one per loop turn (:meth:`flush`);
    - bookkeeping aioapns 4 lacks: a late answer to a request we stopped waiting for would
      make it call ``set_result`` on a cancelled future inside ``data_received``
      (InvalidStateError, the connection dies) or in ``connection_lost``; and
      ``request_streams`` would keep one entry per 200 for the life of the connection.
    """

    MAX_STREAMS = 100

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.free_channels.bound = self.MAX_STREAMS
        self.conn = H2Connection(
            H2Configuration(
                client_side=True,
                validate_outbound_headers=False,
                normalize_outbound_headers=False,
            )
        )
        self.conn.encoder = _ApnsHeaderEncoder()
        self._flush_pending = False
        self._lost = False

    def flush(self) -> None:
        """Coalesce writes: one TLS record and one timer reset per loop turn, not per frame.

        aioapns flushes after every request and every read; with hundreds in flight that
        was a write system call, a TLS record and a timer re-arm per notification.
        """
        if not self._flush_pending:
            self._flush_pending = True
            self.loop.call_soon(self._flush_now)

    def _flush_now(self) -> None:
        self._flush_pending = False
        if self.transport is not None and not self.transport.is_closing():
            super().flush()

    def on_remote_settings_changed(self, changed_settings: dict[Any, Any]) -> None:
        super().on_remote_settings_changed(changed_settings)
        self.free_channels.bound = min(self.free_channels.bound, self.MAX_STREAMS)

    def on_response_received(self, headers: dict[bytes, bytes]) -> None:
        if not self._abandoned(headers.get(b"apns-id", b"").decode()):
            super().on_response_received(headers)

    def on_data_received(self, raw_data: bytes, stream_id: int) -> None:
        notification_id = self.request_streams.get(stream_id)
        if notification_id is not None and not self._abandoned(notification_id):
            super().on_data_received(raw_data, stream_id)

    def on_stream_ended(self, stream_id: int) -> None:
        notification_id = self.request_streams.pop(stream_id, None)
        if notification_id is not None:
            self.request_statuses.pop(notification_id, None)
        super().on_stream_ended(stream_id)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._lost:  # seen twice on TLS teardown; the pool's discard would raise
            return
        self._lost = True
        for notification_id in [n for n, f in self.requests.items() if f.done()]:
            del self.requests[notification_id]
        super().connection_lost(exc)

    def _abandoned(self, notification_id: str) -> bool:
        future: Any = self.requests.get(notification_id)
        if future is None or not future.done():
            return False
        del self.requests[notification_id]
        self.request_statuses.pop(notification_id, None)
        return True
