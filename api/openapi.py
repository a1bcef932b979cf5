"""What the OpenAPI document says about every operation: a name a person would use and the
errors it can answer, all with the one error body (``schemas.common.ErrorBody``).

Done once for every route of the app (:func:`document`), from what each handler declares
(its security, guards, parameters and body), so operations added later are described the
same way without a line of their own. A handler may still name its own ``operation_id`` or
``responses``; those win.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import msgspec
from litestar import Litestar
from litestar._openapi.schema_generation.plugins.struct import StructSchemaPlugin
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from schemas.common import ErrorBody

ERRORS = "errors"
"""``opt={ERRORS: (401, 429)}`` on a handler documents statuses its declarations do not show."""

_WHY = {
    400: "Malformed request: not JSON, wrong types, unknown fields, values out of bounds "
    "(`validation_error`, with the failing field in `details`).",
    401: "Missing, bad or stale credentials (shop signature, shopper JWT or staff token).",
    403: "Authenticated, but this role may not do it (or a missing CSRF token).",
    404: "The member, order, reward or other resource named does not exist.",
    409: "Conflicts with the current state (already used, taken, not enough points...).",
    413: "The request body is over the size limit.",
    422: "Well-formed, but against a rule (`details.field` names the offending field).",
    429: "Too many attempts; wait the `Retry-After` seconds.",
    503: "Briefly unavailable (database collision or outage); retry after `Retry-After`.",
}

# Handler names that read badly as an operation id on their own.
_NAMES = {
    "health": "getHealth",
    "me": "getMe",
    "adjust": "adjustPoints",
    "audit": "getAuditLog",
    "block": "blockMember",
    "unblock": "unblockMember",
    "member_ledger": "getMemberLedger",
    "member_coupons": "getMemberCoupons",
    "my_ledger": "getMyLedger",
    "my_coupons": "getMyCoupons",
    "my_rewards": "getMyRewards",
    "unlock": "unlockReward",
    "quote": "quoteCheckout",
    "reserve": "reserveCheckout",
    "register": "registerDevice",
    "unregister": "unregisterDevice",
    "preview": "previewTemplate",
    "test_send": "testSendTemplate",
    "login": "staffLogin",
    "logout": "staffLogout",
    "erase": "eraseMember",
    "create": "createWebhook",
    "remove": "deleteWebhook",
    "deliveries": "listWebhookDeliveries",
    "test_event": "sendWebhookTestEvent",
    "resume": "resumeWebhook",
    "resend": "resendWebhookDelivery",
    "my_orders": "getMyOrders",
    "ways_to_earn": "getWaysToEarn",
    "config": "getWidgetConfig",
    "sms_inbound": "receiveSms",
}
_RESERVED = {"request", "state", "scope", "headers", "cookies", "query", "body", "socket"}


class StrictStructs(StructSchemaPlugin):
    """Structs that refuse unknown fields say so (``additionalProperties: false``), so a
    generated client or fuzzer knows an extra key is a 400, not an ignored one."""

    def to_openapi_schema(self, field_definition: Any, schema_creator: Any) -> Any:
        schema = super().to_openapi_schema(field_definition, schema_creator)
        info = msgspec.inspect.type_info(field_definition.type_)
        if isinstance(info, msgspec.inspect.StructType) and info.forbid_unknown_fields:
            schema.additional_properties = False
        return schema


def _camel(name: str) -> str:
    head, *rest = name.strip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _inputs(handler: HTTPRouteHandler) -> set[str]:
    """Names the client supplies (path, query, header parameters and the body)."""
    names = set(handler.parsed_fn_signature.parameters)
    return names - handler.dependency_name_set - _RESERVED


def error_statuses(route: HTTPRoute, handler: HTTPRouteHandler) -> list[int]:
    """The error statuses an operation can answer, from what the handler declares."""
    inputs = _inputs(handler)
    has_body = "data" in inputs
    secured = bool(handler.resolve_security() or handler.resolve_guards())
    unsafe = bool(set(handler.http_methods) & {"POST", "PUT", "PATCH", "DELETE"})
    statuses = {503}
    if inputs:
        statuses |= {400, 422}
    if secured:
        statuses |= {401, 404}
    if handler.resolve_guards():
        statuses.add(403)
    if route.path_parameters:
        statuses.add(404)
    if unsafe and secured:
        statuses.add(409)
    if has_body:
        statuses.add(413)
    statuses.update(handler.opt.get(ERRORS, ()))
    return sorted(statuses)


def _handlers(app: Litestar) -> list[tuple[HTTPRoute, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler in route.route_handlers:
                if handler.resolve_include_in_schema() and "OPTIONS" not in handler.http_methods:
                    found.append((route, handler))
    return found


def _operation_id(handler: HTTPRouteHandler, taken: Counter[str], route: HTTPRoute) -> str:
    name = _NAMES.get(handler.handler_name) or _camel(handler.handler_name)
    if taken[name] > 1:  # two handlers share a name: qualify by the path's static parts
        static = re.sub(r"\{[^}]*\}", "", route.path)  # drop path parameters, typed or not
        parts = [p for p in re.split(r"[/_-]", static) if p and p not in ("v1",)]
        name += "".join(p[:1].upper() + p[1:] for p in parts)
    return name


def document(app: Litestar) -> None:
    """Give every operation of ``app`` its id and its error responses (see the module)."""
    handlers = _handlers(app)
    names = Counter(_NAMES.get(h.handler_name) or _camel(h.handler_name) for _, h in handlers)
    for route, handler in handlers:
        if handler.operation_id is None:
            handler.operation_id = _operation_id(handler, names, route)
        errors = {
            status: ResponseSpec(
                data_container=ErrorBody, description=_WHY[status], generate_examples=False
            )
            for status in error_statuses(route, handler)
        }
        handler.responses = {**errors, **(handler.responses or {})}


def error_components(schema: dict[str, Any], *, skip: tuple[str, ...] = ("/health",)) -> set[str]:
    """The schemas the error responses of ``schema`` use (a test's helper): component names,
    or ``"inline"``. ``/health`` answers its 503 with its own status body."""
    refs = set()
    for path, item in schema.get("paths", {}).items():
        for op in item.values() if path not in skip else ():
            for status, response in (op.get("responses") or {}).items():
                if status.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"].get("$ref", "inline")
                    refs.add(ref.rsplit("/", 1)[-1])
    return refs
