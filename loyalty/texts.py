"""Texts a shopper reads (coupon titles, reward titles and descriptions), per locale.

Marketing writes such a text either as one plain string (older documents, one-language shops)
or as a ``{locale: text}`` mapping. :func:`pick` chooses the member's locale, then its language
(``nb-NO`` -> ``nb``, ``no``/``nn`` -> ``nb``), then the program's default locale, so a
Norwegian push never carries an English title when a Norwegian one was written.
"""

from __future__ import annotations

from collections.abc import Mapping

LocalText = str | dict[str, str]
ALIASES = {"no": "nb", "nn": "nb"}


def chain(locale: str | None) -> list[str]:
    """Locales to try for ``locale``, most specific first (no default appended)."""
    if not locale:
        return []
    lang = locale.replace("_", "-").split("-")[0].lower()
    out: list[str] = []
    for candidate in (locale, locale.replace("_", "-"), lang, ALIASES.get(lang, lang)):
        if candidate not in out:
            out.append(candidate)
    return out


def pick(text: LocalText | Mapping[str, str] | None, locale: str | None, default: str) -> str:
    """The text in ``locale`` (or its language), else in ``default``, else any written one."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    for candidate in chain(locale) + chain(default):
        if text.get(candidate):
            return text[candidate]
    return next((t for t in text.values() if t), "")


def as_map(text: LocalText, default: str) -> dict[str, str]:
    """The mapping form: a plain string is the text in the default locale."""
    return {default: text} if isinstance(text, str) else dict(text)


def local(mapping: Mapping[str, str] | str | None, locale: str | None, fallback: str) -> str:
    """``mapping``'s text for ``locale`` (or its language), else ``fallback`` (the text already
    stored in the default locale). ``mapping`` may be a jsonb column still as JSON text."""
    if isinstance(mapping, str):
        import msgspec

        mapping = msgspec.json.decode(mapping) if mapping else None
    for candidate in chain(locale):
        if mapping and mapping.get(candidate):
            return mapping[candidate]
    return fallback
