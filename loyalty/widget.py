"""The web shop widget's design: saved in the program, served to the widget.

:func:`public_config` is what ``GET /widget/config`` answers to anyone (the design, the texts
of one language, and the program summary a signed-out visitor sees); :func:`save_design`
is the back office's design panel. The design lives in the program document
(``ProgramRules.widget``), so it is versioned and audited with the rest of the program.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from loyalty import program
from loyalty.activity import ways
from loyalty.errors import Conflict
from schemas.program import ProgramRules
from schemas.widget import WidgetConfigOut, WidgetDesign, WidgetProgramOut, WidgetTexts


def design_of(rules: ProgramRules) -> WidgetDesign:
    """The saved design, or the widget's built-in one."""
    return rules.widget or WidgetDesign()


def pick_locale(rules: ProgramRules, wanted: str | None) -> str:
    """``wanted`` when the program speaks it (``nb-NO`` and ``no`` count as ``nb``), else
    the program's default language."""
    if wanted:
        for candidate in (wanted, wanted.split("-")[0].lower()):
            name = "nb" if candidate in ("no", "nn") else candidate
            if name in rules.locales:
                return name
    return rules.default_locale


def public_config(rules: ProgramRules, wanted_locale: str | None) -> WidgetConfigOut:
    design = design_of(rules)
    locale = pick_locale(rules, wanted_locale)
    return WidgetConfigOut(
        locale=locale,
        locales=list(rules.locales),
        design=design,
        texts=design.texts.get(locale, WidgetTexts()),
        program=WidgetProgramOut(
            name=rules.name,
            currency=rules.currency,
            earn_points=rules.earn_points,
            rate_unit_minor=rules.rate_unit_minor,
            threshold_points=rules.threshold_points,
            ways_to_earn=ways.listing(rules),
        ),
    )


async def save_design(
    design: WidgetDesign, *, expected_version: int | None, actor: str, now: datetime
) -> int:
    """Put ``design`` into the program and save it (audited as a program update).

    ``expected_version`` guards against overwriting a program someone saved meanwhile
    (the panel's form carries the version it was opened at)."""
    rules, version, _ = await program.get_program()
    if expected_version is not None and expected_version != version:
        raise Conflict(
            "program_changed",
            "someone saved the program since you opened it; review and save again",
            version=version,
        )
    return await program.save_rules(
        msgspec.structs.replace(rules, widget=design), actor=actor, now=now
    )
