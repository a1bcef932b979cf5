"""A bounded schemathesis run over every operation the app documents (issue 18, "Must hold").

Operations come from the app's own OpenAPI document, so endpoints added later are fuzzed too.
Each gets a few valid and a few invalid examples, sent over real HTTP with the credentials its
``security`` names (shop requests signed with the path-bound scheme, shopper JWT, staff
token). The run fails on any 5xx and on any answer outside the documented status codes,
content types and response schemas.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Callable
from typing import Any

import hypothesis
import hypothesis.errors
import requests
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import signing
from tests.helpers import Api

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


class ShopSignature(requests.auth.AuthBase):
    """Signs the request exactly as prepared (method, path with query, body bytes)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        body = body.encode() if isinstance(body, str) else body
        ts = int(self.api.clock.now().timestamp())
        r.headers[signing.HEADER] = signing.sign(
            self.api.settings.shop_secret,
            method=r.method or "GET",
            path=r.path_url,
            body=body,
            timestamp=ts,
        )
        return r


def _schemes(operation: Any) -> set[str]:
    security = operation.definition.raw.get("security") or []
    return {name for requirement in security for name in requirement}


def _fuzz(operation: Any, send: Callable[[Any], requests.Response], mode: GenerationMode) -> None:
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.validate_response(send(case), checks=CHECKS)

    run()


def fuzz_all(raw_schema: dict[str, Any], base_url: str, credentials: dict[str, Any]) -> list[str]:
    """Fuzz every operation; one line per failing operation and mode."""
    schema = schemathesis.openapi.from_dict(raw_schema)
    failures = []
    seen: Counter[str] = Counter()
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    # Logging out ends the staff session every other staff operation uses: do it last.
    operations.sort(key=lambda op: op.path.endswith("/logout"))
    for operation in operations:
        schemes = _schemes(operation)

        def send(case: Any, schemes: set[str] = schemes) -> requests.Response:
            headers = {k: v for s in schemes - {"shopSignature"} for k, v in credentials[s].items()}
            auth = credentials["shopSignature"] if "shopSignature" in schemes else None
            response = case.call(base_url=base_url, session=session, headers=headers, auth=auth)
            seen[f"{case.operation.label} {response.status_code}"] += 1
            return response

        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz(operation, send, mode)
            except hypothesis.errors.Unsatisfiable:
                pass  # nothing to get wrong (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{operation.label} [{mode.value}]: {exc}"[:3000])
    print("answers:", *(f"{n:4} {k}" for k, n in sorted(seen.items())), sep="\n")
    return failures


async def test_every_operation_answers_within_its_documented_schema(
    api: Api, app: Any, live_server: str
) -> None:
    await api.order("o-1", customer_id="c-1", total_minor=60_000, status="completed")
    staff = await api.staff_headers("admin")
    credentials = {
        "shopSignature": ShopSignature(api),
        "shopperJWT": api.shopper("c-1"),
        "staffToken": staff,
    }
    raw = (await api.client.get("/schema/openapi.json")).json()
    assert len(raw["paths"]) >= 30
    failures = await asyncio.to_thread(fuzz_all, raw, live_server, credentials)
    assert not failures, "\n\n".join(failures)
