"""Properties over the whole input space (Hypothesis).

* Bad input raises only NumbersFileError, whatever the bytes.
* A file the loader accepts means what a plain YAML reader says it means.
* Normalizing is idempotent, and every notation of a number meets in one E.164.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import phonenumbers
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reconciler.core.errors import NumbersFileError
from reconciler.core.model import E164_PATTERN, DesiredState
from reconciler.desired import normalize_number, parse_desired

VALID_DIR = Path(__file__).parent / "valid"
VALID_FILES = [p.read_bytes() for p in sorted(VALID_DIR.glob("*.yaml"))]
ARN = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"

PROPERTY_SETTINGS = settings(
    max_examples=300,
    deadline=None,  # phonenumbers loads a region's metadata on first use
    suppress_health_check=[HealthCheck.too_slow],
)


def _parse_or_refuse(data: bytes) -> DesiredState | NumbersFileError:
    """parse_desired's outcome; any exception but NumbersFileError fails the test."""
    try:
        state = parse_desired(data, "numbers.yaml")
    except NumbersFileError as error:
        assert str(error).startswith("numbers.yaml")
        if error.line is not None:
            # splitlines() knows every YAML line break (and a few more).
            text = data.decode("utf-8", "replace")
            assert 1 <= error.line <= len(text.splitlines()) + 1
        return error
    assert isinstance(state, DesiredState)
    assert state.targets
    assert all(E164_PATTERN.match(n.phone_number) for n in state.numbers)
    assert len({n.phone_number for n in state.numbers}) == len(state.numbers)
    assert 0 <= state.quota.reserve <= state.quota.limit
    return state


# --------------------------------------------------------------------------
# Only NumbersFileError, for any input
# --------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    _parse_or_refuse(data)


YAML_TOKENS = [
    "version", "targets", "quota", "numbers", "safety", "allow_empty", "phone_numbers",
    "window_days", "limit_percent", "reserve", "max_releases", "arn", "number", "description",
    ":", ": ", "\n", "\r\n", "  ", "    ", "- ", "-", "[", "]", "{", "}", ", ", "'", '"', "&a ",
    "*a", "!!str ", "!!int ", "!!bool ", "!!float ", "!!map ", "!!seq ", "!!python/name:os ",
    "!x ", "! ", "? ", "# c", "---\n", "...\n", "%YAML 1.1\n", "%TAG !! tag:x,1:\n", "\t", "1",
    "0", "-1", "2", "010", "1.0", ".inf", "true", "yes", "off", "null", "~", "", "<<: ",
    "+12065550100", "+1 (206) 555-0100", "tel:+1-206-555-0100", "2065550100", "+999 1",
    ARN, "arn:aws:connect:eu-west-1:444455556666:instance/x", "|\n", ">-\n", "\\", "\ufeff",
    "\x00", "\x85", "\u2028", "é", "0x10", "1_000", "12:30", "9" * 40,
]  # fmt: skip


yaml_ish = st.lists(st.one_of(st.sampled_from(YAML_TOKENS), st.text(max_size=3)), max_size=60).map(
    "".join
)


@PROPERTY_SETTINGS
@given(yaml_ish)
def test_arbitrary_yaml_ish_text(text: str) -> None:
    _parse_or_refuse(text.encode("utf-8", "surrogatepass"))


@st.composite
def mutated_valid_file(draw: st.DrawFn) -> bytes:
    """A valid file with a few bytes inserted, deleted or replaced."""
    data = bytearray(draw(st.sampled_from(VALID_FILES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(
            st.one_of(
                st.sampled_from(YAML_TOKENS).map(str.encode), st.binary(min_size=1, max_size=3)
            )
        )
        if kind == "insert":
            data[at:at] = chunk
        elif kind == "delete":
            del data[at : at + len(chunk)]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


@PROPERTY_SETTINGS
@given(mutated_valid_file())
def test_mutated_valid_files(data: bytes) -> None:
    _parse_or_refuse(data)


# --------------------------------------------------------------------------
# Accepted files mean what a plain YAML reader says they mean
# --------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 20_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["+12065550100", "+1 206 555 0101", "+442079460958", "yes", "1", ARN]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["arn", "number", "description", "x"]), inner, max_size=3),
    ),
    max_leaves=6,
)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A version-1 document with some of its values replaced by arbitrary ones."""
    doc: dict[str, Any] = {
        "version": 1,
        "targets": [{"arn": ARN}],
        "quota": {"phone_numbers": 10, "window_days": 180, "limit_percent": 200, "reserve": 0},
        "safety": {"max_releases": 10},
        "allow_empty": False,
        "numbers": ["+12065550100", {"number": "+1 206 555 0101", "description": "Support"}],
    }
    slots: list[tuple[dict[str, Any], str]] = [(doc, key) for key in list(doc)]
    slots += [(doc["quota"], key) for key in list(doc["quota"])]
    slots += [(doc["safety"], "max_releases"), (doc["targets"][0], "arn")]
    slots += [(doc["numbers"][1], "number"), (doc["numbers"][1], "description")]
    for _ in range(draw(st.integers(0, 3))):
        parent, key = draw(st.sampled_from(slots))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[key] = draw(values)
        elif action == "delete":
            parent.pop(key, None)
        else:
            parent[draw(st.text(min_size=1, max_size=8))] = draw(values)
    return doc


@PROPERTY_SETTINGS
@given(documents(), st.booleans())
def test_accepted_documents_agree_with_safe_load(doc: dict[str, Any], flow: bool) -> None:
    data = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True).encode()
    outcome = _parse_or_refuse(data)
    if isinstance(outcome, NumbersFileError):
        return
    plain = yaml.safe_load(data)
    assert plain["version"] == 1
    assert [t.arn for t in outcome.targets] == [t["arn"] for t in plain["targets"]]
    quota = plain["quota"]
    assert outcome.quota.phone_numbers == quota["phone_numbers"]
    assert outcome.quota.window_days == quota.get("window_days", 180)
    assert outcome.quota.limit_percent == quota.get("limit_percent", 200)
    assert outcome.quota.reserve == quota.get("reserve", 0)
    assert outcome.max_releases == (plain.get("safety") or {}).get("max_releases", 10)
    assert outcome.allow_empty is plain.get("allow_empty", False)
    entries = [e["number"] if isinstance(e, dict) else e for e in plain["numbers"]]
    assert [n.phone_number for n in outcome.numbers] == [normalize_number(e) for e in entries]


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------


def _examples() -> list[phonenumbers.PhoneNumber]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):  # every PhoneNumberType with example data
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.append(example)
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is not None:
            found.append(example)
    return found


EXAMPLES = _examples()


@st.composite
def valid_numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    """An example number of some region and type, with its last digits varied."""
    example = draw(st.sampled_from(EXAMPLES))
    national = str(example.national_number)
    tail = draw(st.integers(0, min(4, len(national) - 1)))
    digits = draw(st.text("0123456789", min_size=tail, max_size=tail))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code,
        national_number=int(national[: len(national) - tail] + digits),
        italian_leading_zero=example.italian_leading_zero,
        number_of_leading_zeros=example.number_of_leading_zeros,
    )
    assume(phonenumbers.is_valid_number(number))
    return number


def test_examples_cover_the_world() -> None:
    assert len(EXAMPLES) > 1000
    assert len({e.country_code for e in EXAMPLES}) > 200


@PROPERTY_SETTINGS
@given(valid_numbers())
def test_normalize_is_idempotent_on_valid_numbers(number: phonenumbers.PhoneNumber) -> None:
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    once = normalize_number(text)
    assert normalize_number(once) == once
    assert E164_PATTERN.match(once)


@PROPERTY_SETTINGS
@given(st.one_of(st.text(max_size=30), st.from_regex(r"\A(tel:)?\+[0-9 ().\-/]{0,20}\Z")))
def test_normalize_raises_only_value_error_and_is_idempotent(text: str) -> None:
    try:
        once = normalize_number(text)
    except ValueError as error:
        assert str(error)
        return
    assert E164_PATTERN.match(once)
    assert normalize_number(once) == once


@PROPERTY_SETTINGS
@given(valid_numbers())
def test_every_notation_meets_in_one_e164(number: phonenumbers.PhoneNumber) -> None:
    fmt = phonenumbers.PhoneNumberFormat
    e164 = phonenumbers.format_number(number, fmt.E164)
    national = phonenumbers.format_number(number, fmt.NATIONAL)
    notations = [
        e164,
        phonenumbers.format_number(number, fmt.INTERNATIONAL),
        phonenumbers.format_number(number, fmt.RFC3966),  # tel:+1-206-555-0100
        f"+{number.country_code} {national}",  # "+44 020 7946 0958": trunk prefix and all
    ]
    assert {normalize_number(text) for text in notations} == {e164}


@PROPERTY_SETTINGS
@given(valid_numbers())
def test_national_notation_alone_is_refused(number: phonenumbers.PhoneNumber) -> None:
    # Without a country code a number is ambiguous; the file must say which country.
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    try:
        normalize_number(national)
    except ValueError as error:
        assert "country code" in str(error) or "is not a phone number" in str(error)
    else:
        raise AssertionError(f"{national!r} was accepted without a country code")


@PROPERTY_SETTINGS
@given(
    st.lists(
        valid_numbers(),
        min_size=1,
        max_size=5,
        unique_by=lambda n: (n.country_code, n.national_number, n.number_of_leading_zeros or 0),
    )
)
def test_file_of_valid_numbers_in_international_notation(numbers: list[Any]) -> None:
    fmt = phonenumbers.PhoneNumberFormat
    lines = [f'  - "{phonenumbers.format_number(n, fmt.INTERNATIONAL)}"' for n in numbers]
    data = (
        f"version: 1\ntargets:\n  - arn: {ARN}\nquota:\n  phone_numbers: 10\nnumbers:\n"
        + "\n".join(lines)
        + "\n"
    ).encode()
    expected = [phonenumbers.format_number(n, fmt.E164) for n in numbers]
    assume(len(set(expected)) == len(expected))
    state = parse_desired(data, "numbers.yaml")
    assert [n.phone_number for n in state.numbers] == expected
    assert [n.line for n in state.numbers] == list(range(7, 7 + len(numbers)))
