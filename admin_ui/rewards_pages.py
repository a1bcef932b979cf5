"""Marketing's rewards catalogue: what shoppers can unlock with points (rule 4).

Create, edit and take rewards out of the catalogue through ``loyalty.rewards.catalogue``;
problems come back beside the form with the field named. Title and description are written in
the program's default locale, with an optional field per other locale (``title__nb``).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import PathParameter
from litestar.response import Redirect, Template

from admin_ui.auth import require
from admin_ui.render import page, redirect
from api.deps import Now, provide_now
from loyalty import program
from loyalty.errors import DomainError, Invalid
from loyalty.rewards import catalogue
from schemas.coupon_kinds import COUPON_KINDS
from schemas.rewards import RewardIn

RewardId = Annotated[int, PathParameter(ge=1, le=2**63 - 1)]
INTS = ("points_cost", "value", "min_order_minor", "valid_days", "position")
TEXTS = ("title", "description", "kind", "sku")


async def other_locales() -> tuple[str, list[str]]:
    """The program's default locale and the others a reward may be translated into."""
    rules = await program.get_rules()
    return rules.default_locale, [x for x in rules.locales if x != rules.default_locale]


def _local(values: dict[str, Any], name: str, default: str, others: list[str]) -> Any:
    """One text, or ``{locale: text}`` when some other locale's field was filled in."""
    written = {x: values[f"{name}__{x}"] for x in others if values[f"{name}__{x}"]}
    if not written:
        return values[name]
    return {default: values[name], **written} if values[name] else written


def reward_from(
    form: Any, default: str = "en", others: tuple[str, ...] | list[str] = ()
) -> tuple[RewardIn | None, dict[str, Any], str | None]:
    """The posted reward, the raw values (to show again) and the problem, if any."""
    names = (*INTS, *TEXTS, *(f"{t}__{x}" for t in ("title", "description") for x in others))
    values: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in names}
    values["active"] = form.get("active") is not None
    doc: dict[str, Any] = {
        **{k: values[k] for k in (*INTS, *TEXTS)},
        "active": values["active"],
        "sku": values["sku"] or None,
        "title": _local(values, "title", default, list(others)),
        "description": _local(values, "description", default, list(others)),
    }
    for name in INTS:
        try:
            doc[name] = int(values[name] or "0")
        except ValueError:
            return None, values, f"{name.replace('_', ' ')} must be a whole number"
    try:
        reward = msgspec.convert(doc, RewardIn)
        catalogue.validate(reward)
    except msgspec.ValidationError as exc:
        return None, values, str(exc).replace("`", "").replace("$.", "")
    except Invalid as exc:
        return None, values, exc.message
    return reward, values, None


def _blank() -> dict[str, Any]:
    return {"kind": "amount_off", "valid_days": "30", "position": "0", "active": True}


def _values_of(row: dict[str, Any], others: list[str]) -> dict[str, Any]:
    values = {k: ("" if row.get(k) is None else row[k]) for k in (*INTS, *TEXTS, "active")}
    for name, texts in (("title", row["titles"]), ("description", row["descriptions"])):
        values |= {f"{name}__{x}": texts.get(x, "") for x in others}
    return values


class RewardsController(Controller):
    path = "/rewards"
    dependencies = {"now": Provide(provide_now)}
    guards = [require("rewards.write")]

    @get("/")
    async def index(self, request: Request[Any, Any, Any]) -> Template:
        """The catalogue (active and retired rewards) and a form for a new one."""
        return await self._list(request)

    async def _list(
        self,
        request: Request[Any, Any, Any],
        *,
        values: dict[str, Any] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Template:
        rows = await catalogue.list_all(active_only=False)
        default, others = await other_locales()
        return page(
            request, "rewards.html", status=status, rewards=rows, kinds=COUPON_KINDS,
            values=values or _blank(), form_error=error, action="/admin/rewards",
            default_locale=default, locales=others,
        )  # fmt: skip

    @post("/")
    async def create(self, request: Request[Any, Any, Any], now: Now) -> Redirect | Template:
        """Add a reward to the catalogue."""
        reward, values, error = reward_from(await request.form(), *await other_locales())
        if reward is None:
            return await self._list(request, values=values, error=error, status=422)
        who = request.scope["state"]["staff"]
        try:
            row = await catalogue.create(reward, actor=who.email, now=now)
        except DomainError as exc:
            return await self._list(request, values=values, error=exc.message, status=exc.status)
        return redirect("/admin/rewards", f"Reward “{row['title']}” added.")

    @get("/{reward_id:int}")
    async def show(self, request: Request[Any, Any, Any], reward_id: RewardId) -> Template:
        """One reward's terms, editable."""
        row = await catalogue.get(reward_id)
        default, others = await other_locales()
        return page(
            request, "reward_edit.html", reward=row, kinds=COUPON_KINDS,
            values=_values_of(row, others), form_error=None, action=f"/admin/rewards/{reward_id}",
            default_locale=default, locales=others,
        )  # fmt: skip

    @post("/{reward_id:int}")
    async def update(
        self, request: Request[Any, Any, Any], reward_id: RewardId, now: Now
    ) -> Redirect | Template:
        """Change a reward's terms (coupons already unlocked keep theirs)."""
        default, others = await other_locales()
        reward, values, error = reward_from(await request.form(), default, others)
        who = request.scope["state"]["staff"]
        if reward is not None:
            try:
                await catalogue.update(reward_id, reward, actor=who.email, now=now)
                return redirect("/admin/rewards", "Reward saved.")
            except DomainError as exc:
                error = exc.message
        row = await catalogue.get(reward_id)
        return page(
            request, "reward_edit.html", status=422, reward=row, kinds=COUPON_KINDS, values=values,
            form_error=error, action=f"/admin/rewards/{reward_id}",
            default_locale=default, locales=others,
        )  # fmt: skip

    @post("/{reward_id:int}/deactivate")
    async def deactivate(
        self, request: Request[Any, Any, Any], reward_id: RewardId, now: Now
    ) -> Redirect:
        """Take a reward out of the catalogue (coupons already unlocked stay valid)."""
        who = request.scope["state"]["staff"]
        await catalogue.deactivate(reward_id, actor=who.email, now=now)
        return redirect("/admin/rewards", "Reward taken out of the catalogue.")
