"""Rendering pages: the shared context every template gets, redirects with a flash message,
error pages, money formatting, and the security headers of every back-office answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.template.config import TemplateConfig

from admin_ui.auth import FLASH_COOKIE, csrf_for, flash_cookie, session_token
from api.deps import settings_of
from loyalty import staff
from loyalty.errors import DomainError

TEMPLATES = Path(__file__).parent / "templates"

SECURITY_HEADERS = {
    "cache-control": "no-store",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    href: str
    permission: str


NAV = (
    NavItem("Dashboard", "/admin/", "insight.read"),
    NavItem("Members", "/admin/members", "members.read"),
    NavItem("Program", "/admin/program", "program.read"),
    NavItem("Campaigns", "/admin/campaigns", "program.read"),
    NavItem("Rewards", "/admin/rewards", "rewards.write"),
    NavItem("Notification copy", "/admin/templates", "templates.write"),
    NavItem("Widget", "/admin/widget", "program.read"),
    NavItem("Staff", "/admin/staff", "staff.manage"),
    NavItem("Audit log", "/admin/audit", "audit.read"),
    NavItem("Webhooks", "/admin/webhooks", "webhooks.manage"),
)

_EXPONENTS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "KWD": 3, "BHD": 3}


def money(minor: int | None, currency: str) -> str:
    """``12345, "EUR"`` -> ``"123.45 EUR"`` (minor units to the currency's exponent)."""
    if minor is None:
        return "n/a"
    exp = _EXPONENTS.get(currency, 2)
    if exp == 0:
        return f"{minor:,} {currency}"
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**exp)
    return f"{sign}{whole:,}.{frac:0{exp}d} {currency}"


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "svg"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["points"] = lambda n: "" if n is None else f"{n:,}"
    env.filters["when"] = lambda d: "" if d is None else d.strftime("%Y-%m-%d %H:%M")
    env.filters["day"] = lambda d: "" if d is None else d.strftime("%Y-%m-%d")
    return env


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """What ``create_app`` passes to Litestar (autoescaping on for every template)."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment()))


def _identity(request: Request[Any, Any, Any]) -> staff.StaffIdentity | None:
    found = request.scope.get("state", {}).get("staff")
    return found if isinstance(found, staff.StaffIdentity) else None


PREVIEW_CSP = (
    SECURITY_HEADERS["content-security-policy"]
    .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("img-src 'self' data:", "img-src 'self' data: https:")
)
"""Pages that show an email preview in a sandboxed frame let its inline styles and images
render (the frame has no scripts and no access to the page)."""


def page(
    request: Request[Any, Any, Any],
    name: str,
    *,
    status: int = 200,
    csp: str | None = None,
    **ctx: Any,
) -> Template:
    """A full page (or a fragment) with the context every template may use."""
    me = _identity(request)
    token = session_token(request) or ""
    flash = request.cookies.get(FLASH_COOKIE)
    context = {
        "me": me,
        "csrf": csrf_for(settings_of(request).session_secret, token) if me else "",
        "nav": [n for n in NAV if me and me.can(n.permission)],
        "path": request.url.path,
        "flash": unquote(flash) if flash else None,
        "error": None,
        **ctx,
    }
    headers = {**SECURITY_HEADERS, "content-security-policy": csp} if csp else SECURITY_HEADERS
    response = Template(name, context=context, status_code=status, headers=headers)
    if flash:
        response.delete_cookie(FLASH_COOKIE, path="/admin")
    return response


def redirect(path: str, message: str | None = None) -> Redirect:
    """Post/redirect/get: the next page shows ``message`` once."""
    cookies = [flash_cookie(message)] if message else None
    return Redirect(path, status_code=303, cookies=cookies, headers=SECURITY_HEADERS)


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Domain and HTTP errors on a page: the same layout, the message, the right status."""
    if isinstance(exc, DomainError):
        status, title, message = exc.status, exc.code.replace("_", " "), exc.message
    elif isinstance(exc, ValidationException):
        status, title, message = 400, "bad request", "the address has a malformed parameter"
    elif isinstance(exc, HTTPException):
        status, title, message = exc.status_code, "error", str(exc.detail)
    else:
        raise exc
    return page(request, "error.html", status=status, title=title, message=message)
