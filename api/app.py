"""The Litestar application factory.

``create_app`` wires controllers, error handling, OpenAPI and the resources the app owns. When
``manage_resources`` is true (the server), startup opens the database pool and Redis and makes
sure the first admin exists; tests open those themselves on their own event loop and pass
``manage_resources=False``.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from admin_ui.render import template_config
from admin_ui.routes import ROUTER as ADMIN_PAGES
from api import cors, http
from api.activity import ActivityController
from api.admin import AdminController, AuthController
from api.campaigns import CampaignsController, MemberTierController, SimulateController
from api.checkout import CheckoutController
from api.devices import DevicesController
from api.docs import ASSETS_ROUTER, REDOC
from api.errors import EXCEPTION_HANDLERS
from api.health import health
from api.insight import InsightController
from api.me import MeController
from api.metrics import PROMETHEUS, metrics_endpoint
from api.openapi import StrictStructs, document
from api.privacy import AdminPrivacyController, MePrivacyController
from api.rewards import AdminRewardsController, MeRewardsController
from api.shop import ShopController
from api.templates import TemplatesController
from api.till import HANDLERS as TILL_HANDLERS
from api.webhooks import WebhooksController
from api.widget.routes import WidgetController
from loyalty import db, dbstats, reactions_table, staff
from loyalty.clock import Clock, SystemClock
from loyalty.notify import kick
from loyalty.settings import Settings

log = logging.getLogger("loyalty")

ROUTE_HANDLERS: list[Any] = [health, ShopController, MeController, AuthController, AdminController]
ROUTE_HANDLERS += [InsightController, ADMIN_PAGES]
ROUTE_HANDLERS += [ActivityController]
ROUTE_HANDLERS += [CheckoutController, MeRewardsController, AdminRewardsController]
ROUTE_HANDLERS += [DevicesController, TemplatesController]
ROUTE_HANDLERS += [metrics_endpoint]
ROUTE_HANDLERS += [WidgetController]
ROUTE_HANDLERS += TILL_HANDLERS
ROUTE_HANDLERS += [AdminPrivacyController, MePrivacyController, WebhooksController]
ROUTE_HANDLERS += [ASSETS_ROUTER]
ROUTE_HANDLERS += [CampaignsController, MemberTierController, SimulateController]

OPENAPI = OpenAPIConfig(
    title="Loyalty engine",
    version="1.0.0",
    path="/schema",
    render_plugins=[REDOC],
    description=(
        "Points ledger, coupons and notifications for a shop's mobile app. Errors are "
        '`{"error": {"code", "message", "details"}}`; money is `*_minor` integers.'
    ),
    components=Components(
        security_schemes={
            "shopSignature": SecurityScheme(
                type="apiKey",
                name="X-Loyalty-Signature",
                security_scheme_in="header",
                description=(
                    '`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<METHOD>.<path>.<raw body>">` with the '
                    "shop secret; the path with its query string, as sent"
                ),
            ),
            "shopperJWT": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
            "staffToken": SecurityScheme(type="http", scheme="bearer"),
        }
    ),
)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    redis: ArqRedis | None = None,
    manage_resources: bool = True,
    extra_handlers: list[Any] | None = None,
) -> Litestar:
    clock = clock or SystemClock()
    reactions_table.install()

    async def startup(app: Litestar) -> None:
        if not manage_resources:
            return
        assert settings.database_url and settings.redis_url
        db.configure(settings.database_url)
        await db.open_pool(settings.db_pool_size, count_statements=settings.db_stats)
        app.state.redis = await create_pool(RedisSettings.from_dsn(settings.redis_url))
        if await staff.ensure_admin(settings.admin_email, settings.admin_password, now=clock.now()):
            log.info("created the first admin account %s", settings.admin_email)

    async def shutdown(app: Litestar) -> None:
        if manage_resources:
            await app.state.redis.aclose()
            await db.close_pool()

    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, *(extra_handlers or [])],
        exception_handlers=EXCEPTION_HANDLERS,
        openapi_config=OPENAPI,
        template_config=template_config(),
        middleware=[
            *([dbstats.middleware] if settings.db_stats else []),
            PROMETHEUS.middleware,
            http.middleware,
            kick.middleware,
        ],
        plugins=[StrictStructs()],
        request_class=http.StrictRequest,
        on_startup=[startup],
        on_shutdown=[shutdown],
        request_max_body_size=settings.max_body_bytes,
        debug=False,
    )
    cors.install(app)  # LOYALTY_WIDGET_ORIGINS for the shopper API (api/cors.py)
    document(app)
    http.index_options(app)
    app.state.settings = settings
    app.state.clock = clock
    app.state.redis = redis
    return app
