"""Loopback servers speaking FCM's, APNs' and SMTP's protocols, for tests and local demos.

Each starts on the running asyncio loop with a random free port on 127.0.0.1::

    async with FakeFcm() as fcm, FakeApns(tmp_path) as apns, FakeSmtp() as smtp:
        fcm.behave("dead-token", "unregistered")
        apns.set_default("server_error")

or all three in their own process: ``python -m tests.fakes`` (see ``__main__``).
"""

from tests.fakes.apns import ApnsRequest, FakeApns
from tests.fakes.behaviour import BEHAVIOURS, Behaviour, BehaviourTable
from tests.fakes.fcm import FakeFcm
from tests.fakes.smtp import FakeSmtp

__all__ = [
    "BEHAVIOURS",
    "ApnsRequest",
    "Behaviour",
    "BehaviourTable",
    "FakeApns",
    "FakeFcm",
    "FakeSmtp",
]
