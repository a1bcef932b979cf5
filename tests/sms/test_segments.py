"""SMS length: GSM-7 (160, 153 per part) against UCS-2 (70, 67 per part)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from loyalty.sms import phones
from loyalty.sms.segments import GSM_BASIC, measure


def test_gsm7_and_its_extension_table() -> None:
    assert (measure("a" * 160).segments, measure("a" * 161).segments) == (1, 2)
    assert measure("a" * 306).segments == 2 and measure("a" * 307).segments == 3
    euro = measure("€" * 80)
    assert (euro.encoding, euro.units, euro.segments) == ("GSM-7", 160, 1)
    nb = measure("Velkommen i klubben! Du tjener poeng på hvert besøk. Æøå")
    assert nb.encoding == "GSM-7"


def test_one_character_outside_gsm7_makes_the_text_ucs2() -> None:
    quote = measure("It\u2019s " + "a" * 60)
    assert (quote.encoding, quote.segments, quote.non_gsm) == ("UCS-2", 1, ("\u2019",))
    assert measure("\u2019" + "a" * 70).segments == 2
    emoji = measure("🎉" * 35)  # two UTF-16 units each
    assert (emoji.characters, emoji.units, emoji.segments) == (35, 70, 1)
    assert measure("").segments == 0


@given(st.text(alphabet=sorted(GSM_BASIC), min_size=1, max_size=800))
def test_gsm7_segments_hold_the_whole_text(text: str) -> None:
    found = measure(text)
    assert found.encoding == "GSM-7"
    capacity = 160 if found.segments == 1 else 153 * found.segments
    assert found.units <= capacity and (
        found.segments == 1 or found.units > 153 * (found.segments - 1)
    )


def test_spellings_of_one_number_are_one_e164() -> None:
    spellings = ["+47 912 34 567", "004791234567", "91234567", "+47-912-34-567", " 912 34 567 "]
    assert {phones.parse(s, "NO") for s in spellings} == {"+4791234567"}
    assert phones.parse("07911 123456", "GB") == phones.parse("+44 7911 123456", "NO")
    for bad in ("", "12", "+47 123", "not a number", "9" * 40):
        assert phones.parse(bad, "NO") is None
    assert phones.is_e164("+4791234567") and not phones.is_e164("91234567")
