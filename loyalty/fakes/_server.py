"""What every fake shares: listen on 127.0.0.1 with a random free port, on the running loop,
and on stop drop every connection (a ``hang`` keeps some open on purpose)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from types import TracebackType
from typing import Self

from loyalty.fakes.behaviour import Behaviour, BehaviourTable

HOST = "127.0.0.1"


class LoopbackServer:
    """Base of the fakes: ``async with Fake() as fake`` or ``await fake.start()``/``stop()``."""

    def __init__(self, *, port: int = 0) -> None:
        self.port = port
        self.table = BehaviourTable()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()

    def behave(self, key: str, behaviour: Behaviour) -> None:
        """Answer ``key`` (a token or an address) with ``behaviour`` from now on."""
        self.table.behave(key, behaviour)

    def set_default(self, behaviour: Behaviour, *, retry_after_s: int | None = None) -> None:
        """Answer every key without its own behaviour with ``behaviour``."""
        self.table.set_default(behaviour)
        if retry_after_s is not None:
            self.table.retry_after_s = retry_after_s

    def reset(self) -> None:
        """Forget behaviours and what was received, keeping the server up (between tests)."""
        self.table.reset()
        self.clear()

    def clear(self) -> None:
        """Forget what was received. Subclasses hold the records."""

    async def start(self) -> Self:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.protocol_factory(), HOST, self.port, ssl=self.ssl_context()
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for transport in list(self._transports):
            transport.abort()
        await self._server.wait_closed()
        self._server = None

    def protocol_factory(self) -> Callable[[], asyncio.Protocol]:
        raise NotImplementedError

    def ssl_context(self) -> ssl.SSLContext | None:
        return None

    def track(self, transport: asyncio.BaseTransport) -> None:
        """Protocols call this from ``connection_made`` so :meth:`stop` can drop them."""
        if isinstance(transport, asyncio.Transport):
            self._transports.add(transport)

    def untrack(self, transport: asyncio.BaseTransport | None) -> None:
        """Protocols call this from ``connection_lost``."""
        if isinstance(transport, asyncio.Transport):
            self._transports.discard(transport)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
