"""How a fake answers: one behaviour per key (token or address), and a default.

The names are shared by every fake so a test reads the same whatever the provider:

- ``ok``: accepted;
- ``bad_request``: the message is refused (FCM 400 INVALID_ARGUMENT, APNs 400 BadTopic,
  SMTP 553);
- ``bad_token``: the token is malformed (FCM 400 "not a valid FCM registration token",
  APNs 400 BadDeviceToken);
- ``wrong_topic``: APNs 400 DeviceTokenNotForTopic (FCM and SMTP treat it as ``bad_request``);
- ``unregistered``: the token or mailbox is gone (FCM 404 UNREGISTERED, APNs 410
  Unregistered, SMTP 550);
- ``rate_limited``: slow down (FCM 429 QUOTA_EXCEEDED, APNs 429 TooManyRequests, both with
  ``Retry-After``; SMTP 450);
- ``server_error``: provider trouble (FCM 500 INTERNAL, APNs 500 InternalServerError, SMTP 451);
- ``unavailable``: FCM/APNs 503;
- ``hang``: never answer (until the fake stops), so the client's timeout fires.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Behaviour = Literal[
    "ok",
    "bad_request",
    "bad_token",
    "wrong_topic",
    "unregistered",
    "rate_limited",
    "server_error",
    "unavailable",
    "hang",
]
BEHAVIOURS: frozenset[str] = frozenset(get_args(Behaviour))


@dataclass
class BehaviourTable:
    """Per-key answers with a default; ``retry_after_s`` is sent with ``rate_limited``."""

    default: Behaviour = "ok"
    retry_after_s: int = 30
    by_key: dict[str, Behaviour] = field(default_factory=dict)

    def behave(self, key: str, behaviour: Behaviour) -> None:
        self.by_key[key] = _checked(behaviour)

    def set_default(self, behaviour: Behaviour) -> None:
        self.default = _checked(behaviour)

    def reset(self) -> None:
        self.default = "ok"
        self.by_key.clear()

    def lookup(self, key: str) -> Behaviour:
        return self.by_key.get(key, self.default)


def _checked(behaviour: Behaviour) -> Behaviour:
    if behaviour not in BEHAVIOURS:
        raise ValueError(f"unknown behaviour {behaviour!r}; one of {sorted(BEHAVIOURS)}")
    return behaviour
