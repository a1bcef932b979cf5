"""The back-office page clients, to check no page shows an erased person."""

from tests.admin_ui.conftest import pages_as

__all__ = ["pages_as"]
