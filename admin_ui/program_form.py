"""The program form: which rules marketing edits, how they show, how a post becomes rules.

A post is laid over the current rules document (so settings this form does not show, added
by other areas, are kept), converted with msgspec and validated by the same
:func:`loyalty.program.validate` as the API. Every problem comes back keyed by its field path
(``coupon.value``) so the form shows it beside the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from loyalty import program
from loyalty.errors import Invalid
from schemas.coupon_kinds import COUPON_KINDS
from schemas.program import ProgramRules

Kind = Literal[
    "text", "optional_text", "int", "bool", "select", "multi", "list_str", "list_int", "map_int"
]


@dataclass(frozen=True, slots=True)
class Field:
    path: str
    label: str
    kind: Kind
    options: tuple[str, ...] = ()
    help: str = ""

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-").replace("_", "-")


GROUPS: tuple[tuple[str, tuple[Field, ...]], ...] = (
    (
        "General",
        (
            Field("name", "Program name", "text"),
            Field("active", "Program active", "bool"),
            Field("currency", "Currency", "text", help="ISO 4217 code, e.g. EUR"),
            Field("timezone", "Time zone", "text", help="IANA name, e.g. Europe/Oslo"),
            Field("locales", "Languages", "list_str", help="comma separated, e.g. en, nb"),
            Field("default_locale", "Default language", "text"),
        ),
    ),
    (
        "Earning",
        (
            Field("earn_points", "Points earned", "int", help="per the amount below"),
            Field("rate_unit_minor", "Per amount (minor units)", "int", help="100 = one euro"),
            Field("sku_rates", "Rate per SKU", "map_int", help="one SKU=points per line"),
            Field("category_rates", "Rate per category", "map_int", help="one category=points"),
            Field("sku_points", "Fixed points per unit", "map_int", help="one SKU=points"),
            Field("points_per_order", "Points per order", "int", help="added to every order"),
            Field("min_order_minor", "Minimum order (minor units)", "int", help="0 = none"),
            Field("channel_rates", "Rate per channel", "map_int", help="e.g. web=20"),
            Field("store_rates", "Rate per store", "map_int", help="one store=points"),
            Field("channels", "Sales channels", "multi", ("app", "web", "pos"), "none = all"),
            Field("stores", "Stores", "list_str", help="comma separated; empty = all stores"),
            Field("confirm_status", "Points confirmed at", "select", ("paid", "completed")),
        ),
    ),
    (
        "Threshold coupon",
        (
            Field("threshold_points", "Threshold (points)", "int", help="0 = no threshold"),
            Field(
                "coupon.kind",
                "Coupon kind",
                "select",
                COUPON_KINDS,
            ),
            Field("coupon.value", "Value", "int", help="percent, or minor units for amount off"),
            Field("coupon.sku", "Product SKU", "optional_text", help="for product coupons"),
            Field("coupon.min_order_minor", "Minimum order (minor units)", "int"),
            Field("coupon.valid_days", "Valid for (days)", "int"),
            Field("coupon.title", "Title shown to shoppers", "text"),
        ),
    ),
    (
        "Validity and reminders",
        (
            Field("validity.policy", "Expiry policy", "select", ("rolling", "per_lot", "never")),
            Field("validity.days", "Points valid for (days)", "int"),
            Field(
                "validity.reminder_days",
                "Reminders (days before expiry)",
                "list_int",
                help="comma separated, e.g. 60, 30, 14, 7",
            ),
        ),
    ),
    (
        "Points as money at checkout",
        (
            Field("points_as_money.enabled", "Points can pay", "bool"),
            Field("points_as_money.points_per_unit", "Points", "int", help="this many points"),
            Field("points_as_money.unit_minor", "Are worth (minor units)", "int"),
            Field("points_as_money.min_balance", "Minimum balance (points)", "int"),
            Field("points_as_money.min_order_minor", "Minimum order (minor units)", "int"),
            Field("points_as_money.max_discount_minor", "Maximum discount (minor units)", "int"),
            Field("points_as_money.max_points_age_days", "Oldest usable points (days)", "int"),
        ),
    ),
)


def _activity_fields() -> tuple[Field, ...]:
    """Rule 10's earning rules besides buying, each with its caps."""
    fields: list[Field] = []
    labels = {
        "account_created": "Account created",
        "birthday": "Birthday",
        "newsletter_signup": "Newsletter sign-up",
        "visit": "App visit",
        "product_view": "Viewing chosen products",
        "notification_open": "Opening a notification",
    }
    for key, label in labels.items():
        base = f"activity.{key}"
        fields.append(Field(f"{base}.enabled", f"{label}: on", "bool"))
        fields.append(Field(f"{base}.points", f"{label}: points", "int"))
        if key in ("visit", "product_view", "notification_open"):
            fields.append(Field(f"{base}.cap_count", f"{label}: at most", "int", help="times"))
            fields.append(Field(f"{base}.cap", f"{label}: per", "select", ("day", "month", "ever")))
    fields.append(Field("activity.product_view.skus", "Products that earn on view", "list_str"))
    fields += [
        Field("activity.referral.enabled", "Referrals: on", "bool"),
        Field("activity.referral.referrer.points", "Referrer earns (points)", "int"),
        Field("activity.referral.min_order_minor", "Friend's first order from (minor)", "int"),
        Field("activity.referral.share_link", "Share link", "text", help="must contain {code}"),
    ]
    return tuple(fields)


if "activity" in ProgramRules.__struct_fields__:
    GROUPS = (*GROUPS, ("Activity points", _activity_fields()))

FIELDS = {f.path: f for _, group in GROUPS for f in group}
_AT = re.compile(r"at `\$\.([A-Za-z0-9_.]+)")


def _get(doc: Mapping[str, Any], path: str) -> Any:
    value: Any = doc
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        doc = doc.setdefault(part, {})
    doc[last] = value


def display(field: Field, value: Any) -> Any:
    """A rules value as the form shows it."""
    if field.kind in ("bool", "multi"):
        return value
    if field.kind in ("list_str", "list_int"):
        return ", ".join(str(v) for v in value or [])
    if field.kind == "map_int":
        return "\n".join(f"{k}={v}" for k, v in (value or {}).items())
    return "" if value is None else str(value)


def values_of(rules: ProgramRules) -> dict[str, Any]:
    doc = msgspec.to_builtins(rules)
    return {path: display(f, _get(doc, path)) for path, f in FIELDS.items()}


def _parse_int(raw: str) -> int:
    try:
        return int(raw.strip().replace(" ", "").replace("_", ""))
    except ValueError:
        raise ValueError("must be a whole number") from None


def parse_value(field: Field, raw: Any) -> Any:
    """One posted value in the rules' type; ``ValueError`` with a message for the form."""
    if field.kind == "bool":
        return raw is not None
    if field.kind == "multi":
        return list(raw or [])
    text = (raw or "").strip()
    if field.kind == "int":
        return _parse_int(text)
    if field.kind == "optional_text":
        return text or None
    if field.kind == "list_str":
        return [p.strip() for p in text.split(",") if p.strip()]
    if field.kind == "list_int":
        return [_parse_int(p) for p in text.split(",") if p.strip()]
    if field.kind == "map_int":
        return _parse_map(text)
    return text


def _parse_map(text: str) -> dict[str, int]:
    result: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"line {n} must look like KEY=points")
        result[key.strip()] = _parse_int(value)
    return result


@dataclass(slots=True)
class Parsed:
    rules: ProgramRules | None
    errors: dict[str, str]
    values: dict[str, Any]


def parse(form: Any, current: ProgramRules) -> Parsed:
    """The posted form laid over ``current``; rules when valid, else errors by field path."""
    doc = msgspec.to_builtins(current)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for path, field in FIELDS.items():
        raw = form.getall(path, []) if field.kind == "multi" else form.get(path)
        values[path] = raw if field.kind != "bool" else raw is not None
        try:
            _set(doc, path, parse_value(field, raw))
        except ValueError as exc:
            errors[path] = str(exc)
    if errors:
        return Parsed(None, errors, values)
    try:
        rules = msgspec.convert(doc, ProgramRules)
        program.validate(rules)
    except msgspec.ValidationError as exc:
        return Parsed(None, {_field_of(str(exc)): _message_of(str(exc))}, values)
    except Invalid as exc:
        return Parsed(None, {str(exc.details.get("field", "")): exc.message}, values)
    return Parsed(rules, {}, values)


def _field_of(message: str) -> str:
    found = _AT.search(message)
    return found.group(1) if found else ""


def _message_of(message: str) -> str:
    text = message.split(" - at ")[0]
    return text.replace("Expected `int`", "must be a number").replace("`", "")
