"""Who may call what, and what bad input gets: always a 4xx with an error body, nothing written."""

from __future__ import annotations

from datetime import timedelta

import jwt
import msgspec
import pytest

from api import signing
from loyalty import db
from tests.helpers import Api

ORDER = {
    "customer_id": "c-1",
    "status": "completed",
    "currency": "EUR",
    "total_minor": 1_000,
    "placed_at": "2026-03-01T10:00:00+00:00",
}


async def written() -> int:
    return int(await db.fetchval("SELECT count(*) FROM member") or 0) + int(
        await db.fetchval("SELECT count(*) FROM ledger_entry") or 0
    )


def assert_error(response: object, status: int, code: str | None = None) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) >= {"code", "message"}
    if code is not None:
        assert body["error"]["code"] == code


async def test_shopper_reads_only_their_own_member(api: Api) -> None:
    await api.order("o-1", customer_id="alice", total_minor=5_000, status="completed")
    await api.order("o-2", customer_id="bob", total_minor=9_000, status="completed")
    alice = await api.me("alice")
    assert alice["customer_id"] == "alice" and alice["balance"]["available"] == 500
    ledger = await api.client.get("/v1/me/ledger", headers=api.shopper("alice"))
    assert {e["order_id"] for e in ledger.json()["items"]} == {"o-1"}


@pytest.mark.parametrize(
    "token",
    [
        None,
        "not-a-jwt",
        jwt.encode(
            {"sub": "alice", "exp": 4_102_444_800},
            "wrong-secret-wrong-secret-wrong-secret-1234",
            "HS256",
        ),
        jwt.encode({"sub": "alice"}, "test-jwt-secret-that-is-long-enough", "HS256"),
        jwt.encode({"exp": 4_102_444_800}, "test-jwt-secret-that-is-long-enough", "HS256"),
    ],
    ids=["missing", "garbage", "wrong-key", "no-exp", "no-sub"],
)
async def test_bad_shopper_tokens_are_refused(api: Api, token: str | None) -> None:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    assert_error(await api.client.get("/v1/me", headers=headers), 401)


async def test_expired_token_is_refused(api: Api) -> None:
    await api.order("o-1", customer_id="alice", total_minor=5_000)
    headers = api.shopper("alice", ttl=timedelta(minutes=5))
    api.clock.advance(minutes=6)
    assert_error(await api.client.get("/v1/me", headers=headers), 401, "token_expired")


async def test_issuer_and_audience_checked_when_configured(api: Api) -> None:
    from dataclasses import replace

    api.client._transport.app.state.settings = replace(  # type: ignore[attr-defined]
        api.settings, jwt_issuer="shop", jwt_audience="loyalty"
    )
    ok = jwt.encode(
        {"sub": "a", "exp": 4_102_444_800, "iss": "shop", "aud": "loyalty"},
        api.settings.jwt_secret or "",
        "HS256",
    )
    bad = jwt.encode(
        {"sub": "a", "exp": 4_102_444_800, "iss": "other", "aud": "loyalty"},
        api.settings.jwt_secret or "",
        "HS256",
    )
    assert (
        await api.client.get("/v1/me", headers={"authorization": f"Bearer {ok}"})
    ).status_code == 404
    assert_error(await api.client.get("/v1/me", headers={"authorization": f"Bearer {bad}"}), 401)


async def put_raw(api: Api, body: bytes, headers: dict[str, str]) -> object:
    return await api.client.put("/v1/shop/orders/o-1", content=body, headers=headers)


def sig(secret: str, body: bytes, ts: int, path: str = "/v1/shop/orders/o-1") -> str:
    return signing.sign(secret, method="PUT", path=path, body=body, timestamp=ts)


async def test_signature_missing_bad_or_stale_gets_401_and_writes_nothing(api: Api) -> None:
    body = msgspec.json.encode(ORDER)
    ts = int(api.clock.now().timestamp())
    cases = {
        "missing_signature": {},
        "invalid_signature": {signing.HEADER: sig("other-secret", body, ts)},
        "stale_signature": {signing.HEADER: sig("test-shop-secret", body, ts - 301)},
    }
    for code, headers in cases.items():
        assert_error(await put_raw(api, body, headers), 401, code)
    tampered = msgspec.json.encode({**ORDER, "total_minor": 99_999})
    path = "/v1/shop/orders/o-1"
    assert_error(
        await put_raw(api, tampered, api.signed(body, path=path)), 401, "invalid_signature"
    )
    malformed = {signing.HEADER: "v1=abc"}
    assert_error(await put_raw(api, body, malformed), 401, "invalid_signature")
    assert await written() == 0


async def test_a_captured_signature_is_worthless_on_another_path_or_method(api: Api) -> None:
    """Replaying one captured order PUT onto other orders or customers credits nothing."""
    body = msgspec.json.encode(ORDER)
    captured = api.signed(body, path="/v1/shop/orders/o-1")
    assert (await put_raw(api, body, captured)).status_code == 200
    before = await written()
    for other in ("/v1/shop/orders/o-2", "/v1/shop/orders/o-1?x=1", "/v1/shop/customers/c-1"):
        r = await api.client.put(other, content=body, headers=captured)
        assert_error(r, 401, "invalid_signature")
    r = await api.client.post("/v1/shop/checkout/quote", content=body, headers=captured)
    assert_error(r, 401, "invalid_signature")
    assert await written() == before


async def test_the_query_string_is_signed_as_sent(api: Api) -> None:
    body = msgspec.json.encode(ORDER)
    path = "/v1/shop/orders/o-1?source=erp&v=2"
    assert (
        await api.client.put(path, content=body, headers=api.signed(body, path=path))
    ).status_code == 200


async def test_several_v1_values_any_one_matching_is_enough(api: Api) -> None:
    """Key rotation as Stripe does it: the shop sends signatures under old and new secrets."""
    body = msgspec.json.encode(ORDER)
    ts = int(api.clock.now().timestamp())
    old = sig("retired-secret", body, ts).split(",")[1]
    new = sig("test-shop-secret", body, ts).split(",")[1]
    header = f"t={ts},{old},{new}"
    assert (await put_raw(api, body, {signing.HEADER: header})).status_code == 200


@pytest.mark.pure
def test_the_server_accepts_the_previous_secret_during_a_rotation() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 3, 2, tzinfo=UTC)
    ts = int(now.timestamp())
    header = signing.sign("old", method="PUT", path="/p", body=b"{}", timestamp=ts)
    signing.verify(["new", "old"], header, method="PUT", path="/p", body=b"{}", now=now)
    with pytest.raises(Exception, match="does not match"):
        signing.verify(["new"], header, method="PUT", path="/p", body=b"{}", now=now)


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"{not json", 400),
        (msgspec.json.encode({**ORDER, "total_minor": -5}), 400),
        (msgspec.json.encode({**ORDER, "status": "shipped"}), 400),
        (msgspec.json.encode({**ORDER, "currency": "euro"}), 400),
        (msgspec.json.encode({**ORDER, "surprise": 1}), 400),
        (msgspec.json.encode({k: v for k, v in ORDER.items() if k != "customer_id"}), 400),
        (msgspec.json.encode({**ORDER, "total_minor": 10**30}), 400),
        (msgspec.json.encode({**ORDER, "items": [{"sku": "", "quantity": 0}]}), 400),
        (msgspec.json.encode([1, 2, 3]), 400),
        (b"", 400),
    ],
    ids=[
        "malformed",
        "negative",
        "status",
        "currency",
        "unknown-field",
        "missing",
        "huge",
        "bad-item",
        "array",
        "empty",
    ],
)
async def test_bad_order_bodies_get_4xx_and_write_nothing(
    api: Api, payload: bytes, status: int
) -> None:
    assert_error(
        await put_raw(api, payload, api.signed(payload, path="/v1/shop/orders/o-1")), status
    )
    assert await written() == 0


async def test_10_mb_body_is_refused(api: Api) -> None:
    payload = b'{"customer_id": "' + b"x" * 10_000_000 + b'"}'
    response = await put_raw(api, payload, api.signed(payload, path="/v1/shop/orders/o-1"))
    assert_error(response, 413, "body_too_large")
    assert await written() == 0


@pytest.mark.parametrize("order_id", ["a" * 200, "bad id", "%00"])
async def test_bad_order_ids_are_refused(api: Api, order_id: str) -> None:
    body = msgspec.json.encode(ORDER)
    path = f"/v1/shop/orders/{order_id}"
    r = await api.client.put(path, content=body, headers=api.signed(body, path=path))
    assert r.status_code in (400, 404), r.text
    assert "error" in r.json()
    assert await written() == 0


async def test_unknown_route_and_method_get_error_bodies(api: Api) -> None:
    assert_error(await api.client.get("/v1/nowhere"), 404, "not_found")
    assert_error(await api.client.delete("/v1/me"), 405, "method_not_allowed")


async def test_es256_tokens_with_the_shops_public_key(api: Api) -> None:
    from dataclasses import replace

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    app = api.client._transport.app  # type: ignore[attr-defined]
    app.state.settings = replace(api.settings, jwt_public_key=public_pem)
    await api.order("o-1", customer_id="alice", total_minor=1_000)
    exp = int(api.clock.now().timestamp()) + 600
    good = jwt.encode({"sub": "alice", "exp": exp}, key, algorithm="ES256")
    r = await api.client.get("/v1/me", headers={"authorization": f"Bearer {good}"})
    assert r.status_code == 200 and r.json()["customer_id"] == "alice"
    # An HS256 token signed with the public key text must not pass (algorithm confusion).
    forged = jwt.encode({"sub": "alice", "exp": exp}, "x" * 40, algorithm="HS256")
    assert_error(await api.client.get("/v1/me", headers={"authorization": f"Bearer {forged}"}), 401)


async def test_openapi_documents_the_contract(api: Api) -> None:
    schema = (await api.client.get("/schema/openapi.json")).json()
    for path in (
        "/v1/shop/orders/{order_id}",
        "/v1/shop/customers/{customer_id}",
        "/v1/me",
        "/v1/me/ledger",
        "/v1/admin/login",
        "/v1/admin/program",
        "/v1/admin/members/{customer_id}/adjustments",
        "/health",
    ):
        assert path in schema["paths"], path
    assert "shopSignature" in schema["components"]["securitySchemes"]


async def test_health_answers_when_database_and_redis_do(api: Api) -> None:
    r = await api.client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok", "redis": "ok"}
