"""A loopback webhook receiver speaking plain HTTP/1.1 (keep-alive), as a shop's CRM would.

It records every request (path, headers, raw body), verifies signatures with the secret it is
given, and answers from a script per path: ``script("/crm", 503, 503)`` answers 503 twice, then
200. ``delay_s`` makes a slow receiver; ``hang`` paths never answer (a timeout).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Self

import msgspec

from loyalty.webhooks import signing

HOST = "127.0.0.1"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return msgspec.json.decode(self.body)


@dataclass
class Receiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    delay_s: float = 0.0
    _script: dict[str, deque[int]] = field(default_factory=lambda: defaultdict(deque))
    _hang: set[str] = field(default_factory=set)
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def script(self, path: str, *statuses: int) -> None:
        """Answer the next requests to ``path`` with these statuses, then 200."""
        self._script[path].extend(statuses)

    def hang(self, path: str) -> None:
        self._hang.add(path)

    def to(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def verified(self, secret: str, r: Received, *, now: float | None = None) -> bool:
        return signing.verify(secret, r.headers.get(signing.HEADER.lower(), ""), r.body, now=now)

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._serve, HOST, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                _, path, _ = line.decode().split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b""):
                    k, v = h.decode().split(":", 1)
                    headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.received.append(Received(path, headers, body))
                if path in self._hang:
                    await asyncio.sleep(3600)
                if self.delay_s:
                    await asyncio.sleep(self.delay_s)
                status = self._script[path].popleft() if self._script[path] else 200
                writer.write(
                    f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n"
                    f"\r\nok".encode()
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()


async def _serve_forever(port: int) -> None:
    """``python -m loyalty.fakes.webhooks PORT``: a receiver answering 200 to everything, which
    prints how many requests it got when stopped (for bench/webhooks.py)."""
    receiver = await Receiver(port=port).start()
    print(f"listening {receiver.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        print(f"received {len(receiver.received)}", flush=True)


if __name__ == "__main__":
    import sys

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_forever(int(sys.argv[1])))
