"""Every malformed numbers file is refused with the file, the line and a specific message.

The committed corpus lives in ``corpus/``, one problem per file; ``CORPUS``
maps each file to the line and a fragment of the message it must produce, and
a test checks that the directory and the table list the same files. Inputs
that cannot or should not be committed (bad bytes, huge files) are generated
into ``tmp_path`` by the tests at the bottom.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.core.errors import NumbersFileError
from reconciler.desired import MAX_FILE_BYTES, load_desired, parse_desired

CORPUS_DIR = Path(__file__).parent / "corpus"

# file stem -> (line, fragment of str(error)); line None where no line makes sense.
CORPUS: dict[str, tuple[int | None, str]] = {
    # The document as a whole
    "empty_file": (None, "the file is empty (no YAML document)"),
    "comments_only": (None, "the file is empty (no YAML document)"),
    "null_top": (1, "the top level is null (no value); expected a mapping"),
    "list_top": (1, "the top level is a list; expected a mapping"),
    "scalar_top": (1, "the top level is the string 'numbers.yaml'"),
    "multiple_documents": (8, "the file holds more than one YAML document"),
    # Issue 5: the live quota and history coverage
    "quota_auto_without_fallback": (5, "quota.phone_numbers: auto needs quota.fallback"),
    "quota_fallback_without_auto": (6, "quota.fallback: only used with phone_numbers: auto"),
    "quota_assume_prior_negative": (6, "quota.assume_prior: -1 is out of range"),
    "quota_auto_misspelt": (5, "or auto"),
    # version
    "version_2": (1, "version: unsupported version 2; this connect-numbers reads version 1"),
    "version_quoted": (1, "version: got the string '1' (write it without quotes)"),
    "version_float": (1, "version: got the number 1.0; expected version: 1"),
    "version_null": (1, "version: got null (no value)"),
    "version_missing": (2, "version: missing required key 'version'"),
    # unknown keys, with a suggestion where one is close
    "unknown_top_key": (6, "safty: unknown key (did you mean 'safety'?); expected one of version,"),
    "unknown_quota_key": (6, "quota.windows_days: unknown key (did you mean 'window_days'?)"),
    "unknown_safety_key": (7, "safety.max_release: unknown key (did you mean 'max_releases'?)"),
    "unknown_number_key": (8, "numbers[0].descripton: unknown key (did you mean 'description'?)"),
    "unknown_target_key": (4, "targets[0].region: unknown key; expected one of arn, description"),
    # missing keys, reported at the parent mapping
    "missing_targets": (1, "targets: missing required key 'targets' at the top level"),
    "missing_quota": (1, "quota: missing required key 'quota' at the top level"),
    "missing_numbers": (1, "numbers: missing required key 'numbers' at the top level"),
    "missing_phone_numbers": (
        5,
        "quota.phone_numbers: missing required key 'phone_numbers' in quota",
    ),
    # targets
    "empty_targets": (2, "targets: the list is empty; expected at least one target"),
    "target_arn_not_connect": (
        3,
        "targets[0].arn: not a Connect instance or traffic distribution group ARN",
    ),
    "target_not_mapping": (3, "targets[0]: got the string 'arn:aws:connect:"),
    "duplicate_target": (4, "targets[1].arn: duplicate target (already listed on line 3)"),
    # numbers
    "duplicate_number_notations": (
        9,
        "numbers[2]: '+1 (206) 555-0100' on line 9 is the same number as '+12065550100' "
        "on line 7 (both are +12065550100)",
    ),
    "invalid_number_too_short": (
        7,
        "numbers[0]: '+1 206 555 010' is too short for country code +1",
    ),
    "invalid_number_unassigned": (
        7,
        "numbers[0]: '+1 099 555 0100' is not a valid number in the numbering plan",
    ),
    "number_without_country_code": (
        7,
        "numbers[0]: '(206) 555-0100' has no country code (it must start with +); "
        "expected a number in international form, like +1 206 555 0100",
    ),
    "number_unquoted_national": (7, "numbers[0]: '2065550100' has no country code"),
    "number_with_letters": (7, "numbers[0]: '+1 800 FLOWERS' contains letters"),
    "number_with_extension": (7, "numbers[0]: '+1 206 555 0100 ext. 12' contains letters"),
    "number_mapping_without_number": (7, "numbers[0].number: missing required key 'number'"),
    "number_is_list": (7, "numbers[0]: got a list; expected a phone number like"),
    "number_is_bool": (8, "numbers[1]: 'yes' is not a phone number"),
    "number_empty_entry": (8, "numbers[1]: the entry is empty"),
    "number_description_not_string": (8, "numbers[0].description: got the integer 2024"),
    # Issue 15: tags in place
    "tags_value_not_string": (9, "numbers[0].tags.cost: got the integer 12; expected a string"),
    "tags_aws_prefix": (9, "numbers[0].tags.aws:team: the prefix aws: is reserved"),
    "tags_value_missing": (9, "numbers[0].tags.team: has no value"),
    "tags_key_bad_character": (9, "numbers[0].tags.team!: the key contains '!' (U+0021)"),
    "tags_not_mapping": (8, "numbers[0].tags: got a list; expected a mapping of tag keys"),
    "tags_too_many": (9, "numbers[0].tags: names 51 tags; AWS allows at most 50"),
    "numbers_null": (6, "numbers: has no value; expected a list of phone numbers"),
    "numbers_mapping": (7, "numbers: got a mapping; expected a list of phone numbers"),
    # quota and safety
    "quota_string": (5, "quota.phone_numbers: got the string '10' (remove the quotes)"),
    "quota_float": (
        6,
        "quota.window_days: got the number 180.5; expected an integer from 1 to 3650",
    ),
    "quota_bool": (
        6,
        "quota.limit_percent: got the boolean true; expected an integer from 1 to 10000",
    ),
    "quota_hex": (6, "quota.window_days: '0x10' is not a plain decimal integer"),
    "quota_zero": (5, "quota.phone_numbers: 0 is out of range; expected an integer of at least 1"),
    "quota_negative": (6, "quota.reserve: -1 is out of range; expected an integer of at least 0"),
    "window_days_too_large": (6, "quota.window_days: 3651 is out of range"),
    "reserve_above_limit": (
        7,
        "quota.reserve: 11 is more than the limit of 10 quota actions "
        "(phone_numbers 10 x limit_percent 100%); expected an integer from 0 to 10",
    ),
    "max_releases_negative": (7, "safety.max_releases: -1 is out of range"),
    "safety_not_mapping": (6, "safety: got the integer 10; expected a mapping with max_releases"),
    # Issue 14: the ownership policy
    "release_types_unknown": (
        7,
        "safety.release_types[1]: unknown phone number type 'UIFM' (did you mean UIFN?); "
        "expected a list of phone number types, each one of DID, TOLL_FREE, UIFN, SHARED, "
        "THIRD_PARTY_DID, THIRD_PARTY_TF, SHORT_CODE",
    ),
    "release_types_duplicate": (
        10,
        "safety.release_types[2]: DID is listed twice (first on line 8); expected each type once",
    ),
    "release_types_not_list": (7, "safety.release_types: got the string 'DID'; expected a list"),
    "release_imported_string": (
        7,
        "safety.release_imported: got the string 'true'; expected true or false",
    ),
    "allow_empty_yes": (6, "allow_empty: 'yes' reads as a boolean only in YAML 1.1"),
    "allow_empty_string": (6, "allow_empty: got the string 'true'; expected true or false"),
    # YAML itself
    "syntax_error_unclosed_quote": (8, "YAML syntax error: expected <block end>"),
    "syntax_error_bad_indent": (6, "YAML syntax error: expected <block end>, but found"),
    "tab_indentation": (
        5,
        "found character '\\t' that cannot start any token; expected indentation",
    ),
    "duplicate_top_key": (6, "quota: duplicate key (first on line 4, again on line 6)"),
    "duplicate_nested_key": (
        6,
        "quota.phone_numbers: duplicate key (first on line 5, again on line 6)",
    ),
    "key_not_scalar": (6, "a key is a list; expected plain key names"),
    "billion_laughs": (2, "anchor &a is not supported"),
    "alias_without_anchor": (6, "alias *kept_numbers is not supported"),
    "python_tag": (6, "the tag !!python/object/apply:os.system is not supported"),
    "local_tag": (6, "the tag !include is not supported"),
    "deep_nesting": (6, "values are nested too deeply"),
}


def _assert_refused(error: NumbersFileError, path: str, line: int | None, fragment: str) -> None:
    text = str(error)
    prefix = f"{path}:{line}: " if line is not None else f"{path}: "
    assert text.startswith(prefix), text
    assert error.line == line
    assert error.path == path
    assert fragment in text, f"{fragment!r} not in {text!r}"


def test_corpus_directory_and_table_list_the_same_files() -> None:
    on_disk = {path.stem for path in CORPUS_DIR.glob("*")}
    assert on_disk == set(CORPUS)
    assert all(path.suffix == ".yaml" for path in CORPUS_DIR.iterdir())


def test_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 32


@pytest.mark.parametrize("stem", sorted(CORPUS))
def test_corpus_file_is_refused(stem: str) -> None:
    line, fragment = CORPUS[stem]
    path = CORPUS_DIR / f"{stem}.yaml"
    with pytest.raises(NumbersFileError) as caught:
        load_desired(path)
    _assert_refused(caught.value, str(path), line, fragment)


@pytest.mark.parametrize("stem", sorted(CORPUS))
def test_parse_and_load_agree(stem: str) -> None:
    path = CORPUS_DIR / f"{stem}.yaml"
    with pytest.raises(NumbersFileError) as from_load:
        load_desired(path)
    with pytest.raises(NumbersFileError) as from_parse:
        parse_desired(path.read_bytes(), str(path))
    assert str(from_load.value) == str(from_parse.value)


def test_alias_bomb_is_refused_fast() -> None:
    data = (CORPUS_DIR / "billion_laughs.yaml").read_bytes()
    started = time.perf_counter()
    with pytest.raises(NumbersFileError, match="anchor &a is not supported"):
        parse_desired(data, "bomb.yaml")
    assert time.perf_counter() - started < 0.5


def test_wide_alias_bomb_is_refused_fast() -> None:
    # 30 levels of 10 aliases each would be 10**30 nodes if anything expanded.
    lines = ["version: 1", "l0: &l0 [x]"]
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 30)]
    started = time.perf_counter()
    with pytest.raises(NumbersFileError) as caught:
        parse_desired("\n".join(lines).encode(), "bomb.yaml")
    assert time.perf_counter() - started < 0.5
    _assert_refused(caught.value, "bomb.yaml", 2, "anchor &l0 is not supported")


# --------------------------------------------------------------------------
# Generated inputs: bytes, sizes and I/O problems
# --------------------------------------------------------------------------

VALID = (Path(__file__).parent / "valid" / "minimal.yaml").read_bytes()


def test_non_utf8_byte_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(VALID.replace(b"numbers:\n", b"numbers:\n  # caf\xe9\n"))
    with pytest.raises(NumbersFileError) as caught:
        load_desired(path)
    _assert_refused(caught.value, str(path), 7, "byte 0xe9 at column 8 is not valid UTF-8")


def test_utf16_file_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes(VALID.decode().encode("utf-16"))
    with pytest.raises(NumbersFileError) as caught:
        load_desired(path)
    _assert_refused(caught.value, str(path), 1, "the file is UTF-16 or UTF-32")


def test_nul_byte_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nul.yaml"
    path.write_bytes(VALID.replace(b"quota:", b"quota:\x00"))
    with pytest.raises(NumbersFileError) as caught:
        load_desired(path)
    _assert_refused(caught.value, str(path), 4, "contains a NUL byte U+0000")


def test_control_character_names_its_line() -> None:
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(VALID + b"# \x1b[31m\n", "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 8, "contains the control character U+001B")


def test_file_over_the_limit_is_refused_unparsed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(VALID + b"#" * (20 * 1024 * 1024))
    with pytest.raises(NumbersFileError) as caught:
        load_desired(path)
    size = path.stat().st_size
    _assert_refused(
        caught.value,
        str(path),
        None,
        f"the file is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes (16 MiB)",
    )


def test_huge_sparse_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "sparse.yaml"
    with path.open("wb") as stream:
        stream.truncate(64 * 1024 * 1024 * 1024)  # 64 GiB of holes: reading it would hang
    started = time.perf_counter()
    with pytest.raises(NumbersFileError, match="over the limit"):
        load_desired(path)
    assert time.perf_counter() - started < 1


def test_parse_refuses_oversized_bytes_too() -> None:
    with pytest.raises(NumbersFileError, match="over the limit"):
        parse_desired(b" " * (MAX_FILE_BYTES + 1), "numbers.yaml")


def test_file_at_the_limit_is_parsed() -> None:
    data = VALID + b"#" * (MAX_FILE_BYTES - len(VALID))
    assert len(data) == MAX_FILE_BYTES
    assert parse_desired(data, "numbers.yaml").numbers[0].phone_number == "+12065550100"


def test_missing_file() -> None:
    with pytest.raises(NumbersFileError) as caught:
        load_desired("does/not/exist/numbers.yaml")
    assert (
        str(caught.value) == "does/not/exist/numbers.yaml: cannot read: No such file or directory"
    )
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(NumbersFileError) as caught:
        load_desired(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot read: Is a directory"


def test_huge_integer_is_refused_without_converting_it() -> None:
    data = VALID.replace(b"phone_numbers: 10", b"phone_numbers: " + b"9" * 50_000)
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 5, "is not a plain decimal integer")
    assert len(str(caught.value)) < 300


def test_long_unknown_key_is_shortened_in_the_message() -> None:
    data = VALID + b"? " + b"x" * 100_000 + b"\n: 1\n"  # explicit key: no 1024-char limit
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 8, "unknown key")
    assert len(str(caught.value)) < 300


def test_leading_zero_integer_is_refused() -> None:
    # YAML 1.1 reads 010 as octal 8; refuse rather than guess.
    data = VALID.replace(b"phone_numbers: 10", b"phone_numbers: 010")
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 5, "'010' is not a plain decimal integer")


def test_duplicate_after_normalization_of_unquoted_and_tel_forms() -> None:
    data = VALID + b"  - +12065550100\n  - tel:+1-206-555-0100\n"
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 8, "same number as '+12065550100' on line 7")


def test_lines_are_counted_like_yaml_counts_them() -> None:
    # Old Mac line endings: YAML breaks lines on a lone CR, and so must our own checks.
    data = VALID.replace(b"\n", b"\r").replace(b"quota:", b"quota:\x07")
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 4, "contains the control character U+0007")
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(VALID.replace(b"\n", b"\r") + b"\xff", "numbers.yaml")
    _assert_refused(caught.value, "numbers.yaml", 8, "byte 0xff")


# --------------------------------------------------------------------------
# Several problems in one file: each reported once, in file order
# --------------------------------------------------------------------------


def _problems(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(text.encode(), "n.yaml")
    errors = getattr(caught.value, "errors", (caught.value,))
    assert str(caught.value) == "\n".join(str(e) for e in errors)
    assert (caught.value.line, caught.value.key) == (errors[0].line, errors[0].key)
    return [(e.line, e.key or "") for e in errors]


def test_every_independent_problem_is_reported_in_file_order() -> None:
    text = (CORPUS_DIR.parent / "valid" / "minimal.yaml").read_text()
    assert _problems(
        text.replace("phone_numbers: 10", "phone_numbers: 0\n  window_days: x\n  colour: red")
        + '  - "+1 206 555 010"\n  - number: "+12065550177"\n    note: x\nsafty: {}\n'
    ) == [
        (5, "quota.phone_numbers"),
        (6, "quota.window_days"),
        (7, "quota.colour"),
        (10, "numbers[1]"),
        (12, "numbers[2].note"),
        (13, "safty"),
    ]


def test_a_problem_is_reported_once_not_again_through_what_depends_on_it() -> None:
    base = (CORPUS_DIR.parent / "valid" / "minimal.yaml").read_text()
    # A bad phone_numbers: reserve is not also judged against a limit it cannot know.
    assert _problems(base.replace("phone_numbers: 10", 'phone_numbers: "x"\n  reserve: 50')) == [
        (5, "quota.phone_numbers")
    ]
    # A misspelt required key is one problem, not "unknown" plus "missing".
    assert _problems(
        base.replace("numbers:\n", "nubmers:\n", 1).replace("phone_nubmers", "phone_numbers")
    ) == [(6, "nubmers")]
