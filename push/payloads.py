"""Pure functions that turn a :class:`PushMessage` into each provider's payload.

Both providers refuse payloads over 4 KiB; we refuse them first, so an oversized message
costs no request and ends as ``failed``/``payload_too_large`` instead of an opaque 400/413.
For FCM the measured size is the v1 JSON message minus its target; for APNs it is the
exact bytes aioapns will put on the wire.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import msgspec
from firebase_admin import messaging

from push.content import PushMessage

MAX_PAYLOAD_BYTES = 4096
DEFAULT_SOUND = "default"


class PayloadTooLarge(ValueError):
    """The encoded payload is over the provider's limit; sending would be refused anyway."""

    def __init__(self, provider: str, size: int, limit: int = MAX_PAYLOAD_BYTES) -> None:
        super().__init__(f"{provider} payload is {size} bytes, over the {limit} byte limit")
        self.provider = provider
        self.size = size
        self.limit = limit


def push_data(msg: PushMessage) -> dict[str, str]:
    """Custom data every provider carries: the message's data plus the deep link (which wins)."""
    return {**msg.data, "deep_link": msg.deep_link}


def fcm_wire(msg: PushMessage) -> dict[str, Any]:
    """The FCM v1 ``message`` object as firebase-admin encodes it, without its target.

    Kept in step with :func:`fcm_message` by a test that compares it with what reaches the
    fake FCM server; it is what the size limit is measured on.
    """
    android: dict[str, Any] = {
        "priority": "high",
        "notification": {"click_action": msg.deep_link, "sound": DEFAULT_SOUND},
    }
    apns_headers = {"apns-priority": "10", "apns-push-type": "alert"}
    if msg.collapse_key is not None:
        android["collapse_key"] = msg.collapse_key
        android["notification"]["tag"] = msg.collapse_key  # replaces one already shown
        apns_headers["apns-collapse-id"] = msg.collapse_key
    return {
        "notification": {"title": msg.title, "body": msg.body},
        "data": push_data(msg),
        "android": android,
        "apns": {
            "headers": apns_headers,
            "payload": {"aps": _aps_extras(msg), "deep_link": msg.deep_link},
        },
    }


def fcm_message(msg: PushMessage) -> messaging.Message:
    """Build the firebase-admin Message for one device; raises :class:`PayloadTooLarge`."""
    wire = fcm_wire(msg)
    _check_size("fcm", len(msgspec.json.encode(wire)))
    return _target_message(
        msg,
        notification=messaging.Notification(title=msg.title, body=msg.body),
        data=wire["data"],
        android=_android_config(msg),
        apns=_apns_config(msg, wire["apns"]["headers"]),
    )


def apns_payload(msg: PushMessage) -> dict[str, Any]:
    """The APNs JSON payload for one device; raises :class:`PayloadTooLarge`.

    Data keys come first so that neither ``aps`` nor ``deep_link`` can be overridden by them.
    """
    aps: dict[str, Any] = {"alert": {"title": msg.title, "body": msg.body}, **_aps_extras(msg)}
    payload: dict[str, Any] = {**msg.data, "aps": aps, "deep_link": msg.deep_link}
    _check_size("apns", len(apns_encode(payload)))
    return payload


def apns_encode(payload: dict[str, Any]) -> bytes:
    """Encode a payload exactly as aioapns 4 does before sending it."""
    return json.dumps(payload, ensure_ascii=False).encode()


def _aps_extras(msg: PushMessage) -> dict[str, Any]:
    aps: dict[str, Any] = {"sound": DEFAULT_SOUND}
    if msg.badge is not None:
        aps["badge"] = msg.badge
    return aps


def _android_config(msg: PushMessage) -> messaging.AndroidConfig:
    return messaging.AndroidConfig(
        priority="high",
        collapse_key=msg.collapse_key,
        notification=messaging.AndroidNotification(
            click_action=msg.deep_link, sound=DEFAULT_SOUND, tag=msg.collapse_key
        ),
    )


def _apns_config(msg: PushMessage, headers: dict[str, str]) -> messaging.APNSConfig:
    aps = messaging.Aps(badge=msg.badge, sound=DEFAULT_SOUND)
    return messaging.APNSConfig(
        headers=headers,
        payload=messaging.APNSPayload(aps=aps, deep_link=msg.deep_link),
    )


def _target_message(msg: PushMessage, **parts: Any) -> messaging.Message:
    """Address the message by registration token or by installation ID.

    firebase-admin 7 deprecates ``Message(token=...)`` in favour of ``fid``, but the two are
    different identifiers and apps still register tokens: the FCM v1 API keeps its ``token``
    field. We silence exactly that warning, the way the library itself does when it expands
    a ``MulticastMessage`` (``messaging._get_messages_from_multicast``).
    """
    if msg.fcm_target == "fid":
        return messaging.Message(fid=msg.token, **parts)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Message\.token is deprecated", category=DeprecationWarning
        )
        return messaging.Message(token=msg.token, **parts)


def _check_size(provider: str, size: int) -> None:
    if size > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(provider, size)
