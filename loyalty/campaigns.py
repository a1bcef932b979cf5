"""Campaigns (rule 12): marketing schedules, edits, ends and lists dated earning rules.

Campaigns live in the program document (``rules.campaigns``), so a change is a program save:
validated whole (422 naming the field, nothing saved), versioned and audited. Each change
reads the document under the program row's lock, so two staff editing at once never lose
each other's change. Orders keep the campaign terms they were first seen with
(``loyalty.orders``), so editing or ending a campaign never changes an order already placed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import msgspec

from loyalty import accrual, audit, db, program
from loyalty.errors import Conflict, NotFound
from schemas.earning import Campaign
from schemas.program import ProgramRules

State = Literal["upcoming", "running", "ended"]
STATES: tuple[State, ...] = ("running", "upcoming", "ended")


@dataclass(frozen=True, slots=True)
class Listed:
    campaign: Campaign
    state: State


def state_of(rules: ProgramRules, campaign: Campaign, now: datetime) -> State:
    if now < accrual.as_program_time(rules, campaign.starts_at):
        return "upcoming"
    return "running" if accrual.is_running(rules, campaign, now) else "ended"


def listing(rules: ProgramRules, now: datetime, state: State | None = None) -> list[Listed]:
    """Every campaign with its state at ``now``, soonest start first."""
    rows = [Listed(c, state_of(rules, c, now)) for c in rules.campaigns]
    rows.sort(key=lambda r: accrual.as_program_time(rules, r.campaign.starts_at))
    return [r for r in rows if state is None or r.state == state]


async def _locked_rules() -> ProgramRules:
    raw = await db.fetchval("SELECT rules::text FROM program WHERE id = 1 FOR UPDATE")
    return ProgramRules() if raw is None else msgspec.json.decode(raw, type=ProgramRules)


async def save(campaign: Campaign, *, actor: str, now: datetime, create: bool = False) -> Campaign:
    """Replace the campaign of the same id, or add it (``create``: only add, 409 if taken)."""
    async with db.transaction():
        rules = await _locked_rules()
        others = [c for c in rules.campaigns if c.id != campaign.id]
        created = len(others) == len(rules.campaigns)
        if create and not created:
            raise Conflict("campaign_exists", f"a campaign {campaign.id!r} exists; PUT to edit it")
        await program.save_rules(
            msgspec.structs.replace(rules, campaigns=[*others, campaign]), actor=actor, now=now
        )
        await audit.record(
            actor,
            "campaign.create" if created else "campaign.update",
            now=now,
            target=f"campaign:{campaign.id}",
            details=msgspec.to_builtins(campaign),
        )
    return campaign


async def end(campaign_id: str, *, actor: str, now: datetime) -> Campaign | None:
    """End a running campaign now; an upcoming one is called off (removed; it never ran).

    Returns the ended campaign, or ``None`` when an upcoming one was removed."""
    async with db.transaction():
        rules = await _locked_rules()
        found = next((c for c in rules.campaigns if c.id == campaign_id), None)
        if found is None:
            raise NotFound("campaign_not_found", f"no campaign {campaign_id!r}")
        state = state_of(rules, found, now)
        if state == "ended":
            raise Conflict("campaign_ended", "this campaign has already ended")
        ended = None
        if state == "running":
            local_now = now.astimezone(accrual.as_program_time(rules, found.ends_at).tzinfo)
            stamp = local_now if found.ends_at.tzinfo else local_now.replace(tzinfo=None)
            ended = msgspec.structs.replace(found, ends_at=stamp)
        kept = [c for c in rules.campaigns if c.id != campaign_id]
        await program.save_rules(
            msgspec.structs.replace(rules, campaigns=kept + ([ended] if ended else [])),
            actor=actor,
            now=now,
        )
        await audit.record(
            actor,
            "campaign.end" if ended else "campaign.cancel",
            now=now,
            target=f"campaign:{campaign_id}",
        )
    return ended


async def running(now: datetime, *, tier: str | None = None) -> list[Campaign]:
    """Campaigns running now that a member of ``tier`` could earn from (for ``/v1/me``)."""
    rules = await program.get_rules()
    return [
        c
        for c in accrual.running_at(rules, now)
        if not c.tiers or (tier is not None and tier in c.tiers)
    ]
