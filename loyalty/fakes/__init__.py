"""Loopback servers speaking FCM's, APNs', SMTP's and Twilio's protocols, for tests and local
demos (``LOYALTY_FAKE_PROVIDERS=1 loyalty run``). Part of the installed package.

Each starts on the running asyncio loop with a random free port on 127.0.0.1::

    async with FakeFcm() as fcm, FakeApns(tmp_path) as apns, FakeSmtp() as smtp:
        fcm.behave("dead-token", "unregistered")
        apns.set_default("server_error")

or all three in their own process: ``python -m loyalty.fakes`` (see ``__main__``).
"""

from loyalty.fakes.apns import ApnsRequest, FakeApns
from loyalty.fakes.behaviour import BEHAVIOURS, Behaviour, BehaviourTable
from loyalty.fakes.fcm import FakeFcm
from loyalty.fakes.smtp import FakeSmtp
from loyalty.fakes.twilio import FakeTwilio, Sms

__all__ = ["BEHAVIOURS", "ApnsRequest", "Behaviour", "BehaviourTable", "FakeApns", "FakeFcm",
           "FakeSmtp", "FakeTwilio", "Sms"]
