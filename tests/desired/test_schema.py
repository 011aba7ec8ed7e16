"""The published JSON Schema (numbers.schema.json) agrees with `connect-numbers validate`.

`validate` (reconciler.desired) is the definition of a valid file; the schema
is what editors check while typing (yaml-language-server, through the modeline
on the first line of numbers.yaml). The tests hold the two together:

* every valid sample passes both, and so does every document Hypothesis builds
  from the grammar of version 1 (the schema never refuses a file validate
  accepts);
* every file of the malformed corpus is refused by validate, and by the schema
  too, except the files listed in ``SCHEMA_CANNOT_TELL`` with the reason:
  rules JSON Schema cannot express. The table is checked in both directions,
  so it can neither silently grow nor go stale.

The schema side reads YAML the way an editor does: a plain YAML load, then the
schema. A file YAML cannot load at all (syntax errors, duplicate keys, anchors
and aliases, unsupported tags, bytes that are not UTF-8, oversize) counts as
refused on that side, as an editor shows a YAML error there. It is checked in
two readings: YAML 1.1 (PyYAML's, the one validate itself uses to type plain
scalars) and the YAML 1.2 core schema (yaml-language-server's default), since
``yes`` or ``0x10`` mean different things in the two.
"""

from __future__ import annotations

import io
import json
import math
import re
import tempfile
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, ClassVar

import phonenumbers
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent, NodeEvent
from yaml.nodes import MappingNode, Node

from reconciler.cli import main
from reconciler.core.model import NumberType
from reconciler.desired import (
    MAX_FILE_BYTES,
    entries,
    load_desired,
    normalize_number,
    parse_desired,
    policy,
    targets,
    validate,
)
from tests.desired.test_corpus import CORPUS, CORPUS_DIR, VALID

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ROOT / "numbers.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
MODELINE = "# yaml-language-server: $schema=./numbers.schema.json"

VALID_SAMPLES = sorted(
    [
        *(ROOT / "tests" / "desired" / "valid").glob("*.yaml"),
        ROOT / "numbers.yaml",
        *(ROOT / "examples").glob("**/numbers*.yaml"),
    ]
)

YAML_11 = "yaml-1.1"
YAML_12 = "yaml-1.2"
READINGS = (YAML_11, YAML_12)

# Corpus files validate refuses and the schema accepts, with the reason, and
# the readings in which the schema accepts them.
SCHEMA_CANNOT_TELL: dict[str, tuple[str, tuple[str, ...]]] = {
    "duplicate_number_notations": (
        "the same number in two notations: equal only after E.164 normalization",
        READINGS,
    ),
    "generated_duplicate_unquoted_and_tel": (
        "the same number unquoted (an integer to YAML) and as tel:+1-206-555-0100",
        READINGS,
    ),
    "invalid_number_too_short": (
        "well-formed, but too short for its country's numbering plan (phonenumbers)",
        READINGS,
    ),
    "invalid_number_unassigned": (
        "well-formed, but an unassigned area code in its country's plan (phonenumbers)",
        READINGS,
    ),
    "number_unquoted_national": (
        "unquoted 2065550100 and unquoted +2065550100 are the same integer to YAML; "
        "the schema cannot see whether the + was written",
        READINGS,
    ),
    "reserve_above_limit": (
        "reserve > floor(phone_numbers * limit_percent / 100) is arithmetic across keys",
        READINGS,
    ),
    "version_float": (
        "1.0 is the integer 1 in JSON Schema's data model (and in editors)",
        READINGS,
    ),
    "quota_hex": (
        "0x10 is the integer 16 to YAML; the schema sees the value, not its spelling",
        READINGS,
    ),
    "generated_leading_zero": (
        "010 is an integer to YAML (8 in 1.1, 10 in 1.2); the schema sees the value only",
        READINGS,
    ),
    "tags_value_missing": (
        "`team:` with no value is null to YAML, as `team: null` (a removal) is; validate "
        "asks for null written out, the schema sees only the value",
        READINGS,
    ),
    "tags_key_bad_character": (
        "botocore's TagKey pattern uses \\p{L}, \\p{Z}, \\p{N}, which the schema's "
        "regular expressions (Python's re, in the tests) cannot write",
        READINGS,
    ),
    "allow_empty_yes": (
        "YAML 1.1 reads yes as the boolean true; validate refuses 1.1-only booleans, the "
        "schema sees only true (in YAML 1.2 it is the string 'yes' and the schema refuses it)",
        (YAML_11,),
    ),
}


# --------------------------------------------------------------------------
# The two sides
# --------------------------------------------------------------------------


def validate_exit_code(path: Path) -> int:
    """`connect-numbers validate PATH`, as a user runs it; 0 accepted, 1 refused."""
    with (
        redirect_stdout(io.StringIO()),
        redirect_stderr(io.StringIO()),
        pytest.raises(SystemExit) as exited,
    ):
        main(["validate", str(path)])
    code = exited.value.code
    return 0 if code is None else int(code)


class _Yaml11Loader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys, anchors and aliases."""

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or (
            isinstance(event, NodeEvent) and event.anchor is not None
        ):
            raise yaml.YAMLError(f"anchors and aliases are not loaded (line {_line(event)})")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        self.flatten_mapping(node)
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # unhashable: let PyYAML say so
                break
            if duplicate:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


def _line(event: Any) -> int:
    return int(event.start_mark.line) + 1


class _Yaml12Loader(_Yaml11Loader):
    """The same, typing plain scalars by the YAML 1.2 core schema (yaml-language-server)."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {}  # PyYAML's per-class registry


_CORE = "tag:yaml.org,2002:"
for _tag, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
):
    _Yaml12Loader.add_implicit_resolver(_CORE + _tag, re.compile(_pattern), _first)


def _construct_int_12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _construct_float_12(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> float:
    text = str(loader.construct_scalar(node))
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return -math.inf if text.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


_Yaml12Loader.add_constructor(_CORE + "int", _construct_int_12)
_Yaml12Loader.add_constructor(_CORE + "float", _construct_float_12)

LOADERS: dict[str, type[_Yaml11Loader]] = {YAML_11: _Yaml11Loader, YAML_12: _Yaml12Loader}


def _load(text: str, reading: str) -> Any:
    """One YAML document as plain data (the reader refuses control characters here)."""
    loader = LOADERS[reading](text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def schema_errors(data: bytes, reading: str) -> list[str]:
    """Why the schema side refuses ``data`` (YAML problems included); [] if it accepts."""
    if len(data) > MAX_FILE_BYTES:
        return [f"over {MAX_FILE_BYTES} bytes"]
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        return [f"YAML: not UTF-8: {exc}"]
    try:
        document = _load(text, reading)
    # ValueError: an integer longer than Python converts (an editor overflows it instead).
    except (yaml.YAMLError, ValueError) as exc:
        return [f"YAML: {exc}"]
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in VALIDATOR.iter_errors(document)
    ]


def schema_errors_for_file(path: Path, reading: str) -> list[str]:
    size = path.stat().st_size  # before reading: a sparse 64 GiB file is never read
    if size > MAX_FILE_BYTES:
        return [f"{size} bytes, over {MAX_FILE_BYTES}"]
    return schema_errors(path.read_bytes(), reading)


# --------------------------------------------------------------------------
# The schema itself
# --------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"] and SCHEMA["title"] and SCHEMA["description"]
    assert SCHEMA["examples"]


def _subschemas(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for key, value in node.items():
            # Values, and the if/then/else constraints (not definitions, no hover docs).
            if key not in ("examples", "default", "const", "enum", "if", "then", "else"):
                found += _subschemas(value)
    elif isinstance(node, list):
        for value in node:
            found += _subschemas(value)
    return found


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    assert ref.startswith("#/$defs/"), ref
    return SCHEMA["$defs"][ref.removeprefix("#/$defs/")]


def test_every_property_is_documented_and_every_object_is_closed() -> None:
    # Descriptions are the hover docs of yaml-language-server.
    for node in _subschemas(SCHEMA):
        for name, prop in node.get("properties", {}).items():
            assert _resolve(prop).get("description"), f"property {name!r} has no description"
        if node.get("type") == "object" and "propertyNames" in node:
            # A map of the user's own keys (a number's tags): every key and value checked.
            assert isinstance(node.get("additionalProperties"), dict), node.get("description")
        elif node.get("type") == "object":
            assert node.get("additionalProperties") is False, node.get("description")
    for name, definition in SCHEMA["$defs"].items():
        assert definition.get("description"), f"$defs/{name} has no description"


def test_the_schema_knows_exactly_the_keys_the_loader_knows() -> None:
    defs = SCHEMA["$defs"]
    assert list(SCHEMA["properties"]) == list(validate._TOP_KEYS)
    assert SCHEMA["required"] == list(validate._TOP_REQUIRED)
    assert set(defs["target"]["properties"]) == set(targets._TARGET_KEYS)
    assert set(defs["quota"]["properties"]) == set(policy._QUOTA_KEYS)
    assert set(defs["safety"]["properties"]) == set(policy._SAFETY_KEYS)
    assert set(defs["numberEntry"]["properties"]) == set(entries._NUMBER_KEYS)


def test_schema_defaults_are_the_loaders_defaults() -> None:
    state = parse_desired((ROOT / "tests/desired/valid/minimal.yaml").read_bytes(), "x.yaml")
    quota = SCHEMA["$defs"]["quota"]["properties"]
    assert quota["window_days"]["default"] == state.quota.window_days
    assert quota["limit_percent"]["default"] == state.quota.limit_percent
    assert quota["reserve"]["default"] == state.quota.reserve
    assert quota["assume_prior"]["default"] == state.quota.assume_prior
    assert SCHEMA["$defs"]["safety"]["properties"]["max_releases"]["default"] == (
        state.max_releases
    )
    assert SCHEMA["properties"]["allow_empty"]["default"] is state.allow_empty
    safety = SCHEMA["$defs"]["safety"]["properties"]
    assert set(safety["release_types"]["default"]) == state.release_types
    assert safety["release_imported"]["default"] is state.release_imported
    assert safety["release_types"]["items"]["enum"] == [t.value for t in NumberType]


def test_numbers_yaml_starts_with_the_modeline() -> None:
    numbers = ROOT / "numbers.yaml"
    first = numbers.read_text(encoding="utf-8").splitlines()[0]
    assert first == MODELINE
    assert (numbers.parent / first.split("$schema=", 1)[1]).resolve() == SCHEMA_PATH


# --------------------------------------------------------------------------
# Valid files: both accept
# --------------------------------------------------------------------------


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("path", VALID_SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_valid_sample_passes_the_schema_and_the_loader(path: Path, reading: str) -> None:
    load_desired(path)
    assert schema_errors_for_file(path, reading) == []


@pytest.mark.parametrize("index", range(len(SCHEMA["examples"])))
def test_schema_examples_are_valid_files(index: int, tmp_path: Path) -> None:
    example = SCHEMA["examples"][index]
    assert list(VALIDATOR.iter_errors(example)) == []
    path = tmp_path / "numbers.yaml"
    path.write_text(yaml.safe_dump(example, sort_keys=False), encoding="utf-8")
    assert validate_exit_code(path) == 0
    for reading in READINGS:
        assert schema_errors_for_file(path, reading) == []


# --------------------------------------------------------------------------
# Malformed files: both refuse, except the listed rules the schema cannot express
# --------------------------------------------------------------------------

_LONG_KEY = b"? " + b"x" * 100_000 + b"\n: 1\n"

# The inputs test_corpus.py generates instead of committing (bytes, sizes).
GENERATED: dict[str, Callable[[], bytes]] = {
    "generated_non_utf8": lambda: VALID.replace(b"numbers:\n", b"numbers:\n  # caf\xe9\n"),
    "generated_utf16": lambda: VALID.decode().encode("utf-16"),
    "generated_nul_byte": lambda: VALID.replace(b"quota:", b"quota:\x00"),
    "generated_control_character": lambda: VALID + b"# \x1b[31m\n",
    "generated_lone_cr_control_character": lambda: VALID.replace(b"\n", b"\r").replace(
        b"quota:", b"quota:\x07"
    ),
    "generated_lone_cr_bad_byte": lambda: VALID.replace(b"\n", b"\r") + b"\xff",
    "generated_over_the_limit": lambda: VALID + b"#" * (MAX_FILE_BYTES + 1),
    "generated_huge_integer": lambda: VALID.replace(
        b"phone_numbers: 10", b"phone_numbers: " + b"9" * 50_000
    ),
    "generated_long_unknown_key": lambda: VALID + _LONG_KEY,
    "generated_leading_zero": lambda: VALID.replace(b"phone_numbers: 10", b"phone_numbers: 010"),
    "generated_duplicate_unquoted_and_tel": lambda: (
        VALID + b"  - +12065550100\n  - tel:+1-206-555-0100\n"
    ),
    "generated_wide_alias_bomb": lambda: "\n".join(
        ["version: 1", "l0: &l0 [x]"]
        + [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 30)]
    ).encode(),
}
SPARSE = "generated_sparse_64_gib"  # a file of holes, refused by size unread


def _assert_agree(name: str, path: Path, reading: str) -> None:
    assert validate_exit_code(path) == 1, f"validate accepts {name}"
    errors = schema_errors_for_file(path, reading)
    reason, readings = SCHEMA_CANNOT_TELL.get(name, ("", ()))
    if reading in readings:
        assert errors == [], f"listed as inexpressible ({reason}), but the schema refuses it"
    else:
        assert errors, f"the schema ({reading}) accepts {name}, which validate refuses"


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("stem", sorted(CORPUS))
def test_corpus_file_is_refused_by_validate_and_the_schema(stem: str, reading: str) -> None:
    _assert_agree(stem, CORPUS_DIR / f"{stem}.yaml", reading)


@pytest.mark.parametrize("reading", READINGS)
@pytest.mark.parametrize("name", sorted(GENERATED))
def test_generated_file_is_refused_by_validate_and_the_schema(
    name: str, reading: str, tmp_path: Path
) -> None:
    path = tmp_path / "numbers.yaml"
    path.write_bytes(GENERATED[name]())
    _assert_agree(name, path, reading)


def test_sparse_file_is_refused_by_both_unread(tmp_path: Path) -> None:
    path = tmp_path / "numbers.yaml"
    with path.open("wb") as stream:
        stream.truncate(64 * 1024 * 1024 * 1024)
    for reading in READINGS:
        _assert_agree(SPARSE, path, reading)


def test_the_table_of_inexpressible_rules_names_only_known_files() -> None:
    assert set(SCHEMA_CANNOT_TELL) <= set(CORPUS) | set(GENERATED)
    assert all(reason and readings for reason, readings in SCHEMA_CANNOT_TELL.values())


# --------------------------------------------------------------------------
# Hypothesis: the schema never refuses a file validate accepts
# --------------------------------------------------------------------------


def _example_numbers() -> list[phonenumbers.PhoneNumber]:
    kinds = (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    )
    found: dict[str, phonenumbers.PhoneNumber] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            try:
                normalize_number(e164)
            except ValueError:  # over 15 digits, or invalid in this phonenumbers release
                continue
            found.setdefault(e164, number)
    return [found[key] for key in sorted(found)]


EXAMPLE_NUMBERS = _example_numbers()

_FORMATS = phonenumbers.PhoneNumberFormat


def _notations(number: phonenumbers.PhoneNumber) -> list[tuple[str, bool]]:
    """(text, may be written unquoted) for the notations validate accepts."""
    e164 = phonenumbers.format_number(number, _FORMATS.E164)
    international = phonenumbers.format_number(number, _FORMATS.INTERNATIONAL)
    code = str(number.country_code)
    national = e164.removeprefix("+" + code)
    return [
        (e164, True),  # unquoted: the integer 12065550100 to YAML
        (international, True),
        (international.replace(" ", "-"), True),
        (international.replace(" ", ".").replace("-", "."), True),
        (international.replace(" ", "/").replace("-", "/"), True),
        (phonenumbers.format_number(number, _FORMATS.RFC3966), True),
        ("TEL:" + e164, True),
        (f"+{code} ({national[:3]}) {national[3:]}", False),
        (f"+{code}.{national}", True),  # unquoted: a float to YAML
        (f"  {e164}  ", False),
    ]


def _scalar(text: str, plain: bool) -> str:
    return text if plain else json.dumps(text, ensure_ascii=False)


def _reads_as_string(text: str) -> bool:
    return all(_load_or_none(text, reading) == text for reading in READINGS)


def _load_or_none(text: str, reading: str) -> Any:
    try:
        return _load(text, reading)
    except yaml.YAMLError:
        return None


descriptions = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=24
)


@st.composite
def _description(draw: st.DrawFn) -> str:
    text = draw(descriptions)
    plain = bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9 ]*[A-Za-z0-9]", text)) and _reads_as_string(text)
    return _scalar(text, plain and draw(st.booleans()))


@st.composite
def _integer(draw: st.DrawFn, low: int, high: int) -> str:
    value = draw(st.integers(low, high))
    return ("+" if draw(st.booleans()) and value > 0 else "") + str(value)


@st.composite
def _targets(draw: st.DrawFn) -> list[str]:
    partition, region = draw(
        st.sampled_from(
            [
                ("aws", "us-east-1"),
                ("aws", "eu-west-2"),
                ("aws", "ap-southeast-2"),
                ("aws-us-gov", "us-gov-west-1"),
                ("aws-cn", "cn-north-1"),
            ]
        )
    )
    account = draw(st.from_regex(r"[0-9]{12}", fullmatch=True))
    ids = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["instance", "traffic-distribution-group"]),
                st.from_regex(r"[A-Za-z0-9-]{1,40}", fullmatch=True),
            ),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    lines = []
    for kind, resource in ids:
        arn = f"arn:{partition}:connect:{region}:{account}:{kind}/{resource}"
        lines.append(f"  - arn: {_scalar(arn, draw(st.booleans()))}")
        if draw(st.booleans()):
            lines.append(f"    description: {draw(_description())}")
    return lines


@st.composite
def _quota(draw: st.DrawFn) -> list[str]:
    entries: list[str] = []
    auto = draw(st.booleans())
    phone_numbers = draw(st.integers(1, 100_000))
    if auto:
        entries.append(f"phone_numbers: {_scalar('auto', draw(st.booleans()))}")
        entries.append(f"fallback: {phone_numbers}")
    else:
        entries.append(f"phone_numbers: {phone_numbers}")
    limit_percent = 200
    if draw(st.booleans()):
        limit_percent = draw(st.integers(1, 10_000))
        entries.append(f"limit_percent: {limit_percent}")
    if draw(st.booleans()):
        entries.append(f"window_days: {draw(_integer(1, 3650))}")
    if draw(st.booleans()):
        limit = phone_numbers * limit_percent // 100
        entries.append(f"reserve: {draw(_integer(0, limit))}")
    if draw(st.booleans()):
        entries.append(f"assume_prior: {draw(_integer(0, 10**9))}")
    return ["  " + entry for entry in draw(st.permutations(entries))]


@st.composite
def _numbers(draw: st.DrawFn) -> list[str]:
    chosen = draw(st.lists(st.sampled_from(EXAMPLE_NUMBERS), max_size=8, unique_by=str))
    lines = []
    for number in chosen:
        text, may_be_plain = draw(st.sampled_from(_notations(number)))
        scalar = _scalar(text, may_be_plain and draw(st.booleans()))
        if draw(st.booleans()):
            lines.append(f"  - {scalar}")
        else:
            lines.append(f"  - number: {scalar}")
            if draw(st.booleans()):
                lines.append(f"    description: {draw(_description())}")
    return lines


@st.composite
def valid_documents(draw: st.DrawFn) -> str:
    sections: list[list[str]] = [
        ["version: 1"],
        ["targets:", *draw(_targets())],
        ["quota:", *draw(_quota())],
    ]
    if draw(st.booleans()):
        sections.append(
            [f"safety: {{max_releases: {draw(_integer(0, 1000))}}}"]
            if draw(st.booleans())
            else ["safety: {}"]
        )
    if draw(st.booleans()):
        spelling = draw(st.sampled_from(["true", "True", "TRUE", "false", "False", "FALSE"]))
        sections.append([f"allow_empty: {spelling}"])
    numbers = draw(_numbers())
    sections.append(["numbers:", *numbers] if numbers else ["numbers: []"])
    ordered = draw(st.permutations(sections))
    header = [MODELINE] if draw(st.booleans()) else []
    return "\n".join(header + [line for section in ordered for line in section]) + "\n"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_documents())
def test_the_schema_accepts_every_file_validate_accepts(text: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "numbers.yaml"
        path.write_text(text, encoding="utf-8")
        assert validate_exit_code(path) == 0, text
        for reading in READINGS:
            assert schema_errors_for_file(path, reading) == [], (reading, text)
