"""The fast paths of reading numbers.yaml give exactly what the checked paths give.

* libyaml's composer (``compose.compose_fast``) is used only for trees the checked
  composer builds alike; whatever it cannot vouch for (errors, anchors, tags,
  deep nesting, a second document) goes to the checked composer, whose words
  the corpus pins.
* A number already in E.164 skips ``phonenumbers.parse`` only where the parse
  could not change it; one found valid before is not validated again.
* The same bytes are parsed once per process (the Pulumi program reads
  numbers.yaml before its component plans with it).
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler import desired
from reconciler.core.errors import NumbersFileError
from reconciler.core.model import E164_PATTERN, DesiredNumber, DesiredState
from reconciler.desired import compose as desired_compose
from reconciler.desired import normalize_number, parse_desired
from reconciler.desired import numbers as desired_numbers

HERE = Path(__file__).parent
COMMITTED = sorted([*(HERE / "corpus").glob("*.yaml"), *(HERE / "valid").glob("*.yaml")])
MINIMAL = (HERE / "valid" / "minimal.yaml").read_text()

PROPERTY_SETTINGS = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    """Each test starts with nothing parsed or validated before."""
    desired._parsed.clear()
    desired_numbers._known.clear()
    yield
    desired._parsed.clear()
    desired_numbers._known.clear()


def _outcome(data: bytes) -> DesiredState | tuple[int | None, str]:
    desired._parsed.clear()
    try:
        return parse_desired(data, "numbers.yaml")
    except NumbersFileError as error:
        return error.line, str(error)


def _checked_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desired_compose, "compose_fast", lambda text: (False, None))


# --------------------------------------------------------------------------
# libyaml's composer
# --------------------------------------------------------------------------


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_both_composers_give_the_same_outcome_for_every_committed_file(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = path.read_bytes()
    fast = _outcome(data)
    _checked_only(monkeypatch)
    assert _outcome(data) == fast


def _shape(node: Node) -> object:
    """Everything of a node the validator reads: kind, tag, value, line."""
    line = node.start_mark.line
    if isinstance(node, ScalarNode):
        return ("scalar", node.tag, node.value, line)
    if isinstance(node, SequenceNode):
        return ("seq", node.tag, line, [_shape(item) for item in node.value])
    assert isinstance(node, MappingNode)
    return ("map", node.tag, line, [(_shape(k), _shape(v)) for k, v in node.value])


def _assert_fast_agrees(text: str) -> None:
    decided, root = desired_compose.compose_fast(text)
    if not decided:
        return  # the checked composer decides: nothing to compare
    try:
        checked = desired_compose.compose_checked(text, "numbers.yaml")
    except NumbersFileError as error:
        pytest.fail(f"libyaml accepted what the checked composer refuses: {error}")
    assert (root is None) == (checked is None)
    if root is not None and checked is not None:
        assert _shape(root) == _shape(checked)


# Pieces of YAML that exercise the scanners where libyaml and PyYAML could
# differ: indentation, flow collections, quoting and escapes, line breaks of
# every kind, comments, document markers, properties, implicit types.
FRAGMENTS = [
    "\n", "\r\n", "\r", "\x85", "\u2028", " ", "  ", "\t", "- ", "-", ": ", ":", "? ",
    "[", "]", "{", "}", ", ", ",", "#", " # c", "'", "''", '"', '\\"', "\\n", "\\x41",
    "\\u00e9", "\\", "|", ">", "|-\n", "---", "...", "--- ", "%YAML 1.1\n", "&a ", "*a",
    "!!str ", "!x ", "!", "&", "*", "~", "null", "yes", "true", "010", "0x1A", "1_000",
    "1:30", "1.5", ".inf", "2026-01-01", "<<", "=", "+12065550100", "+1 206 555 0101",
    "number", "description", "numbers", "version: 1", "a", "b", "é", "🙂", "x y",
    "\ufeff", "|+", ">-", "|2", "%TAG ! tag:x,2000:\n", "'it''s'", '"\\t"', "[a:b]", "? [a]",
]  # fmt: skip


@PROPERTY_SETTINGS
@given(
    st.lists(st.sampled_from(FRAGMENTS), max_size=40)
    .map("".join)
    .flatmap(lambda text: st.sampled_from([text, text + "\n"]))
)
@example("a: 'x\n  y'\n")
@example('a: "x\\\n  y"\n')
@example("a:\n- b\n-  c\n")
@example("? a\n: b\n")
@example("? ")
@example("''\t\n")
@example("|#\n")
@example("\n\ufeff---\n")
@example("a: b\r\nc: d\x85e: f\u2028g: h\n")
def test_libyaml_builds_what_the_checked_composer_builds(text: str) -> None:
    _assert_fast_agrees(text)


@PROPERTY_SETTINGS
@given(
    st.integers(min_value=0, max_value=len(MINIMAL)),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=6).map("".join),
)
def test_libyaml_agrees_on_a_valid_file_with_something_inserted(at: int, insert: str) -> None:
    text = MINIMAL[:at] + insert + MINIMAL[at:]
    _assert_fast_agrees(text)
    data = text.encode()
    monkeypatch = pytest.MonkeyPatch()
    fast = _outcome(data)
    try:
        _checked_only(monkeypatch)
        assert _outcome(data) == fast
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize(
    "text",
    [
        "version: 1\nnote: &a x\n",  # an anchor on a key the validator never reads
        "version: 1\nnote: [x, &a y]\nother: *a\n",
        "version: 1\nnote: !!python/object:os.system x\n",
        "version: 1\nnote: !!str 0100\n",  # a standard tag: the checked path accepts it
        "version: 1\nx: " + "[" * 40 + "]" * 40 + "\n",
        "version: 1\n---\nversion: 1\n",
        "version: 1\nx: *undefined\n",
        "version: 1\nx: [\n",
    ],
)
def test_what_libyaml_cannot_vouch_for_goes_to_the_checked_composer(text: str) -> None:
    assert desired_compose.compose_fast(text) == (False, None)


def test_a_description_with_an_ampersand_or_a_bang_is_still_read_by_libyaml() -> None:
    text = MINIMAL.replace(
        '  - "+12065550100"', '  - number: "+12065550100"\n    description: R&D! (2nd floor)'
    )
    decided, root = desired_compose.compose_fast(text)
    assert decided and root is not None
    state = parse_desired(text.encode(), "numbers.yaml")
    assert state.numbers[0].description == "R&D! (2nd floor)"


def test_nesting_beyond_the_bound_stops_libyaml_before_it_recurses() -> None:
    # libyaml's composer recurses in C: the depth bound must stop it first.
    text = "version: 1\nx: " + "[" * 100_000
    assert desired_compose.compose_fast(text) == (False, None)
    with pytest.raises(NumbersFileError, match="nested too deeply"):
        parse_desired(text.encode(), "numbers.yaml")


# --------------------------------------------------------------------------
# Numbers already in E.164
# --------------------------------------------------------------------------


def _full(text: str) -> str:
    """What the full parse alone says: the E.164 form, or its ValueError's words."""
    try:
        return desired_numbers._normalize_parsed(text)[0]
    except ValueError as error:
        return f"ValueError: {error}"


def _normalized(text: str) -> str:
    try:
        return normalize_number(text)
    except ValueError as error:
        return f"ValueError: {error}"


def _examples() -> list[str]:
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in range(12):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found.append(
                    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                )
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(code)
        if number is not None:
            found.append(phonenumbers.format_number(number, E164))
    return sorted(set(found))


E164 = phonenumbers.PhoneNumberFormat.E164
EXAMPLES = _examples()


def test_examples_cover_the_world() -> None:
    assert len(EXAMPLES) > 1000


def _variants() -> st.SearchStrategy[str]:
    digits = st.text("0123456789", min_size=1, max_size=4)
    example = st.sampled_from(EXAMPLES)
    return st.one_of(
        example,
        # The same country code and length, other digits: valid or not.
        st.tuples(example, st.integers(0, 14), digits).map(
            lambda t: (t[0][: 2 + t[1]] + t[2] + t[0][2 + t[1] + len(t[2]) :])[: len(t[0])]
        ),
        # A national prefix, or a leading zero, kept after the country code.
        st.tuples(example, st.sampled_from(["0", "1", "00", "180020", "8"])).map(
            lambda t: t[0][:2] + t[1] + t[0][2:]
        ),
        st.from_regex(r"\A\+[1-9][0-9]{6,16}\Z"),
    )


@PROPERTY_SETTINGS
@given(_variants())
@example("+442079460958")  # GB: national prefix 0 is not written, so nothing to strip
@example("+4402079460958")  # ... and written: the full parse strips it
@example("+390612345678")  # IT: the leading zero is part of the number
@example("+4930000000000000")  # 16 digits: phonenumbers says valid, E.164 says no
@example("+12065550100")
@example("+112065550100")  # NANP: 1 is the national prefix
def test_an_e164_number_normalizes_as_the_full_parse_says(text: str) -> None:
    desired_numbers._known.clear()
    expected = _full(text)
    assert _normalized(text) == expected
    # ... and again, now that it may be remembered.
    assert _normalized(text) == expected
    if not expected.startswith("ValueError"):
        assert _normalized(expected) == expected


@PROPERTY_SETTINGS
@given(st.sampled_from(EXAMPLES), st.sampled_from([" ", "-", "(", ")", ".", "/", "tel:"]))
def test_another_notation_remembered_gives_what_the_full_parse_gives(
    number: str, separator: str
) -> None:
    desired_numbers._known.clear()
    text = f"tel:{number}" if separator == "tel:" else number[:3] + separator + number[3:]
    expected = _full(text)
    assert _normalized(text) == expected
    if not expected.startswith("ValueError"):
        assert _normalized(expected) == expected


@PROPERTY_SETTINGS
@given(_variants())
@example("+12065550100")  # NANP: US, chosen by its patterns
@example("+14165550100")  # ... a number of another region of +1 (CA)
@example("+12423570000")  # ... a region chosen by its leading digits (BS)
@example("+19999999999")  # ... no region of +1
@example("+441624756789")  # GB's code, the Isle of Man's number (leading digits)
@example("+80012345678")  # a non-geographic code (001)
def test_the_validity_check_says_what_phonenumbers_says(text: str) -> None:
    split = desired_numbers._country_code(text[1:])
    if split is None:
        return
    code, national = split
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national or "0"))
    assert _fast_valid(number) == phonenumbers.is_valid_number(number)


def _fast_valid(number: phonenumbers.PhoneNumber) -> bool:
    national = phonenumbers.national_significant_number(number)
    return desired_numbers._is_valid(number.country_code or 0, national)


def test_the_validity_check_agrees_on_every_example_number() -> None:
    for text in EXAMPLES:
        number = phonenumbers.parse(text, None)
        assert _fast_valid(number) == phonenumbers.is_valid_number(number), text
        assert _fast_valid(number), text


def test_the_validity_check_agrees_on_numbers_near_every_example_and_at_random() -> None:
    """Every country code, every length its numbers have and one either side, digits
    changed from the front and the back: 60,000 numbers, the same answer as phonenumbers."""
    rng = random.Random(12)
    checked = valid = quick_hits = 0
    for text in EXAMPLES:
        code, national = desired_numbers._country_code(text[1:]) or (0, "")
        for _ in range(20):
            size = max(1, len(national) + rng.choice((-1, 0, 0, 0, 1)))
            kept = rng.randrange(0, size + 1)
            digits = national[:kept] + "".join(rng.choice("0123456789") for _ in range(size))
            digits = digits[:size]
            if rng.random() < 0.5:
                digits = digits[::-1] if rng.random() < 0.2 else digits
            digits = digits.lstrip("0") or "1"
            number = phonenumbers.PhoneNumber(country_code=code, national_number=int(digits))
            expected = phonenumbers.is_valid_number(number)
            assert _fast_valid(number) == expected, f"+{code}{digits}"
            quick = desired_numbers._written_quick(code)
            if quick is not None and quick.match(digits):  # both answers at once
                assert expected and desired_numbers._canonical(code, digits), f"+{code}{digits}"
                quick_hits += 1
            checked += 1
            valid += expected
    assert checked > 20_000 and 0.1 < valid / checked < 0.9  # both answers well exercised
    assert quick_hits > 1000


def test_a_country_code_whose_patterns_cannot_be_combined_is_left_to_phonenumbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    desired_numbers._country_rules.cache_clear()
    monkeypatch.setattr(desired_numbers, "_UNCOMBINABLE", re.compile(""))  # every pattern
    try:
        assert desired_numbers._country_rules(44) is None
        assert desired_numbers._is_valid(44, "2079460958")
        assert not desired_numbers._is_valid(44, "2079460")
        assert normalize_number("+442079460958") == "+442079460958"
    finally:
        desired_numbers._country_rules.cache_clear()


@PROPERTY_SETTINGS
@given(_variants(), st.integers(1, 10**6))
def test_a_proven_entry_is_the_number_the_constructor_makes(text: str, line: int) -> None:
    """``DesiredNumber.proven`` skips the model's E.164 check only for a text the
    reader's check has just accepted, which is narrower than the model's pattern."""
    desired_numbers._known.clear()
    if not desired_numbers.written_valid(text):
        return
    assert E164_PATTERN.match(text) is not None
    proven = DesiredNumber.proven(text, line)
    made = DesiredNumber(phone_number=text, line=line)
    assert proven == made and hash(proven) == hash(made) and repr(proven) == repr(made)


def test_a_live_number_the_file_validated_is_not_validated_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    file_numbers = ["+12065550100", "+1 206 555 0101", "+44 20 7946 0958"]
    text = MINIMAL.replace('  - "+12065550100"\n', "".join(f'  - "{n}"\n' for n in file_numbers))
    state = parse_desired(text.encode(), "numbers.yaml")
    calls: list[str] = []
    real = desired_numbers._valid_as_written

    def counted(text: str) -> bool:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(desired_numbers, "_valid_as_written", counted)
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: pytest.fail("parsed again"))
    # The listing gives E.164 (ListPhoneNumbersV2): each was validated by the file.
    for number in state.numbers:
        assert normalize_number(number.phone_number) == number.phone_number
    assert calls == []
    # A live number the file does not list is validated once, without the full parse.
    assert normalize_number("+12065550177") == "+12065550177"
    assert normalize_number("+12065550177") == "+12065550177"
    assert calls == ["+12065550177"]


def test_e164_numbers_skip_the_full_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phonenumbers, "parse", lambda *a, **k: pytest.fail("full parse"))
    for number in ("+12065550100", "+442079460958", "+61291234567", "+81312345678"):
        assert normalize_number(number) == number


# --------------------------------------------------------------------------
# One parse per file and run
# --------------------------------------------------------------------------


def test_the_same_bytes_are_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = MINIMAL.encode()
    first = parse_desired(data, "numbers.yaml")
    monkeypatch.setattr(desired, "_compose", lambda *a: pytest.fail("composed again"))
    assert parse_desired(data, "numbers.yaml") is first
    # Another name or other bytes are another file.
    monkeypatch.undo()
    assert parse_desired(data, "other.yaml").source == "other.yaml"
    changed = parse_desired(data + b'  - "+12065550177"\n', "numbers.yaml")
    assert len(changed.numbers) == 2


def test_a_refused_file_is_refused_again() -> None:
    data = MINIMAL.replace("version: 1", "version: 2").encode()
    for _ in range(2):
        with pytest.raises(NumbersFileError, match="unsupported version 2"):
            parse_desired(data, "numbers.yaml")


def test_load_desired_for_refuses_a_file_with_its_own_targets(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_text(MINIMAL)
    arn = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    with pytest.raises(NumbersFileError, match="lists its own targets"):
        desired.load_desired_for(path, [arn])
    lines = MINIMAL.splitlines(keepends=True)
    path.write_text("".join(line for line in lines if "targets" not in line and "arn:" not in line))
    assert [t.arn for t in desired.load_desired_for(path, [arn]).targets] == [arn]
