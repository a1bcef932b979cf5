"""Staff API for campaigns (``/v1/admin/campaigns``: list, create, edit, end; rule 12) and a
member's tier set by hand (rule 13)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post, put
from litestar.di import Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from api.deps import Me, Now, allow, provide_now, provide_staff
from api.shop import PathId
from loyalty import campaigns, members, program, simulate
from loyalty.errors import Invalid
from loyalty.tiers import service as tiers
from schemas.earning import Campaign, CampaignOut, TierOut, TierSetIn
from schemas.simulate import SimulateIn, SimulateOut

CampaignId = Annotated[str, PathParameter(min_length=1, max_length=64)]


def campaign_out(listed: campaigns.Listed) -> CampaignOut:
    return CampaignOut(**msgspec.structs.asdict(listed.campaign), state=listed.state)


class CampaignsController(Controller):
    path = "/v1/admin/campaigns"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @get("/", guards=[allow("program.read")])
    async def list_campaigns(
        self,
        now: Now,
        when: Annotated[
            Literal["upcoming", "running", "ended"] | None, QueryParameter(name="state")
        ] = None,
    ) -> list[CampaignOut]:
        """Every campaign (or those upcoming, running or ended now), soonest start first."""
        rules = await program.get_rules()
        return [campaign_out(r) for r in campaigns.listing(rules, now, when)]

    @post("/", guards=[allow("program.write")])
    async def create(self, data: JSONBody[Campaign], me: Me, now: Now) -> CampaignOut:
        """Schedule a campaign (422 naming the field when it contradicts the program)."""
        return await self._saved(data, me, now, create=True)

    @put("/{campaign_id:str}", guards=[allow("program.write")])
    async def edit(
        self, campaign_id: CampaignId, data: JSONBody[Campaign], me: Me, now: Now
    ) -> CampaignOut:
        """Replace a campaign's terms; orders already placed keep the terms they had."""
        if data.id != campaign_id:
            raise Invalid("campaign_id_mismatch", "the body's id must match the path", field="id")
        return await self._saved(data, me, now)

    @post("/{campaign_id:str}/end", status_code=200, guards=[allow("program.write")])
    async def end(self, campaign_id: CampaignId, me: Me, now: Now) -> CampaignOut | None:
        """End a running campaign now (an upcoming one is called off: answers null)."""
        ended = await campaigns.end(campaign_id, actor=me.email, now=now)
        return None if ended is None else campaign_out(campaigns.Listed(ended, "ended"))

    async def _saved(self, data: Campaign, me: Me, now: Now, create: bool = False) -> CampaignOut:
        saved = await campaigns.save(data, actor=me.email, now=now, create=create)
        rules = await program.get_rules()
        return campaign_out(campaigns.Listed(saved, campaigns.state_of(rules, saved, now)))


class MemberTierController(Controller):
    """Staff set a member's tier by hand (``POST /v1/admin/members/{id}/tier``)."""

    path = "/v1/admin/members"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @post("/{customer_id:str}/tier", status_code=200, guards=[allow("members.write")])
    async def set_tier(
        self, customer_id: PathId, data: JSONBody[TierSetIn], me: Me, now: Now
    ) -> TierOut | None:
        """Put the member on ``tier_id`` with a reason (audited); retention starts again."""
        await tiers.set_by_staff(
            customer_id, data.tier_id, reason=data.reason, actor=me.email, now=now
        )
        member = await members.get(customer_id)
        return await tiers.me_block(member["id"], await program.get_rules(), now)


class SimulateController(Controller):
    """What-if (rule 14): replay stored orders under proposed rules; read-only."""

    path = "/v1/admin/program"
    tags = ["staff"]
    dependencies = {"now": Provide(provide_now), "me": Provide(provide_staff)}
    security = [{"staffToken": []}]

    @post("/simulate", status_code=200, guards=[allow("program.read")])
    async def simulate(self, data: JSONBody[SimulateIn], now: Now) -> SimulateOut:
        """Points, coupons, members per tier and liability: current vs proposed. Saves nothing."""
        result = await simulate.what_if(data.rules, days=data.days, now=now)
        return msgspec.convert(simulate.as_dict(result), SimulateOut)
