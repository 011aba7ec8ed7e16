"""Seeds: defaults, and every kind of bad seed refused with file, entry and problem."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connect_emulator import (
    Action,
    EmulatorServer,
    FaultKind,
    FaultRule,
    HistoryEvent,
    Origin,
    QuotaPolicy,
    RateLimit,
    SeedError,
    load_seed,
)
from connect_emulator.seed import phone_number_id_for

A = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
B = "bbbbbbbb-cccc-dddd-eeee-ffffffffffff"
FLOW = f"arn:aws:connect:us-east-1:111122223333:instance/{A}/contact-flow/main"
DEMO = Path(__file__).resolve().parents[2] / "examples" / "emulator-seed.yaml"

GOOD: dict[str, Any] = {
    "account_id": "111122223333",
    "region": "us-east-1",
    "instances": [{"id": A}, {"id": B}],
    "numbers": [{"phone_number": "+12065550100", "instance": A, "flow": FLOW}],
}


def test_defaults() -> None:
    seed = load_seed(
        {"instances": [{"id": A}], "numbers": [{"phone_number": "+12065550100", "instance": A}]}
    )
    assert (seed.account_id, seed.region) == ("111122223333", "us-east-1")
    (number,) = seed.numbers
    assert (number.type, number.country, number.status) == ("DID", "US", "CLAIMED")
    assert (
        number.id == phone_number_id_for("+12065550100") == "fc018a49-80a1-5734-9a7c-c5ae8517c436"
    )
    assert number.tags == {} and number.flow_arn is None and number.description is None


def test_defaults_of_the_write_side_keys() -> None:
    seed = load_seed(GOOD)
    assert (seed.cooldown_days, seed.available_generated, seed.claim_in_progress_describes) == (
        180,
        20,
        0,
    )
    assert (seed.history, seed.available, seed.faults, seed.fault_seed) == ((), (), (), 0)
    assert seed.quota == QuotaPolicy(phone_numbers=10, window_days=180, limit_percent=200)


def test_history_available_and_faults_are_parsed() -> None:
    seed = load_seed(
        {
            **GOOD,
            "history": [
                {
                    "action": "release",
                    "phone_number": "+442071838750",
                    "type": "TOLL_FREE",
                    "at": "2026-01-02T03:04:05+01:00",
                    "client_token": "t",
                    "phone_number_id": "x",
                    "instance": A,
                    "origin": "emulator",
                },
                {"action": "claim", "phone_number": "+12065550100", "at": "2026-01-01T00:00:00Z"},
            ],
            "available": ["+12065550199", {"phone_number": "+14165550100", "country": "CA"}],
            "faults": [
                {"kind": "delay", "delay": 0.5, "count": 2, "operation": "ClaimPhoneNumber"}
            ],
            "fault_seed": 42,
        }
    )
    release, claim = seed.history
    assert release == HistoryEvent(
        action=Action.RELEASE,
        phone_number="+442071838750",
        at=datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC),
        phone_number_id="x",
        client_token="t",
        instance_id=A,
        type="TOLL_FREE",
        country="GB",
        origin=Origin.EMULATOR,
    )
    assert (claim.type, claim.country, claim.origin) == ("DID", "US", Origin.SEED)
    assert [(a.phone_number, a.type, a.country) for a in seed.available] == [
        ("+12065550199", "DID", "US"),
        ("+14165550100", "DID", "CA"),
    ]
    assert seed.faults == (
        FaultRule(kind=FaultKind.DELAY, delay=0.5, count=2, operation="ClaimPhoneNumber"),
    )
    assert seed.fault_seed == 42


def test_yaml_timestamps_may_be_unquoted(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(
        "history:\n"
        "  - {action: claim, phone_number: '+12065550100', at: 2026-01-01T10:00:00Z}\n"
        "  - {action: claim, phone_number: '+12065550101', at: 2026-01-01 10:00:00}\n"
    )
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    assert (caught.value.line, "has no time zone" in caught.value.problem) == (3, True)
    path.write_text(path.read_text().replace("10:00:00}", "10:00:00+02:00}"))
    first, second = load_seed(path).history
    assert first.at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert second.at == datetime(2026, 1, 1, 8, tzinfo=UTC)


def test_none_is_an_empty_account() -> None:
    seed = load_seed(None)
    assert seed.instances == () and seed.numbers == ()


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+442071838750", "GB"),
        ("+35312345678", "IE"),
        ("+61299999999", "AU"),
        ("+18005550199", "US"),
    ],
)
def test_country_is_derived_from_the_calling_code(number: str, country: str) -> None:
    seed = load_seed(
        {"instances": [{"id": A}], "numbers": [{"phone_number": number, "instance": A}]}
    )
    assert seed.numbers[0].country == country


def test_demo_seed() -> None:
    seed = load_seed(DEMO)
    by_number = {n.phone_number: n for n in seed.numbers}
    assert len(seed.numbers) == 9
    assert {n.instance_id for n in seed.numbers if n.phone_number != "+12065550300"} == {A}
    assert by_number["+12065550300"].instance_id == B
    assert by_number["+12065550160"].status == "IN_PROGRESS"
    assert by_number["+18005550199"].type == "TOLL_FREE"
    assert by_number["+12065550151"].flow_arn is None
    promo = [n for n in seed.numbers if n.flow_arn and n.flow_arn.endswith("/contact-flow/promo")]
    assert [n.phone_number for n in promo] == ["+12065550150"]
    assert seed.rate_limits == {}


def test_seed_rate_limits() -> None:
    seed = load_seed(
        {
            **GOOD,
            "rate_limits": {
                "default": {"rate": 2, "burst": 5},
                "DescribePhoneNumber": {"rate": 5},
                "ListPhoneNumbers": {"rate": None},
                "ListFlowAssociations": {"rate": 0, "burst": 3},
                "ReleasePhoneNumber": None,
            },
        }
    )
    assert seed.rate_limits == {
        "default": RateLimit(rate=2, burst=5),
        "DescribePhoneNumber": RateLimit(rate=5, burst=5),
        "ListPhoneNumbers": None,
        "ListFlowAssociations": None,
        "ReleasePhoneNumber": None,
    }


def mutated(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one key set (``numbers.0.type``); value ``...`` deletes it."""
    seed = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = seed
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return seed


BAD: list[tuple[Any, str, str | None]] = [
    # (seed, expected problem fragment, expected entry)
    ({**GOOD, "numbers": {"a": 1}}, "'numbers' must be a list", None),
    (mutated("colour", "blue"), "unknown key 'colour'", None),
    (mutated("account_id", 111122223333), "quote it", None),
    (mutated("account_id", "1234"), "not a 12-digit AWS account id", None),
    (mutated("region", "US East"), "not an AWS region name", None),
    (mutated("instances", {"id": A}), "'instances' must be a list", None),
    (mutated("instances.1", B), "an instance must be a mapping", "instances[1]"),
    (mutated("instances.1.id", A), "declared twice", f"instances[1] ({A})"),
    (mutated("instances.1.id", "has/slash"), "not a valid instance id", "instances[1] (has/slash)"),
    (mutated("numbers.0", "+12065550100"), "a number must be a mapping", "numbers[0]"),
    (mutated("numbers.0.phone_number", ...), "'phone_number' is required", "numbers[0]"),
    (mutated("numbers.0.phone_number", 12065550100), "YAML reads it as a number", "numbers[0]"),
    (
        mutated("numbers.0.phone_number", "206-555-0100"),
        "not in E.164",
        "numbers[0] (206-555-0100)",
    ),
    (mutated("numbers.0.phone_number", "+99912345"), "cannot derive the country", None),
    (mutated("numbers.0.instance", ...), "'instance' is required", "numbers[0] (+12065550100)"),
    (mutated("numbers.0.instance", "cccc"), "'cccc' is not declared", "numbers[0] (+12065550100)"),
    (mutated("numbers.0.type", "MOBILE"), "type 'MOBILE' is not one of", None),
    (mutated("numbers.0.status", "RELEASED"), "status 'RELEASED' is not one of", None),
    (mutated("numbers.0.country", "usa"), "not an ISO 3166-1", None),
    (mutated("numbers.0.id", "a b"), "not a valid phone number id", None),
    (mutated("numbers.0.description", "x" * 501), "at most 500", None),
    (mutated("numbers.0.tags", ["a"]), "'tags' must be a mapping", None),
    (mutated("numbers.0.tags", {"aws:owner": "x"}), "reserved prefix", None),
    (mutated("numbers.0.tags", {"cost": 1234}), "must have a string value", None),
    (mutated("numbers.0.tags", {f"k{i}": "v" for i in range(51)}), "at most 50", None),
    (mutated("numbers.0.flow", "main"), "not a contact-flow ARN", None),
    (
        mutated("numbers.0.flow", FLOW.replace("111122223333", "999999999999")),
        "not a contact-flow ARN of account 111122223333",
        None,
    ),
    (mutated("numbers.0.flow", FLOW.replace(A, B)), "belongs to instance", None),
    (mutated("numbers.0.flaw", FLOW), "unknown key 'flaw'", "numbers[0] (+12065550100)"),
    (
        mutated("numbers", [{"phone_number": "+12065550100", "instance": A}] * 2),
        "listed twice (also at numbers[0]",
        "numbers[1] (+12065550100)",
    ),
    (
        mutated(
            "numbers",
            [
                {"phone_number": "+12065550100", "instance": A, "id": "same"},
                {"phone_number": "+12065550101", "instance": A, "id": "same"},
            ],
        ),
        "id 'same' is used twice",
        "numbers[1] (+12065550101)",
    ),
    (mutated("rate_limits", {"ListEverything": None}), "unknown key 'ListEverything'", None),
    (mutated("rate_limits", {"default": {"burst": 3}}), "'rate' is required", None),
    (mutated("rate_limits", {"default": {"rate": -2}}), "rate must be a positive", None),
    (mutated("rate_limits", {"default": {"rate": 2, "burst": 0}}), "burst must be", None),
    (mutated("rate_limits", {"default": 2}), "expected a mapping", "rate_limits.default"),
    (mutated("numbers.0.in_progress_describes", 2), "applies to an IN_PROGRESS number", None),
    (
        mutated(
            "numbers",
            [
                {
                    "phone_number": "+12065550100",
                    "instance": A,
                    "status": "IN_PROGRESS",
                    "in_progress_describes": 0,
                }
            ],
        ),
        "'in_progress_describes' must be an integer of at least 1",
        None,
    ),
    (mutated("cooldown_days", -1), "'cooldown_days' must be an integer of at least 0", None),
    (mutated("cooldown_days", 1.5), "'cooldown_days' must be an integer", None),
    (mutated("available_generated", True), "'available_generated' must be an integer", None),
    (mutated("claim_in_progress_describes", "2"), "must be an integer", None),
    (mutated("fault_seed", "x"), "'fault_seed' must be an integer", None),
    (mutated("quota", 10), "'quota' must be a mapping", None),
    (
        mutated("quota", {"phone_numbers": 0}),
        "'phone_numbers' must be an integer of at least 1",
        "quota",
    ),
    (mutated("quota", {"numbers": 3}), "unknown key 'numbers'", "quota"),
    (mutated("history", {"a": 1}), "'history' must be a list", None),
    (mutated("history", ["claim"]), "a history event must be a mapping", "history[0]"),
    (
        mutated("history", [{"phone_number": "+12065550100", "at": "2026-01-01T00:00:00Z"}]),
        "'action' is required",
        "history[0]",
    ),
    (
        mutated(
            "history",
            [{"action": "port", "phone_number": "+12065550100", "at": "2026-01-01T00:00:00Z"}],
        ),
        "action 'port' is not one of claim, release",
        None,
    ),
    (
        mutated("history", [{"action": "claim", "phone_number": "+12065550100"}]),
        "'at' is required",
        "history[0] (claim +12065550100)",
    ),
    (
        mutated(
            "history", [{"action": "claim", "phone_number": "+12065550100", "at": "yesterday"}]
        ),
        "is not an ISO 8601 time",
        None,
    ),
    (
        mutated(
            "history",
            [{"action": "claim", "phone_number": "+12065550100", "at": "2026-01-01T00:00:00"}],
        ),
        "has no time zone",
        None,
    ),
    (
        mutated(
            "history",
            [{"action": "claim", "phone_number": "2065550100", "at": "2026-01-01T00:00:00Z"}],
        ),
        "not in E.164",
        None,
    ),
    (
        mutated(
            "history",
            [
                {
                    "action": "claim",
                    "phone_number": "+12065550100",
                    "client_token": "t",
                    "at": "2026-01-01T00:00:00Z",
                }
            ]
            * 2,
        ),
        "client_token 't' is used twice",
        None,
    ),
    (
        mutated(
            "history",
            [
                {
                    "action": "claim",
                    "phone_number": "+12065550100",
                    "when": "x",
                    "at": "2026-01-01T00:00:00Z",
                }
            ],
        ),
        "unknown key 'when'",
        None,
    ),
    (mutated("available", "+12065550100"), "'available' must be a list", None),
    (mutated("available", [12065550100]), "an available number is an E.164 string", None),
    (
        mutated("available", ["+12065550100", {"phone_number": "+12065550100"}]),
        "listed twice",
        "available[1] (+12065550100)",
    ),
    (
        mutated("available", [{"phone_number": "+12065550100", "type": "MOBILE"}]),
        "type 'MOBILE' is not one of",
        None,
    ),
    (mutated("faults", [{"kind": "drop"}]), "exactly one of 'rate'", "faults[0]"),
]


@pytest.mark.parametrize(("seed", "problem", "entry"), BAD)
def test_bad_seeds_are_refused(seed: Any, problem: str, entry: str | None) -> None:
    with pytest.raises(SeedError) as caught:
        load_seed(seed)
    assert problem in caught.value.problem
    assert caught.value.source == "<seed dict>"
    if entry is not None:
        assert caught.value.entry == entry
    assert str(caught.value).startswith("invalid emulator seed <seed dict>")


@pytest.mark.parametrize("seed", [[1, 2], 42, b"seed.yaml"])
def test_a_seed_of_the_wrong_kind_is_a_seed_error(seed: Any) -> None:
    with pytest.raises(SeedError, match="a seed is a mapping, a YAML file path or None"):
        load_seed(seed)


def test_the_server_refuses_a_bad_seed_before_binding() -> None:
    with pytest.raises(SeedError):
        EmulatorServer({"numbers": [{"phone_number": "+12065550100", "instance": A}]})


YAML_SEED = f"""\
account_id: "111122223333"
instances:
  - id: {A}
numbers:
  - phone_number: "+12065550100"
    instance: {A}
  - phone_number: "+12065550101"
    instance: {A}
    type: MOBILE
"""


def test_yaml_errors_name_the_file_the_line_and_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(YAML_SEED)
    with pytest.raises(SeedError) as caught:
        load_seed(path)
    error = caught.value
    assert (error.source, error.line, error.entry) == (str(path), 9, "numbers[1] (+12065550101)")
    assert str(error) == (
        f"invalid emulator seed {path}:9: numbers[1] (+12065550101): type 'MOBILE' is not one of "
        "TOLL_FREE, DID, UIFN, SHARED, THIRD_PARTY_TF, THIRD_PARTY_DID, SHORT_CODE"
    )


@pytest.mark.parametrize(
    ("text", "problem", "line"),
    [
        ("numbers: [", "not valid YAML", 1),
        ("", "the file is empty", None),
        ("- a\n- b\n", "must be a mapping", None),
        (f"instances:\n  - id: {A}\n  - id: {B}\n    id: {A}\n", "duplicate key 'id'", 4),
        (
            f"instances:\n  - id: {A}\n"
            f"numbers:\n  - phone_number: +12065550100\n    instance: {A}\n",
            "YAML reads it as a number",
            4,
        ),
    ],
)
def test_yaml_problems(tmp_path: Path, text: str, problem: str, line: int | None) -> None:
    path = tmp_path / "seed.yaml"
    path.write_text(text)
    with pytest.raises(SeedError) as caught:
        load_seed(str(path))
    assert problem in caught.value.problem
    assert caught.value.line == line
    assert str(path) in str(caught.value)


def test_a_missing_file_is_a_seed_error(tmp_path: Path) -> None:
    with pytest.raises(SeedError, match="cannot read the file"):
        load_seed(tmp_path / "absent.yaml")
