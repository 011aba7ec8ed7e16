"""Valid numbers files parse to exactly the values they say."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reconciler.core.model import DesiredNumber, DesiredState, NumberType, QuotaPolicy, Target
from reconciler.desired import load_desired, parse_desired

VALID_DIR = Path(__file__).parent / "valid"
US_INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"


def _fingerprint(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_minimal() -> None:
    path = VALID_DIR / "minimal.yaml"
    assert load_desired(path) == DesiredState(
        targets=(Target(arn=US_INSTANCE),),
        quota=QuotaPolicy(phone_numbers=10, window_days=180, limit_percent=200, reserve=0),
        numbers=(DesiredNumber(phone_number="+12065550100", line=7),),
        max_releases=10,
        allow_empty=False,
        source=str(path),
        fingerprint=_fingerprint(path),
    )


def test_full_with_every_optional_key() -> None:
    path = VALID_DIR / "full.yaml"
    assert load_desired(path) == DesiredState(
        targets=(
            Target(
                arn="arn:aws:connect:eu-west-2:444455556666:instance/"
                "11111111-2222-3333-4444-555555555555"
            ),
            Target(
                arn="arn:aws:connect:eu-west-2:444455556666:traffic-distribution-group/tdg-0001"
            ),
        ),
        quota=QuotaPolicy(phone_numbers=99, window_days=30, limit_percent=150, reserve=5),
        numbers=(
            DesiredNumber(phone_number="+442079460958", line=16),
            DesiredNumber(phone_number="+442079460959", description="Support line", line=17),
            DesiredNumber(
                phone_number="+442079460960",
                line=19,
                # Sorted by key; null asks for the tag's removal (issue 15).
                tags=(("cost-center", "1234"), ("legacy", None), ("team", "support")),
            ),
        ),
        max_releases=3,
        allow_empty=False,
        source=str(path),
        fingerprint=_fingerprint(path),
    )


def test_numbers_in_several_notations() -> None:
    state = load_desired(VALID_DIR / "notations.yaml")
    assert [(n.phone_number, n.line, n.description) for n in state.numbers] == [
        ("+12065550100", 7, None),
        ("+12065550101", 8, None),  # unquoted: YAML 1.1 would have made it an int
        ("+12065550102", 9, None),
        ("+12065550103", 10, None),
        ("+12065550104", 11, None),
        ("+12065550105", 12, None),
        ("+12065550106", 13, None),
        ("+12065550107", 14, None),
        ("+12065550108", 15, None),
        ("+442079460958", 16, None),
        ("+493012345678", 17, None),
        ("+33123456789", 18, "Paris"),
    ]
    assert state.quota == QuotaPolicy(phone_numbers=20)


def test_empty_numbers_with_allow_empty() -> None:
    path = VALID_DIR / "empty_allowed.yaml"
    assert load_desired(path) == DesiredState(
        targets=(Target(arn=US_INSTANCE),),
        quota=QuotaPolicy(phone_numbers=10),
        numbers=(),
        max_releases=10,  # safety: {} keeps the default
        allow_empty=True,
        source=str(path),
        fingerprint=_fingerprint(path),
    )


def test_empty_numbers_without_allow_empty_is_left_to_the_planner() -> None:
    data = (VALID_DIR / "empty_allowed.yaml").read_bytes().replace(b"allow_empty: true\n", b"")
    state = parse_desired(data, "numbers.yaml")
    assert state.numbers == ()
    assert state.allow_empty is False


@pytest.mark.parametrize("name", sorted(p.name for p in VALID_DIR.glob("*.yaml")))
def test_parse_matches_load(name: str) -> None:
    path = VALID_DIR / name
    assert parse_desired(path.read_bytes(), str(path)) == load_desired(path)


def test_source_is_the_path_as_given() -> None:
    data = (VALID_DIR / "minimal.yaml").read_bytes()
    state = parse_desired(data, "env/prod/numbers.yaml")
    assert state.source == "env/prod/numbers.yaml"
    assert state.fingerprint == "sha256:" + hashlib.sha256(data).hexdigest()


def test_fingerprint_changes_with_any_byte() -> None:
    data = (VALID_DIR / "minimal.yaml").read_bytes()
    same_meaning = data + b"# a comment\n"
    assert parse_desired(data, "a").fingerprint != parse_desired(same_meaning, "a").fingerprint


def test_utf8_bom_and_crlf_line_endings_are_accepted() -> None:
    plain = (VALID_DIR / "full.yaml").read_bytes()
    windows = b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n")
    a = parse_desired(plain, "numbers.yaml")
    b = parse_desired(windows, "numbers.yaml")
    assert a.numbers == b.numbers  # same values and same line numbers
    assert a.targets == b.targets and a.quota == b.quota


def test_flow_style_and_explicit_standard_tags() -> None:
    data = (
        b'{version: !!int 1, targets: [{arn: "' + US_INSTANCE.encode() + b'"}],'
        b" quota: {phone_numbers: 10, reserve: !!int '2'}, allow_empty: !!bool false,"
        b' numbers: ["+12065550100", !!str +12065550101]}'
    )
    state = parse_desired(data, "numbers.yaml")
    assert state.quota.reserve == 2
    assert [n.phone_number for n in state.numbers] == ["+12065550100", "+12065550101"]
    assert all(n.line == 1 for n in state.numbers)


def test_explicit_document_markers_and_comments() -> None:
    data = b"%YAML 1.1\n---\n" + (VALID_DIR / "minimal.yaml").read_bytes() + b"...\n# end\n"
    state = parse_desired(data, "numbers.yaml")
    assert state.numbers[0].line == 9


def test_booleans_in_yaml_1_2_spellings() -> None:
    base = (VALID_DIR / "empty_allowed.yaml").read_bytes()
    for spelling in (b"true", b"True", b"TRUE"):
        data = base.replace(b"allow_empty: true", b"allow_empty: " + spelling)
        assert parse_desired(data, "numbers.yaml").allow_empty is True
    for spelling in (b"false", b"False", b"FALSE"):
        data = base.replace(b"allow_empty: true", b"allow_empty: " + spelling)
        assert parse_desired(data, "numbers.yaml").allow_empty is False


def test_reserve_equal_to_the_limit_is_allowed() -> None:
    data = (
        (VALID_DIR / "minimal.yaml")
        .read_bytes()
        .replace(b"phone_numbers: 10", b"phone_numbers: 10\n  limit_percent: 150\n  reserve: 15")
    )
    assert parse_desired(data, "numbers.yaml").quota.reserve == 15


def test_max_releases_zero_is_allowed() -> None:
    data = (VALID_DIR / "minimal.yaml").read_bytes() + b"safety:\n  max_releases: 0\n"
    assert parse_desired(data, "numbers.yaml").max_releases == 0


def test_lone_cr_line_endings_keep_line_numbers() -> None:
    data = (VALID_DIR / "notations.yaml").read_bytes().replace(b"\n", b"\r")
    state = parse_desired(data, "numbers.yaml")
    assert [n.line for n in state.numbers] == list(range(7, 19))


def test_quota_auto_with_fallback_and_assume_prior() -> None:
    state = load_desired(VALID_DIR / "quota_auto.yaml")
    assert state.quota.auto is True
    assert state.quota.phone_numbers == 12  # the fallback until Service Quotas answers
    assert state.quota.assume_prior == 3


@pytest.mark.parametrize("name", ["targets_two_regions", "targets_two_accounts"])
def test_targets_in_several_accounts_and_regions_are_accepted(name: str) -> None:
    state = load_desired(VALID_DIR / f"{name}.yaml")
    assert len({t.scope for t in state.targets}) == 2


def test_the_ownership_policy_defaults_to_did_and_toll_free_not_imported() -> None:
    state = load_desired(VALID_DIR / "minimal.yaml")
    assert state.release_types == frozenset({NumberType.DID, NumberType.TOLL_FREE})
    assert state.release_imported is False


def test_the_ownership_policy_widened_on_purpose() -> None:
    state = load_desired(VALID_DIR / "ownership_policy.yaml")
    assert state.release_types == frozenset({"DID", "TOLL_FREE", "UIFN"})
    assert state.release_imported is True
    assert state.max_releases == 10


def test_release_types_may_be_empty_to_release_nothing() -> None:
    text = (VALID_DIR / "ownership_policy.yaml").read_bytes()
    state = parse_desired(text.replace(b"[DID, TOLL_FREE, UIFN]", b"[]"), "numbers.yaml")
    assert state.release_types == frozenset()
