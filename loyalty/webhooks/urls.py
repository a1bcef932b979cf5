"""Which receiver URLs we accept: http(s) only, and not an address inside our own network.

A webhook URL is typed by staff but fetched by our servers, so without a check it is a way
to reach the loopback interface, the private network or a cloud metadata endpoint (SSRF).
Every address the host name resolves to must be public; ``LOYALTY_WEBHOOKS_ALLOW_PRIVATE=1``
lifts that (local development, tests against a loopback receiver). The check runs when a
subscription is saved and again before each delivery (a name may resolve elsewhere later).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from loyalty.errors import Invalid


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def check_form(url: str) -> tuple[str, int]:
    """``(host, port)`` of a well-formed http(s) URL, else 422."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Invalid("webhook_url_scheme", "webhook URLs must be http:// or https://", url=url)
    if not parts.hostname or parts.username or parts.password:
        raise Invalid("webhook_url_invalid", "a webhook URL needs a host and no credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise Invalid("webhook_url_invalid", "the URL's port is not a number") from exc
    return parts.hostname, port


async def check(url: str, *, allow_private: bool) -> None:
    """Raise 422 unless ``url`` is http(s) and (unless allowed) every address is public."""
    host, port = check_form(url)
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise Invalid("webhook_url_unresolvable", f"{host} does not resolve") from exc
    private = sorted({str(i[4][0]) for i in infos if not _public(str(i[4][0]))})
    if private or not infos:
        raise Invalid(
            "webhook_url_private",
            "webhook URLs must not point at loopback, private or link-local addresses",
            addresses=private,
        )
