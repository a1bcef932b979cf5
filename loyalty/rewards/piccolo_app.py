"""Piccolo app of the rewards area (coupons, catalogue, redemptions); migrations beside it."""

import os

from piccolo.conf.apps import AppConfig

from loyalty.rewards import tables

APP_CONFIG = AppConfig(
    app_name="rewards",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=[tables.Reward, tables.Coupon, tables.Redemption],
    migration_dependencies=["loyalty.piccolo_app"],
    commands=[],
)
