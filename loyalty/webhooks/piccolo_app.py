"""Piccolo app of the webhooks area."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.webhooks import tables

APP_CONFIG = AppConfig(
    app_name="webhooks",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[
        tables.WebhookSubscription,
        tables.WebhookEvent,
        tables.WebhookDelivery,
        tables.WebhookAttempt,
    ],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
