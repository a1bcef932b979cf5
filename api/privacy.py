"""Data rights over HTTP: a member's export (staff and the shopper) and erasure (staff and
the shop's backend forwarding a request it received)."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import Provide

from api.deps import CustomerId, Now, allow, provide_customer_id, provide_now, provide_staff
from api.shop import PathId
from loyalty.privacy import erasure
from loyalty.privacy import export as data_export
from schemas.privacy import ErasureOut, ExportOut


async def erase_member(customer_id: str, *, actor: str, via: str, now: Now) -> ErasureOut:
    """``DELETE /v1/admin/members/{id}`` (in ``api.admin``) and ``DELETE
    /v1/shop/customers/{id}`` (in ``api.shop``): one path, one controller each."""
    return erasure_out(await erasure.erase(customer_id, actor=actor, via=via, now=now))


def erasure_out(done: erasure.Erased) -> ErasureOut:
    return ErasureOut(
        erased=True,
        member_ref=done.anonymous_id,
        coupons_voided=done.coupons_voided,
        points_forfeited=done.points_forfeited,
        pending_dropped=done.pending_dropped,
        erased_at=done.erased_at,
    )


async def export_out(customer_id: str, now: Now) -> ExportOut:
    return msgspec.convert(await data_export.export(customer_id, now=now), ExportOut)


class AdminPrivacyController(Controller):
    path = "/v1/admin/members"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @get("/{customer_id:str}/export", guards=[allow("members.read")], operation_id="exportMember")
    async def export(self, customer_id: PathId, now: Now) -> ExportOut:
        """Everything held about the member, as one JSON document (GDPR access request)."""
        return await export_out(customer_id, now)


class MePrivacyController(Controller):
    path = "/v1/me/export"
    tags = ["shopper"]
    dependencies = {"customer_id": Provide(provide_customer_id), "now": Provide(provide_now)}
    security = [{"shopperJWT": []}]

    @get("/", operation_id="exportMe")
    async def export(self, customer_id: CustomerId, now: Now) -> ExportOut:
        """Everything the engine holds about me, as one JSON document."""
        return await export_out(customer_id, now)
