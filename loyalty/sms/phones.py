"""Phone numbers in one spelling: E.164, read with the program's country as default region.

``+47 912 34 567``, ``004791234567`` and (in Norway) ``91234567`` are one number,
``+4791234567``. What libphonenumber does not call a valid number is refused with a 422
naming the field, so nothing unusable is stored or handed to an SMS provider.
"""

from __future__ import annotations

import phonenumbers

from loyalty import program
from loyalty.errors import Invalid

MAX_INPUT = 32


def parse(raw: str, region: str) -> str | None:
    """The E.164 spelling of ``raw``, or ``None`` when it is not a valid number."""
    text = raw.strip()
    if not text or len(text) > MAX_INPUT:
        return None
    if text.startswith("00"):
        text = "+" + text[2:]  # the international prefix of most of Europe, from any region
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_e164(value: str | None) -> bool:
    """True for a stored number that is valid as it stands (the planner's last check)."""
    return value is not None and value.startswith("+") and parse(value, "ZZ") == value


async def normalise(raw: str, *, field: str = "phone") -> str:
    """``raw`` in E.164 under the current program's country, or a 422 naming ``field``."""
    region = (await program.get_rules()).country
    found = parse(raw, region)
    if found is None:
        raise Invalid(
            "invalid_phone",
            f"{field} is not a valid phone number (country {region} when none is given)",
            field=field,
        )
    return found
