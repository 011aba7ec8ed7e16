"""What `plan` and `apply` cost in Connect calls, number by number (issue 12, part 1).

Every Connect call the CLI makes against the emulator is recorded with the id of
the number it names (botocore's `before-call` event on every client, as
tests/test_iam_policy.py records actions; the product is not changed for it).
The demo: 8 numbers on the target, 3 kept, 5 release candidates (4 CLAIMED with
flows, 1 IN_PROGRESS), flows shared with kept numbers except `promo`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from .support import run
from .test_apply import RELEASED
from .test_plan import NUMBERS
from .test_saved_plan import numbers_file

Calls = list[tuple[str, str | None]]
IN_PROGRESS = "+12065550160"


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    """(operation, PhoneNumberId) of every Connect call, in order."""
    seen: Calls = []
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        if client.meta.service_model.signing_name == "connect":

            def record(model: Any, params: Any = None, **_: Any) -> None:
                seen.append((model.name, (params or {}).get("PhoneNumberId")))

            client.meta.events.register("provide-client-params", record)
        return client

    monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
    yield seen


def by_operation(calls: Calls) -> dict[str, int]:
    return dict(Counter(name for name, _ in calls))


def described(calls: Calls) -> Counter[str]:
    return Counter(pid for name, pid in calls if name == "DescribePhoneNumber" and pid)


def test_a_plan_describes_each_candidate_once_and_looks_flows_up_by_batch(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls
) -> None:
    code, out, err = run(capsys, "plan", "--numbers", NUMBERS)
    assert code == 0, err
    assert "flow promo" in out and "DEACTIVATED" in out  # flow impact as before
    # 1 list page; 5 describes; 1 batch for the 5 candidates; they have flows, and
    # `promo` is on no kept number: every page of associations (one) is read.
    assert by_operation(calls) == {
        "ListPhoneNumbersV2": 1,
        "DescribePhoneNumber": 5,
        "BatchGetFlowAssociation": 1,
        "ListFlowAssociations": 1,
    }
    assert set(described(calls).values()) == {1}


def test_a_plan_with_nothing_to_release_costs_the_listing_alone(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path
) -> None:
    every = "".join(f'  - "{n}"\n' for n in [*RELEASED, IN_PROGRESS])
    numbers = numbers_file(tmp_path, "numbers:\n", "numbers:\n" + every)
    code, out, err = run(capsys, "plan", "--numbers", str(numbers))
    assert code == 0, err
    assert "Release: nothing." in out
    assert by_operation(calls) == {"ListPhoneNumbersV2": 1}


def test_tags_in_the_file_cost_one_describe_per_tagged_entry_and_nothing_else(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path
) -> None:
    # Issue 15: ListPhoneNumbersV2 carries no tags, so the kept numbers whose entry
    # names tags (and only those) are described: ceil(n/1000) + T calls.
    tagged, plain = RELEASED[:2], [*RELEASED[2:], IN_PROGRESS]
    every = "".join(f'  - number: "{n}"\n    tags: {{team: support}}\n' for n in tagged)
    every += "".join(f'  - "{n}"\n' for n in plain)
    numbers = numbers_file(tmp_path, "numbers:\n", "numbers:\n" + every)
    code, out, err = run(capsys, "plan", "--numbers", str(numbers))
    assert code == 0, err
    assert "Release: nothing." in out and '~ tags team: (none) -> "support"' in out
    assert by_operation(calls) == {"ListPhoneNumbersV2": 1, "DescribePhoneNumber": 2}
    assert len(described(calls)) == 2  # each tagged number once


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_mass_release_is_refused_after_the_listing_alone(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path, fmt: str
) -> None:
    numbers = numbers_file(tmp_path, "max_releases: 10", "max_releases: 2")
    code, out, _ = run(capsys, "plan", "--numbers", str(numbers), "--format", fmt)
    assert code == 3 and "mass_release" in out
    assert by_operation(calls) == {"ListPhoneNumbersV2": 1}
    if fmt == "text":
        assert "statuses and flows not read" in out and "no flow associated" not in out
    else:
        assert '"described": false' in out


def test_an_empty_file_is_refused_after_the_listing_alone(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.yaml"
    head = Path(NUMBERS).read_text().split("numbers:\n")[0]
    empty.write_text(f"{head}numbers: []\n")
    code, out, _ = run(capsys, "plan", "--numbers", str(empty))
    assert code == 3 and "[empty_desired_state]" in out
    assert by_operation(calls) == {"ListPhoneNumbersV2": 1}


def test_apply_of_a_saved_plan_describes_each_release_once(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path
) -> None:
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    saved = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", "--numbers", NUMBERS, "--out", str(saved))
    assert code == 0, err
    calls.clear()
    code, _, err = run(capsys, "apply", str(saved), "--ledger", str(ledger))
    assert code == 0, err
    ops = by_operation(calls)
    # The fresh plan lists without a describe; the staleness check lists again with
    # the flows (it compares each release's flows); each release is described once,
    # just before it is made.
    assert ops["ListPhoneNumbersV2"] == 2 and ops["ReleasePhoneNumber"] == len(RELEASED)
    assert ops["DescribePhoneNumber"] == len(RELEASED)
    assert set(described(calls).values()) == {1}
    assert "BatchGetFlowAssociation" not in ops


def test_apply_without_a_plan_file_describes_for_two_purposes_only(
    emulator: Any, capsys: pytest.CaptureFixture[str], calls: Calls, tmp_path: Path
) -> None:
    """Planning reads each candidate's status once (the IN_PROGRESS one is skipped
    there); the executor reads each release's state once more just before releasing
    it (the prompt may have waited, the number may have moved). Never more."""
    ledger = tmp_path / "history.jsonl"
    ledger.touch()
    code, _, err = run(
        capsys, "apply", "--numbers", NUMBERS, "--ledger", str(ledger), "--auto-approve"
    )
    assert code == 0, err
    counts = described(calls)
    assert sorted(counts.values()) == [1] + [2] * len(RELEASED)
    released = {pid for name, pid in calls if name == "ReleasePhoneNumber"}
    assert len(released) == len(RELEASED)
    for pid in released:
        # The plan's describe, the one just before the release, then the release.
        mine = [name for name, p in calls if p == pid]
        assert mine == ["DescribePhoneNumber", "DescribePhoneNumber", "ReleasePhoneNumber"]
