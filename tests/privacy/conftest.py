"""The back-office page clients, to check no page shows an erased person, and the loopback
Twilio (SMS aimed at it), so the person's texts are part of what an erasure must remove."""

from tests.admin_ui.conftest import pages_as
from tests.sms.conftest import settings, twilio, twilio_session

__all__ = ["pages_as", "settings", "twilio", "twilio_session"]
