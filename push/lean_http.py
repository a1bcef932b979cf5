"""A small keep-alive HTTP/1.1 client that stands in for httpx under firebase-admin.

Why: on the push benchmark, httpx/httpcore cost about 1.3 ms of CPU per FCM request here
(its pool rescans every connection for every queued request, and firebase-admin's auth flow
builds a ``requests`` session per call), against about 0.1 ms for this client. It speaks
only what FCM's send endpoint needs: POST with a JSON body, plain or chunked answers, TLS
with the system trust store.

It keeps httpx's contract towards firebase-admin: errors are raised as ``httpx`` exceptions
(``HTTPStatusError`` carrying a real ``httpx.Response``, ``ReadTimeout``, ``ConnectError``)
so the library maps them to its own error classes exactly as before.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
import msgspec

_decode_json = msgspec.json.Decoder().decode
_encode_json = msgspec.json.Encoder().encode


class JsonReply:
    """The success answer: firebase-admin only calls ``.json()`` on it."""

    __slots__ = ("content", "status_code")

    def __init__(self, status_code: int, content: bytes) -> None:
        self.status_code = status_code
        self.content = content

    def json(self) -> Any:
        return _decode_json(self.content)


class LeanHttpClient:
    """At most ``max_connections`` keep-alive connections to one origin.

    ``bearer`` returns the current access token (the sender refreshes it off the loop).
    """

    def __init__(
        self,
        base_url: str,
        *,
        bearer: Callable[[], str | None],
        timeout_s: float,
        max_connections: int = 64,
        extra_headers: dict[str, str] | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        self._tls = parts.scheme == "https"
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (443 if self._tls else 80)
        self._authority = parts.netloc
        self._bearer = bearer
        self._timeout_s = timeout_s
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []
        self._headers = extra_headers or {}
        self._ssl = ssl.create_default_context(cafile=certifi.where()) if self._tls else None

    async def request(self, method: str, url: str, **kwargs: Any) -> JsonReply:
        """What firebase-admin calls: ``request("post", url=..., headers=..., json=...)``."""
        body = _encode_json(kwargs.get("json"))
        head = self._head(method.upper(), url, kwargs.get("headers") or {}, len(body))
        async with self._slots:
            status, headers, content = await self._exchange(method, url, head + body)
        if status >= 400:
            raise _status_error(method, url, status, headers, content)
        return JsonReply(status, content)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _head(self, method: str, url: str, headers: dict[str, str], length: int) -> bytes:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self._authority}",
            "Content-Type: application/json",
            f"Content-Length: {length}",
        ]
        token = self._bearer()
        if token:
            lines.append(f"Authorization: Bearer {token}")
        lines += [f"{k}: {v}" for k, v in {**self._headers, **headers}.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    async def _exchange(self, method: str, url: str, raw: bytes) -> _Answer:
        """Send on an idle connection, or a new one; retry once if a reused one was stale."""
        while self._idle:
            connection = self._idle.pop()
            if connection.usable():
                try:
                    return await self._round_trip(connection, method, url, raw)
                except _StaleConnection:
                    continue
        return await self._round_trip(await self._connect(url), method, url, raw)

    async def _round_trip(
        self, connection: _Connection, method: str, url: str, raw: bytes
    ) -> _Answer:
        try:
            async with asyncio.timeout(self._timeout_s):  # unlike wait_for, adds no Task
                answer = await connection.round_trip(raw)
        except TimeoutError:
            connection.close()
            raise httpx.ReadTimeout("timed out", request=httpx.Request(method, url)) from None
        except (_StaleConnection, httpx.HTTPError):
            raise
        except (OSError, EOFError, ValueError, asyncio.LimitOverrunError) as error:
            connection.close()
            raise httpx.ReadError(repr(error), request=httpx.Request(method, url)) from error
        except BaseException:
            connection.close()
            raise
        if connection.keep_alive:
            self._idle.append(connection)
        else:
            connection.close()
        return answer

    async def _connect(self, url: str) -> _Connection:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port, ssl=self._ssl), self._timeout_s
            )
        except TimeoutError:
            raise httpx.ConnectTimeout(
                "connect timed out", request=httpx.Request("POST", url)
            ) from None
        except OSError as error:
            raise httpx.ConnectError(str(error), request=httpx.Request("POST", url)) from error
        return _Connection(reader, writer)


_Answer = tuple[int, list[tuple[str, str]], bytes]


class _StaleConnection(Exception):
    """A reused connection was closed by the server before answering."""


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.keep_alive = True
        self.used = False

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.is_closing()

    def close(self) -> None:
        self.writer.close()

    async def round_trip(self, raw: bytes) -> _Answer:
        reused, self.used = self.used, True
        self.writer.write(raw)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            self.close()
            if reused:
                raise _StaleConnection from error
            raise httpx.RemoteProtocolError(f"connection closed: {error}") from error
        status, headers = _parse_head(head)
        content = await self._body(headers)
        self.keep_alive = _header(headers, "connection").lower() != "close"
        return status, headers, content

    async def _body(self, headers: list[tuple[str, str]]) -> bytes:
        if _header(headers, "transfer-encoding").lower() == "chunked":
            return await self._chunked()
        length = _header(headers, "content-length")
        if length:
            return await self.reader.readexactly(int(length))
        self.keep_alive = False
        return await self.reader.read()

    async def _chunked(self) -> bytes:
        chunks = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await self.reader.readexactly(size + 2))[:-2])
        while await self.reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
        return b"".join(chunks)


def _parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
    return status, headers


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((value for key, value in headers if key == name), "")


def _status_error(
    method: str, url: str, status: int, headers: list[tuple[str, str]], content: bytes
) -> httpx.HTTPStatusError:
    request = httpx.Request(method.upper(), url)
    response = httpx.Response(status, headers=headers, content=content, request=request)
    return httpx.HTTPStatusError(f"HTTP {status}", request=request, response=response)
