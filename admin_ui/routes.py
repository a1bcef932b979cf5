"""Every back-office page under ``/admin`` and how their errors are answered."""

from __future__ import annotations

from pathlib import Path

from litestar import Router
from litestar.exceptions import HTTPException
from litestar.static_files import create_static_files_router

from admin_ui.audit import AuditController
from admin_ui.auth import LoginRequired, login_redirect
from admin_ui.campaigns_pages import CampaignsController
from admin_ui.copy_pages import CopyController
from admin_ui.dashboard import DashboardController
from admin_ui.login import LoginController
from admin_ui.members import MembersController, MemberTierPage
from admin_ui.program import ProgramController
from admin_ui.render import error_page
from admin_ui.rewards_pages import RewardsController
from admin_ui.sms_pages import SmsConsentController
from admin_ui.staff import StaffController
from admin_ui.webhooks_pages import WebhooksPages
from admin_ui.widget_design import WidgetDesignController
from loyalty.errors import DomainError

STATIC = Path(__file__).parent / "static"

ROUTER = Router(
    path="/admin",
    route_handlers=[
        LoginController,
        DashboardController,
        MembersController,
        MemberTierPage,
        ProgramController,
        StaffController,
        AuditController,
        RewardsController,
        CopyController,
        WidgetDesignController,
        SmsConsentController,
        WebhooksPages,
        CampaignsController,
        create_static_files_router(
            path="/static", directories=[STATIC], include_in_schema=False, name="admin_static"
        ),
    ],
    exception_handlers={
        LoginRequired: login_redirect,
        DomainError: error_page,
        HTTPException: error_page,
    },
    include_in_schema=False,
)
