"""How a delivery is POSTed: one small keep-alive HTTP/1.1 client per receiver origin.

httpx costs about 1-3 ms of CPU per request here (its pool logic dominates a tiny POST); the
repository's lean client (``push.lean_http``, built for FCM) costs a tenth of that, so the
worker uses it: one client per ``scheme://host:port``, up to 64 connections each. Tests may
pass an ``httpx.AsyncClient`` instead (:func:`from_httpx`); both raise httpx's exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

import httpx
import msgspec

from push.lean_http import LeanHttpClient

Answer = tuple[int, str | None, bytes]
"""``(status, Retry-After header, body)``."""
Poster = Callable[[str, bytes, dict[str, str], float], Awaitable[Answer]]


def from_httpx(client: httpx.AsyncClient) -> Poster:
    async def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> Answer:
        headers = {"content-type": "application/json", **headers}
        r = await client.post(url, content=body, headers=headers, timeout=timeout_s)
        return r.status_code, r.headers.get("retry-after"), r.content

    return post


class LeanPoster:
    """Keep-alive clients per origin; call it like a :data:`Poster`."""

    def __init__(self, timeout_s: float = 10.0, max_connections: int = 64) -> None:
        self.timeout_s, self.max_connections = timeout_s, max_connections
        self._clients: dict[str, LeanHttpClient] = {}

    def _client(self, url: str) -> LeanHttpClient:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        client = self._clients.get(origin)
        if client is None:
            client = LeanHttpClient(
                origin,
                bearer=lambda: None,
                timeout_s=self.timeout_s,
                max_connections=self.max_connections,
            )
            self._clients[origin] = client
        return client

    async def __call__(
        self, url: str, body: bytes, headers: dict[str, str], timeout_s: float
    ) -> Answer:
        try:
            reply = await self._client(url).request(
                "POST", url, json=msgspec.Raw(body), headers=headers
            )
        except httpx.HTTPStatusError as exc:
            r = exc.response
            return r.status_code, r.headers.get("retry-after"), r.content
        return reply.status_code, None, reply.content

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
