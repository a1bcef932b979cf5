"""How many SMS a text costs: GSM-7 (160 characters, 153 per part) or UCS-2 (70, 67 per part).

GSM 03.38's basic alphabet takes one septet per character, its extension table (``€``, ``[``,
``{``...) two. One character outside both makes the whole message UCS-2, where the count is
in UTF-16 code units (an emoji is two). Norwegian's æ, ø, å, Æ, Ø, Å are in the basic
alphabet; a typographic apostrophe or dash is not, and quietly halves a message's room.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENDED = frozenset("^{}\\[~]|€\f")
Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: Encoding
    characters: int
    units: int
    """Septets (GSM-7) or UTF-16 code units (UCS-2): what the segment limits count."""
    segments: int
    per_segment: int
    non_gsm: tuple[str, ...] = ()
    """The characters that forced UCS-2 (so marketing can replace them)."""


def measure(text: str) -> SmsLength:
    """Encoding, length and segment count of ``text``, as a carrier would split it."""
    outside = tuple(dict.fromkeys(c for c in text if c not in GSM_BASIC and c not in GSM_EXTENDED))
    if outside:
        units = len(text.encode("utf-16-le")) // 2
        single, multi, encoding = 70, 67, "UCS-2"
    else:
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        single, multi, encoding = 160, 153, "GSM-7"
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = -(-units // multi)
    per = single if segments <= 1 else multi
    return SmsLength(encoding, len(text), units, segments, per, outside)  # type: ignore[arg-type]
