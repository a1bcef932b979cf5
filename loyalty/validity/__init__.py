"""Validity and expiry (PRODUCT.md rules 6 and 7): when points expire, the scheduled jobs that
expire them and warn before, and the periodic balance summary. See docs/expiry.md.

``dates`` is pure date arithmetic, ``stamps`` sets the dates when orders and lots arrive,
``expiry``, ``reminders`` and ``summary`` are the set-based services the jobs call.
"""
