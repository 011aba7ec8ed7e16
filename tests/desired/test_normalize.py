"""normalize_number: E.164 out, a human reason in the ValueError otherwise."""

from __future__ import annotations

import pytest

from reconciler.desired import normalize_number


@pytest.mark.parametrize(
    "text",
    [
        "+12065550100",
        "+1 206 555 0100",
        "+1 (206) 555-0100",
        "+1-206-555-0100",
        "+1.206.555.0100",
        "+1/206/555/0100",
        " +1 206 555 0100\t",
        "tel:+1-206-555-0100",
        "TEL:+12065550100",
        "+1\u00a0206\u00a0555\u00a00100",  # non-breaking spaces pasted from a web page
    ],
)
def test_notations_of_one_number(text: str) -> None:
    assert normalize_number(text) == "+12065550100"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "'' is empty"),
        ("   ", "is empty"),
        ("tel:", "is empty"),
        ("2065550100", "'2065550100' has no country code (it must start with +)"),
        ("(206) 555-0100", "has no country code"),
        ("00 44 20 7946 0958", "has no country code"),
        ("tel:2065550100", "has no country code"),
        ("unknown", "'unknown' is not a phone number"),
        ("+1 800 FLOWERS", "contains letters"),
        ("+1 206 555 0100 x12", "contains letters"),
        ("+1 206 555 0100;ext=12", "contains ';' (U+003B)"),
        ("+1 206 555 0100\u2011", "contains '\u2011' (U+2011)"),
        ("+", "is not a phone number"),
        ("+999 1234 5678", "has no valid country code after +"),
        ("+1 206 555 010", "is too short for country code +1"),
        ("+1 206 555 01000", "is too long for country code +1"),
        ("+44 20 7946 095", "numbering plan of country code +44"),
        ("+33 1 23 45 67 8", "is too short for country code +33 (FR)"),
        ("+1 099 555 0100", "is not a valid number in the numbering plan of country code +1"),
        ("+" + "1" * 300, "is too long"),
    ],
)
def test_refusals_say_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalize_number(text)
    assert reason in str(caught.value)


def test_long_input_is_shortened_in_the_reason() -> None:
    with pytest.raises(ValueError) as caught:
        normalize_number("x" * 10_000)
    assert len(str(caught.value)) < 120


def test_non_geographic_number() -> None:
    # +800 is a global freephone code with no region.
    assert normalize_number("+800 1234 5678") == "+80012345678"


def test_shared_country_code_names_no_single_region() -> None:
    # +1 is the whole North American Numbering Plan, not just the US.
    with pytest.raises(ValueError) as caught:
        normalize_number("+1 206 555 010")
    assert str(caught.value) == "'+1 206 555 010' is too short for country code +1"
