"""Webhooks out: the shop's other systems subscribe to events, delivered signed, retried."""
