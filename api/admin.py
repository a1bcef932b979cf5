"""The staff API (``/v1/admin``): login, the program, members, staff accounts, audit log.

Each handler declares the permission it needs (:func:`api.deps.allow`); the role check is
server-side whatever a page shows or hides.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.deps import Me, Now, allow, client_of, provide_now, provide_staff
from api.http import BOUNDS_STATUS
from api.me import ledger_page
from api.openapi import ERRORS
from api.shop import PathId
from loyalty import audit as audit_log
from loyalty import login_limits, members, program, staff
from loyalty.errors import NotFound
from schemas.admin import (
    AdjustmentIn,
    AdjustmentOut,
    AuditOut,
    BalancesOut,
    BlockIn,
    LoginIn,
    LoginOut,
    MemberOut,
    ProgramOut,
    StaffIn,
    StaffOut,
    StaffPatch,
)
from schemas.me import LedgerPage
from schemas.privacy import ErasureOut
from schemas.program import ProgramRules


def balances_out(m: Any) -> BalancesOut:
    return BalancesOut(
        available=m["available"],
        pending=m["pending"],
        lifetime=m["lifetime"],
        spent=m["spent"],
        expired=m["expired"],
    )


def member_out(m: dict[str, Any]) -> MemberOut:
    return MemberOut(
        customer_id=m["customer_id"],
        email=m["email"],
        phone=m["phone"],
        name=m["name"],
        birthday=m["birthday"],
        locale=m["locale"],
        blocked=m["blocked"],
        blocked_reason=m["blocked_reason"],
        balance=balances_out(m),
        last_order_at=m["last_order_at"],
        points_expire_at=m["points_expire_at"],
        created_at=m["created_at"],
    )


class AuthController(Controller):
    path = "/v1/admin"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now)}

    @post("/login", status_code=200, opt={ERRORS: (401, 429)})
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginIn], now: Now
    ) -> LoginOut:
        """Exchange email and password for a bearer token (12 hours). Repeated failures
        for one account or from one client answer 429 with ``Retry-After``."""
        token, who = await login_limits.login(
            request.app.state.redis, data.email, data.password, client_of(request), now=now
        )
        return LoginOut(token=token, email=who.email, role=who.role)

    @post("/logout", status_code=204, guards=[allow("program.read")], security=[{"staffToken": []}])
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        header = request.headers.get("authorization", "")
        await staff.logout(header[7:].strip())


class AdminController(Controller):
    path = "/v1/admin"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @get("/program", guards=[allow("program.read")])
    async def get_program(self) -> ProgramOut:
        rules, version, updated_at = await program.get_program()
        return ProgramOut(rules=rules, version=version, updated_at=updated_at)

    @put("/program", guards=[allow("program.write")], opt={BOUNDS_STATUS: 422})
    async def put_program(self, data: JSONBody[ProgramRules], me: Me, now: Now) -> ProgramOut:
        """Replace the program's rules (validated; 422 names the field)."""
        version = await program.save_rules(data, actor=me.email, now=now)
        return ProgramOut(rules=data, version=version, updated_at=now)

    @get("/members", guards=[allow("members.read")])
    async def search_members(
        self, q: Annotated[str, QueryParameter(min_length=1, max_length=200)]
    ) -> list[MemberOut]:
        """Find members by customer id, email, phone or part of the name."""
        return [member_out(m) for m in await members.search(q)]

    @get("/members/{customer_id:str}", guards=[allow("members.read")])
    async def get_member(self, customer_id: PathId) -> MemberOut:
        return member_out(await members.get(customer_id))

    @get("/members/{customer_id:str}/ledger", guards=[allow("members.read")])
    async def member_ledger(
        self,
        customer_id: PathId,
        cursor: Annotated[str | None, QueryParameter(max_length=19)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> LedgerPage:
        member = await members.get(customer_id)
        return await ledger_page(member["id"], cursor, limit)

    @delete("/members/{customer_id:str}", status_code=200, guards=[allow("members.erase")])
    async def erase(self, customer_id: PathId, me: Me, now: Now) -> ErasureOut:
        """Erase the member's personal data (GDPR); the ledger's sums stay, anonymous. Unused
        coupons are voided and the balance left is forfeited (docs/data_rights.md)."""
        from api.privacy import erase_member

        return await erase_member(customer_id, actor=me.email, via="admin", now=now)

    @post("/members/{customer_id:str}/adjustments", guards=[allow("members.write")])
    async def adjust(
        self, customer_id: PathId, data: JSONBody[AdjustmentIn], me: Me, now: Now
    ) -> AdjustmentOut:
        """Grant (positive) or remove (negative) points with a mandatory reason."""
        result = await members.adjust(
            customer_id,
            data.points,
            reason=data.reason,
            actor=me.email,
            key=data.idempotency_key,
            now=now,
        )
        member = await members.get(customer_id)
        return AdjustmentOut(
            customer_id=customer_id, applied=result is not None, balance=balances_out(member)
        )

    @post("/members/{customer_id:str}/block", status_code=200, guards=[allow("members.write")])
    async def block(
        self, customer_id: PathId, data: JSONBody[BlockIn], me: Me, now: Now
    ) -> MemberOut:
        return member_out(
            await members.set_blocked(
                customer_id, True, reason=data.reason, actor=me.email, now=now
            )
        )

    @post("/members/{customer_id:str}/unblock", status_code=200, guards=[allow("members.write")])
    async def unblock(
        self, customer_id: PathId, data: JSONBody[BlockIn], me: Me, now: Now
    ) -> MemberOut:
        return member_out(
            await members.set_blocked(
                customer_id, False, reason=data.reason, actor=me.email, now=now
            )
        )

    @get("/staff", guards=[allow("staff.manage")])
    async def list_staff(self) -> list[StaffOut]:
        return [
            StaffOut(
                email=s["email"],
                name=s["name"],
                role=s["role"],
                active=s["active"],
                created_at=s["created_at"],
            )
            for s in await staff.list_staff()
        ]

    @post("/staff", guards=[allow("staff.manage")])
    async def create_staff(self, data: JSONBody[StaffIn], me: Me, now: Now) -> StaffOut:
        who = await staff.create(
            data.email, data.password, data.role, now=now, actor=me.email, name=data.name
        )
        return StaffOut(email=who.email, name=who.name, role=who.role, active=True, created_at=now)

    @patch("/staff/{email:str}", guards=[allow("staff.manage")])
    async def update_staff(
        self,
        email: Annotated[str, PathParameter(max_length=254)],
        data: JSONBody[StaffPatch],
        me: Me,
        now: Now,
    ) -> StaffOut:
        await staff.update(email, role=data.role, active=data.active, actor=me.email, now=now)
        for s in await staff.list_staff():
            if s["email"] == email.lower():
                return StaffOut(
                    email=str(s["email"]),
                    name=s["name"],
                    role=str(s["role"]),
                    active=bool(s["active"]),
                    created_at=s["created_at"],
                )
        raise NotFound("staff_not_found", email)

    @get("/audit", guards=[allow("audit.read")])
    async def audit(
        self,
        actor: Annotated[str | None, QueryParameter(max_length=254)] = None,
        action: Annotated[str | None, QueryParameter(max_length=64)] = None,
        target: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AuditOut]:
        """The audit log, newest first, filtered by actor, action or target."""
        rows = await audit_log.search(actor=actor, action=action, target=target, limit=limit)
        return [AuditOut(**r) for r in rows]
