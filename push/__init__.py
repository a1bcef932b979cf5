"""Delivery: pushes through FCM and APNs, emails through SMTP, each answer classified.

Build the senders once per process with :func:`push.settings.senders_from_env`; give them
batches of :class:`~push.content.PushMessage` / :class:`~push.content.EmailMessage`; get one
:class:`~push.content.DeliveryResult` per message back, in order.
"""
