"""SMS through Twilio's Messages API with the official ``twilio`` client.

The client is synchronous (``requests``), so each batch runs in a small thread pool, one
client per thread (a ``requests`` session is not meant to be shared across threads), and the
event loop never blocks. ``LOYALTY_TWILIO_ENDPOINT`` replaces ``https://api.twilio.com``
through a custom HTTP client, the library's documented way to aim it elsewhere.

Every answer is sorted like the push senders' (``push.content.DeliveryResult``):

- 201: ``sent`` (the message SID is kept as ``provider_id``);
- 429 and 5xx, timeouts, lost connections, 401/403 (credentials; nothing is wrong with the
  message): ``retry``, after ``Retry-After`` when Twilio sends one;
- the number is refused for good (:data:`NUMBER_REFUSED`, e.g. 21211 invalid, 21610 the
  recipient texted STOP, 21614 not a mobile): ``pruned``, so the outbox marks the number;
- any other 4xx: ``failed`` with Twilio's code and message.

A number that is not E.164 never reaches Twilio: it is ``failed`` with ``invalid_number``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from push.content import DeliveryResult, SmsMessage, failed, pruned, retry, sent

log = logging.getLogger(__name__)

TWILIO_BASE = "https://api.twilio.com"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
NUMBER_REFUSED: dict[int, str] = {
    21211: "invalid_number",
    21214: "invalid_number",
    21217: "invalid_number",
    21610: "unsubscribed",
    21612: "unreachable",
    21614: "not_mobile",
}
"""Twilio error codes that condemn the number itself, and what the member row records."""
CREDENTIAL_STATUSES = frozenset({401, 403})


class EndpointHttpClient(TwilioHttpClient):  # type: ignore[misc]  # untyped library
    """Twilio's HTTP client with ``https://api.twilio.com`` replaced by ``base_url``; it keeps
    the last response so a 429's ``Retry-After`` can be read (one client per thread)."""

    def __init__(self, base_url: str | None, *, timeout_s: float) -> None:
        super().__init__(timeout=timeout_s)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.last: Response | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        if self.base_url and url.startswith(TWILIO_BASE):
            url = self.base_url + url[len(TWILIO_BASE) :]
        self.last = None
        self.last = super().request(method, url, *args, **kwargs)
        return self.last


class TwilioSender:
    """Sends :class:`SmsMessage` batches from ``from_`` (a number or a Messaging Service SID)."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_: str,
        *,
        endpoint: str | None = None,
        threads: int = 8,
        timeout_s: float = 15.0,
    ) -> None:
        self.account_sid, self.from_ = account_sid, from_
        self._auth_token = auth_token
        self._endpoint = endpoint
        self._timeout_s = timeout_s
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="twilio")
        self._local = threading.local()

    async def send(self, batch: Sequence[SmsMessage]) -> list[DeliveryResult]:
        """Send the batch (up to ``threads`` at once); one result per message, in order."""
        loop = asyncio.get_running_loop()
        return list(
            await asyncio.gather(*(loop.run_in_executor(self._pool, self._one, m) for m in batch))
        )

    async def close(self) -> None:
        """Stop the threads (they finish what they are sending)."""
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)

    def _client(self) -> Client:
        client: Client | None = getattr(self._local, "client", None)
        if client is None:
            http = EndpointHttpClient(self._endpoint, timeout_s=self._timeout_s)
            client = self._local.client = Client(
                self.account_sid, self._auth_token, http_client=http
            )
        return client

    def _one(self, msg: SmsMessage) -> DeliveryResult:
        """Runs in a pool thread: one POST to Messages.json, its answer classified."""
        if not E164.match(msg.to):
            return failed(msg.to, "invalid_number: not E.164")
        client = self._client()
        try:
            created = client.messages.create(to=msg.to, from_=self.from_, body=msg.body)
        except TwilioRestException as error:
            return classify_error(msg.to, error, _retry_after(client))
        except requests.Timeout:
            return retry(msg.to, "timeout")
        except (requests.RequestException, TwilioException, OSError) as error:
            return retry(msg.to, f"twilio_connection: {type(error).__name__}")
        return sent(msg.to, created.sid)


def classify_error(to: str, error: TwilioRestException, after_s: float | None) -> DeliveryResult:
    """Sort one Twilio error answer (see the module doc)."""
    code = error.code or 0
    reason = f"twilio_{code or error.status}: {error.msg}"
    if error.status == 429 or error.status >= 500 or error.status in CREDENTIAL_STATUSES:
        return retry(to, reason, after_s)
    if code in NUMBER_REFUSED:
        return pruned(to, f"{NUMBER_REFUSED[code]} ({reason})")
    return failed(to, reason)


def _retry_after(client: Client) -> float | None:
    http = client.http_client
    last = http.last if isinstance(http, EndpointHttpClient) else None
    if last is None:
        return None
    value = (last.headers or {}).get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
