"""The back-office page client of ``tests/admin_ui`` for this area's page tests."""

from tests.admin_ui.conftest import pages_as

__all__ = ["pages_as"]
