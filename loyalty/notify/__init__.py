"""Notifications: devices, marketing's copy, and delivery of the outbox by push and email.

See ``docs/notifications.md``. Modules: ``devices`` (registration), ``templates`` (copy and
rendering), ``delivery`` (the outbox worker), ``kick`` (wake the worker after a request),
``opens`` (what the app reports), ``runtime`` (the senders a process keeps).
"""
