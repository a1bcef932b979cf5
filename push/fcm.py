"""Firebase Cloud Messaging through firebase-admin's ``send_each_async``.

Each sender owns a named firebase app (never the default one), so a process or a test can
hold several. Every provider answer is sorted as Zulip does: dead tokens are pruned,
quota/5xx/timeouts are retried later (never pruned), malformed messages fail.
"""

from __future__ import annotations

import asyncio
import email.utils
import itertools
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import firebase_admin
from firebase_admin import credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions
from google.auth.transport import requests as google_requests

from push.content import DeliveryResult, PushMessage, complete, failed, pruned, retry, sent
from push.lean_http import LeanHttpClient
from push.payloads import PayloadTooLarge, fcm_message

log = logging.getLogger(__name__)

FCM_BASE_URL = "https://fcm.googleapis.com"
FCM_BATCH_LIMIT = 500  # send_each_async refuses more
DEFAULT_RETRY_AFTER_S = 60.0
_app_ids = itertools.count(1)


class FcmSender:
    """Sends pushes through FCM v1 with the credentials of one service account.

    ``endpoint`` replaces ``https://fcm.googleapis.com`` (emulators, tests); ``timeout_s``
    bounds each HTTP call. With ``lean_http`` (the default) requests go through
    :class:`~push.lean_http.LeanHttpClient` over ``max_connections`` keep-alive HTTP/1.1
    connections, about ten times cheaper in CPU than the library's httpx client; without
    it the library's own client is used, retrying a 500/503 ``http_retries`` times itself.
    Either way a 5xx that remains is reported as ``retry`` and the outbox tries again later.
    """

    def __init__(
        self,
        credentials_file: str | Path,
        *,
        endpoint: str | None = None,
        timeout_s: float = 10.0,
        http_retries: int = 1,
        lean_http: bool = True,
        max_connections: int = 64,
        default_retry_after_s: float = DEFAULT_RETRY_AFTER_S,
    ) -> None:
        certificate = credentials.Certificate(str(credentials_file))
        self._app = firebase_admin.initialize_app(
            certificate, {"httpTimeout": timeout_s}, name=f"loyalty-fcm-{next(_app_ids)}"
        )
        self._credential = certificate.get_credential()
        self._timeout_s = timeout_s
        self._default_retry_after_s = default_retry_after_s
        base_url = endpoint or FCM_BASE_URL
        lean = (
            LeanHttpClient(
                base_url,
                bearer=lambda: self._credential.token,
                timeout_s=timeout_s,
                max_connections=max_connections,
            )
            if lean_http
            else None
        )
        self._http = _aim_messaging_service(
            self._app, base_url, lean, timeout_s=timeout_s, retries=http_retries
        )
        self._token_lock = asyncio.Lock()

    async def send(self, batch: Sequence[PushMessage]) -> list[DeliveryResult]:
        """Send every message; one result per message, in order."""
        results: list[DeliveryResult | None] = [None] * len(batch)
        ready: list[tuple[int, messaging.Message]] = []
        for index, msg in enumerate(batch):
            try:
                ready.append((index, fcm_message(msg)))
            except PayloadTooLarge:
                results[index] = failed(msg.token, "payload_too_large")
        for start in range(0, len(ready), FCM_BATCH_LIMIT):
            chunk = ready[start : start + FCM_BATCH_LIMIT]
            outcomes = await self._send_chunk([batch[i] for i, _ in chunk], [m for _, m in chunk])
            for (index, _), outcome in zip(chunk, outcomes, strict=True):
                results[index] = outcome
        return complete(results)

    async def close(self) -> None:
        """Close our HTTP client, then delete the firebase app.

        ``delete_app`` closes the messaging service with ``asyncio.run``, which cannot run
        on a running loop: it runs in a thread, where it finds our client already closed.
        """
        await self._http.aclose()
        await asyncio.to_thread(firebase_admin.delete_app, self._app)

    async def _send_chunk(
        self, msgs: list[PushMessage], messages: list[messaging.Message]
    ) -> list[DeliveryResult]:
        if not messages:
            return []
        if (problem := await self._ensure_access_token()) is not None:
            return [retry(m.token, problem, self._default_retry_after_s) for m in msgs]
        try:
            response = await messaging.send_each_async(messages, app=self._app)
        except exceptions.FirebaseError as error:  # the whole gather failed unexpectedly
            log.warning("FCM batch failed: %s", error)
            return [retry(m.token, "fcm_batch_error") for m in msgs]
        results = [
            classify(m.token, r, self._default_retry_after_s)
            for m, r in zip(msgs, response.responses, strict=True)
        ]
        if any(r.reason == "fcm_auth_error" for r in results):
            self._credential.token = None  # refused: fetch a new one before the next batch
        return results

    async def _ensure_access_token(self) -> str | None:
        """Fetch the OAuth token in a thread when it is missing or about to expire.

        google-auth refreshes synchronously inside the request otherwise, blocking the
        event loop for a network round trip (and deadlocking against an in-process fake).
        Returns a reason when the token cannot be had, so the batch is retried later.
        """
        async with self._token_lock:
            if self._credential.valid:
                return None
            try:
                await asyncio.wait_for(
                    asyncio.to_thread(self._credential.refresh, google_requests.Request()),
                    self._timeout_s,
                )
            except (auth_exceptions.GoogleAuthError, TimeoutError) as error:
                log.warning("FCM access token unavailable: %s", error)
                return "fcm_auth_unavailable"
        return None


def classify(key: str, response: messaging.SendResponse, default_after_s: float) -> DeliveryResult:
    """Sort one FCM answer into an outcome (Zulip's rules: timeouts and 5xx never prune)."""
    if response.success:
        return sent(key, response.message_id)
    error = response.exception
    if isinstance(error, messaging.UnregisteredError):
        return pruned(key, "unregistered")
    if isinstance(error, exceptions.NotFoundError):
        if _google_status(error) == "NOT_FOUND":
            return pruned(key, "not_found")
        return retry(key, "http_404_not_from_fcm", default_after_s)  # wrong endpoint: keep
    if isinstance(error, exceptions.InvalidArgumentError):
        if "registration token" in str(error).lower():
            return pruned(key, "invalid_token")
        return failed(key, f"invalid_argument: {error}")
    if isinstance(error, messaging.QuotaExceededError | exceptions.ResourceExhaustedError):
        return retry(key, "quota_exceeded", _retry_after(error) or default_after_s)
    if isinstance(error, exceptions.UnauthenticatedError | exceptions.PermissionDeniedError):
        return retry(key, "fcm_auth_error", default_after_s)
    if isinstance(error, messaging.SenderIdMismatchError | messaging.ThirdPartyAuthError):
        return failed(key, type(error).__name__)
    if isinstance(error, exceptions.DeadlineExceededError):
        return retry(key, "timeout")
    return retry(key, _reason(error))


def _google_status(error: exceptions.FirebaseError) -> str | None:
    """``error.status`` of a Google API error body; None when the body is not one (a 404
    page from a misconfigured endpoint must not prune every token)."""
    response = getattr(error, "http_response", None)
    try:
        body = response.json() if response is not None else None
    except ValueError:
        return None
    status = body.get("error", {}).get("status") if isinstance(body, dict) else None
    return status if isinstance(status, str) else None


def _reason(error: exceptions.FirebaseError | None) -> str:
    if error is None:
        return "unknown"
    return str(error.code).lower() if error.code else type(error).__name__


def _retry_after(error: exceptions.FirebaseError | None) -> float | None:
    """Seconds from the ``Retry-After`` header (delta or HTTP date), when there is one."""
    response = getattr(error, "http_response", None)
    value = response.headers.get("retry-after") if response is not None else None
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    when = email.utils.parsedate_to_datetime(value)
    return max(0.0, when.timestamp() - time.time()) if when else None


def _aim_messaging_service(
    app: firebase_admin.App, base_url: str, client: Any, *, timeout_s: float, retries: int
) -> Any:
    """THE seam into firebase-admin internals; nothing else touches private names.

    firebase-admin has no public setting for the FCM URL: its messaging service copies
    ``FCM_URL`` into ``_fcm_url`` when first built (cached per app), so we build it for this
    app and overwrite that. We also give it an HTTP client we own (``client``, or else the
    library's own with bounded retries), so that :meth:`FcmSender.close` can close it on the
    running loop; the service only calls its ``request(...)`` coroutine.
    """
    from firebase_admin import _http_client, _retry  # private: kept to this function

    service = messaging._get_messaging_service(app)
    service._fcm_url = f"{base_url.rstrip('/')}/v1/projects/{app.project_id}/messages:send"
    if client is None:
        retry_config = _retry.HttpxRetry(
            max_retries=retries, status_forcelist=[500, 503], backoff_factor=0.5
        )
        client = _http_client.HttpxAsyncClient(
            credential=service._credential, timeout=timeout_s, retry_config=retry_config
        )
    service._async_client = client
    return client
