"""What integrators see (issue 15): an OpenAPI document a generated client can trust, and docs
that work without internet.

The client test generates a Python client with openapi-python-client from the app's own
``/schema/openapi.json`` and drives a shop + app + staff scenario through it: the shop's
requests signed by an httpx hook, every error parsed as the one documented error body.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import signing
from api.openapi import error_components
from tests.helpers import Api

VENV_BIN = Path(sys.executable).parent
PACKAGE = "loyalty_engine_client"


async def schema(api: Api) -> dict[str, Any]:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    result: dict[str, Any] = response.json()
    return result


def operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "patch", "delete"):
                yield method.upper(), path, op


async def test_every_error_is_the_one_error_body_and_each_operation_lists_its_errors(
    api: Api,
) -> None:
    doc = await schema(api)
    assert error_components(doc) == {"ErrorBody"}
    body = doc["components"]["schemas"]["ErrorBody"]
    detail = doc["components"]["schemas"]["ErrorDetail"]
    assert body["required"] == ["error"] and set(detail["required"]) == {
        "code",
        "message",
        "details",
    }
    for method, path, op in operations(doc):
        statuses = set(op["responses"])
        where = f"{method} {path}: {sorted(statuses)}"
        if op.get("security"):
            assert "401" in statuses, where
        if "requestBody" in op:
            assert {"400", "413", "422"} <= statuses, where
        if "{" in path:
            assert "404" in statuses, where
        if path.startswith("/v1/admin/") and path != "/v1/admin/login":
            assert "403" in statuses, where
    login = doc["paths"]["/v1/admin/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login)


async def test_operation_ids_are_names_a_person_would_use(api: Api) -> None:
    ids = [op["operationId"] for _, _, op in operations(await schema(api))]
    assert len(ids) == len(set(ids))
    assert {"getMe", "putOrder", "putCustomer", "adjustPoints", "getProgram", "putProgram"} <= set(
        ids
    )
    for op_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)*", op_id), op_id
        assert not op_id.startswith("v1"), op_id


async def test_docs_load_only_same_origin_assets(api: Api) -> None:
    for path in ("/schema", "/schema/redoc"):
        page = await api.client.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        html = page.text.split("Redoc.init(", 1)[0]  # the page itself, not the embedded spec
        assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", html)
        assets += re.findall(r"""url\(\s*["']?([^"')]+)|@import\s+["']([^"']+)""", html)
        assert assets, html
        for asset in assets:
            target = asset if isinstance(asset, str) else "".join(asset)
            assert target.startswith(("/", "data:")) and not target.startswith("//"), target
            if target.startswith("/"):
                served = await api.client.get(target)
                assert served.status_code == 200, target
                assert len(served.content) > 100_000 or not target.endswith(".js")
                assert b"cdn.redoc.ly" not in served.content  # its footer logo, patched out


@pytest.fixture
def generated_client(tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    """Generate the client into ``tmp_path`` and import it."""

    def generate(doc_file: Path) -> Any:
        config = tmp_path / "config.yaml"
        config.write_text("post_hooks: []\n")
        subprocess.run(
            [
                str(VENV_BIN / "openapi-python-client"),
                "generate",
                "--path",
                str(doc_file),
                "--meta",
                "none",
                "--output-path",
                str(tmp_path / PACKAGE),
                "--config",
                str(config),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        sys.path.insert(0, str(tmp_path))
        request.addfinalizer(lambda: sys.path.remove(str(tmp_path)))
        request.addfinalizer(
            lambda: [sys.modules.pop(m) for m in list(sys.modules) if m.startswith(PACKAGE)]
        )
        return importlib.import_module(PACKAGE)

    return generate


def shop_signer(api: Api) -> Any:
    async def sign(request: httpx.Request) -> None:
        body = request.read()
        request.headers[signing.HEADER] = signing.sign(
            api.settings.shop_secret,
            method=request.method,
            path=request.url.raw_path.decode(),
            body=body,
            timestamp=int(api.clock.now().timestamp()),
        )

    return sign


async def test_a_generated_client_drives_shop_app_and_staff(
    api: Api, app: Any, tmp_path: Path, generated_client: Any
) -> None:
    doc_file = tmp_path / "openapi.json"
    doc_file.write_bytes((await api.client.get("/schema/openapi.json")).content)
    pkg = generated_client(doc_file)
    models = importlib.import_module(f"{PACKAGE}.models")

    def op(tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def transport(**kw: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", **kw
        )

    shop = pkg.Client(base_url="http://test", raise_on_unexpected_status=True)
    shop.set_async_httpx_client(transport(event_hooks={"request": [shop_signer(api)]}))
    customer = await op("shop", "put_customer").asyncio(
        "c-1", client=shop, body=models.CustomerIn(name="Kari", email="kari@example.no")
    )
    assert customer.name == "Kari"
    placed_at = datetime.fromisoformat("2026-03-01T10:00:00+00:00")
    for status in ("placed", "completed"):
        order = await op("shop", "put_order").asyncio(
            "o-1",
            client=shop,
            body=models.OrderIn(
                customer_id="c-1",
                status=models.OrderInStatus(status),
                currency="EUR",
                total_minor=52_500,
                placed_at=placed_at,
            ),
        )
        assert isinstance(order, models.OrderOut), order
    assert order.points == 5_250 and order.points_state.value == "confirmed"
    bad = await op("shop", "put_order").asyncio_detailed(
        "o-2",
        client=shop,
        body=models.OrderIn(
            customer_id="c-1",
            status=models.OrderInStatus.PLACED,
            currency="EUR",
            total_minor=-1,
            placed_at=placed_at,
        ),
    )
    assert bad.status_code == 400 and isinstance(bad.parsed, models.ErrorBody)
    assert bad.parsed.error.code == "validation_error"

    token = api.shopper("c-1")["authorization"].split()[1]
    app_client = pkg.AuthenticatedClient(
        base_url="http://test", token=token, raise_on_unexpected_status=True
    )
    app_client.set_async_httpx_client(transport(headers={"authorization": f"Bearer {token}"}))
    me = await op("shopper", "get_me").asyncio(client=app_client)
    assert me.balance.available == 250 and me.customer_id == "c-1"
    coupons = await op("shopper", "get_my_coupons").asyncio(client=app_client)
    assert len(coupons.items) == 1

    anonymous = pkg.Client(base_url="http://test", raise_on_unexpected_status=True)
    anonymous.set_async_httpx_client(transport())
    await api.staff_headers("admin")  # creates the account
    login = op("staff", "staff_login")
    refused = await login.asyncio_detailed(
        client=anonymous, body=models.LoginIn(email="admin@test.example", password="wrong")
    )
    assert refused.status_code == 401 and refused.parsed.error.code == "invalid_credentials"
    session = await login.asyncio(
        client=anonymous,
        body=models.LoginIn(email="admin@test.example", password="admin-password-1"),
    )
    staff_client = pkg.AuthenticatedClient(
        base_url="http://test", token=session.token, raise_on_unexpected_status=True
    )
    staff_client.set_async_httpx_client(
        transport(headers={"authorization": f"Bearer {session.token}"})
    )
    adjust = op("staff", "adjust_points")
    granted = await adjust.asyncio(
        "c-1", client=staff_client, body=models.AdjustmentIn(points=100, reason="Late parcel")
    )
    assert granted.applied and granted.balance.available == 350
    missing = await adjust.asyncio_detailed(
        "nobody", client=staff_client, body=models.AdjustmentIn(points=100, reason="Late parcel")
    )
    assert missing.status_code == 404 and isinstance(missing.parsed, models.ErrorBody)
