"""The pure payload builders: what each provider is given, and the 4 KiB limit."""

from __future__ import annotations

import json
import warnings

import pytest

from push.payloads import (
    MAX_PAYLOAD_BYTES,
    PayloadTooLarge,
    apns_encode,
    apns_payload,
    fcm_message,
    fcm_wire,
)
from tests.push.factories import DEEP_LINK, oversized, push


def encoded(message: object) -> dict[str, object]:
    """What firebase-admin sends, through its public ``str(message)`` JSON form."""
    result: dict[str, object] = json.loads(str(message))
    return result


def test_fcm_message_carries_notification_data_and_deep_link_everywhere() -> None:
    msg = push("tok-1", data={"coupon_code": "ABC"}, collapse_key="coupon", badge=3)

    body = encoded(fcm_message(msg))

    assert body["token"] == "tok-1"
    assert body["notification"] == {"title": msg.title, "body": msg.body}
    assert body["data"] == {"coupon_code": "ABC", "deep_link": DEEP_LINK}
    assert body["android"] == {
        "priority": "high",
        "collapse_key": "coupon",
        "notification": {"click_action": DEEP_LINK, "sound": "default", "tag": "coupon"},
    }
    apns = body["apns"]
    assert isinstance(apns, dict)
    assert apns["payload"] == {"aps": {"sound": "default", "badge": 3}, "deep_link": DEEP_LINK}
    assert apns["headers"]["apns-collapse-id"] == "coupon"


def test_fcm_wire_is_what_firebase_admin_encodes() -> None:
    """The size limit is measured on fcm_wire: it must match the library's encoding."""
    msg = push("tok-2", data={"a": "1"}, collapse_key="c", badge=1)
    assert encoded(fcm_message(msg)) == {**fcm_wire(msg), "token": "tok-2"}


def test_fcm_installation_ids_use_the_fid_field() -> None:
    body = encoded(fcm_message(push("fid-1", fcm_target="fid")))
    assert body["fid"] == "fid-1"
    assert "token" not in body


def test_fcm_message_by_token_emits_no_deprecation_warning() -> None:
    with warnings.catch_warnings(record=True) as recorded:
        warnings.simplefilter("always")
        fcm_message(push("tok-3"))
    assert not [w for w in recorded if issubclass(w.category, DeprecationWarning)]


def test_apns_payload_has_alert_sound_badge_deep_link_and_data() -> None:
    msg = push("dev-1", provider="apns", data={"coupon_code": "ABC"}, badge=2)
    assert apns_payload(msg) == {
        "coupon_code": "ABC",
        "aps": {"alert": {"title": msg.title, "body": msg.body}, "sound": "default", "badge": 2},
        "deep_link": DEEP_LINK,
    }


def test_apns_payload_without_badge_leaves_the_badge_alone() -> None:
    assert "badge" not in apns_payload(push("dev-2", provider="apns"))["aps"]


def test_data_keys_cannot_override_the_deep_link_or_aps() -> None:
    msg = push("dev-3", provider="apns", data={"deep_link": "evil://", "aps": "x"})
    payload = apns_payload(msg)
    assert payload["deep_link"] == DEEP_LINK
    assert payload["aps"]["alert"]["title"] == msg.title
    assert fcm_wire(msg)["data"]["deep_link"] == DEEP_LINK


@pytest.mark.parametrize("build", [fcm_message, apns_payload])
def test_oversized_payloads_are_refused(build: object) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        build(oversized("tok"))  # type: ignore[operator]
    assert refused.value.size > MAX_PAYLOAD_BYTES == refused.value.limit


def test_apns_payload_at_exactly_the_limit_is_accepted() -> None:
    base = push("dev-4", provider="apns", data={"pad": ""})
    room = MAX_PAYLOAD_BYTES - len(apns_encode(apns_payload(base)))
    at_limit = push("dev-4", provider="apns", data={"pad": "p" * room})
    assert len(apns_encode(apns_payload(at_limit))) == MAX_PAYLOAD_BYTES
    with pytest.raises(PayloadTooLarge):
        apns_payload(push("dev-4", provider="apns", data={"pad": "p" * (room + 1)}))


def test_limit_counts_bytes_not_characters() -> None:
    """Non-ASCII copy (Norwegian, Polish) takes two bytes a letter on the wire."""
    msg = push("dev-5", provider="apns", body="ø" * 2100)
    with pytest.raises(PayloadTooLarge):
        apns_payload(msg)
