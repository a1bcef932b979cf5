"""HTTP details (issue 18 item 7), over a real server socket with plain blocking clients."""

from __future__ import annotations

import asyncio
import http.client
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from tests.helpers import Api


def _send(base: str, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Any:
    url = urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


async def test_a_10_mb_body_gets_its_413_and_error_body(api: Api, live_server: str) -> None:
    body = b'{"customer_id": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    headers = api.signed(body, path="/v1/shop/orders/o-1")
    status, _, raw = await asyncio.to_thread(
        _send, live_server, "PUT", "/v1/shop/orders/o-1", body, headers
    )
    assert status == 413
    assert json.loads(raw)["error"]["code"] == "body_too_large"

    def with_urllib() -> tuple[int, bytes]:
        request = urllib.request.Request(
            live_server + "/v1/admin/login", data=body, method="POST", headers=headers
        )
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        raise AssertionError("a 10 MB login was accepted")

    code, raw = await asyncio.to_thread(with_urllib)
    assert code == 413 and json.loads(raw)["error"]["code"] == "body_too_large"


async def test_a_chunked_oversized_body_gets_its_413_too(api: Api, live_server: str) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 256 * 1024

    def send() -> Any:
        url = urlsplit(live_server)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request(
            "POST",
            "/v1/admin/login",
            body=chunks(),
            encode_chunked=True,
            headers={"content-type": "application/json"},
        )
        response = conn.getresponse()
        return response.status, response.read()

    status, raw = await asyncio.to_thread(send)
    assert status == 413 and json.loads(raw)["error"]["code"] == "body_too_large"


async def test_options_names_every_method_and_trace_says_what_is_allowed(
    api: Api, live_server: str
) -> None:
    status, headers, _ = await asyncio.to_thread(
        _send, live_server, "OPTIONS", "/v1/admin/program", None, {}
    )
    assert status == 204
    assert set(headers["allow"].split(", ")) == {"GET", "OPTIONS", "PUT"}
    status, headers, raw = await asyncio.to_thread(
        _send, live_server, "TRACE", "/v1/admin/program", None, {}
    )
    assert status == 405 and json.loads(raw)["error"]["code"] == "method_not_allowed"
    assert set(headers["allow"].split(", ")) == {"GET", "OPTIONS", "PUT"}
    status, headers, _ = await asyncio.to_thread(
        _send, live_server, "OPTIONS", "/v1/shop/orders/o-1", None, {}
    )
    assert status == 204 and set(headers["allow"].split(", ")) == {"OPTIONS", "PUT"}
