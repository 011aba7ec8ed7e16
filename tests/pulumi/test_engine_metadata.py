"""Descriptions and tags under the real Pulumi engine (issue 15, part 1): once the stack
holds its numbers, a description or tag changed in numbers.yaml previews as an update of
that number's own resource (never a create, a replace or a delete), `pulumi up` makes it
in place with no release and no quota used, and the next preview is all `same`."""

from __future__ import annotations

from collections import Counter

import boto3

from connect_emulator import EmulatorServer
from tests.pulumi.engine import Project, ops, steps
from tests.pulumi.test_engine import (
    RELEASES,
    ROWS,
    TARGET,
    adopted,
    preview,
    project,
    released,
    up,
)

__all__ = ["project"]  # the fixture, shared with test_engine.py

MAIN = "+12065550100"


def test_a_description_and_tag_change_previews_and_applies_as_an_update(
    project: Project, emulator: EmulatorServer
) -> None:
    adopted(project, emulator)
    up(project)  # the releases of the sample: the stack converged
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))
    used = emulator.state_summary()["quota"]["used"]

    numbers = project.dir / "numbers.yaml"
    text = numbers.read_text()
    assert "description: Main line\n" in text
    numbers.write_text(
        text.replace(
            "description: Main line\n",
            "description: Main line, renamed\n    tags: {cost-center: '42', env: null}\n",
        )
    )
    shown = preview(project)
    assert ops(shown) == {n: "update" if n == MAIN else "same" for n in ROWS}
    step = steps(shown)[MAIN]
    old, new = step["oldState"]["inputs"], step["newState"]["inputs"]
    changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
    assert changed == {"description", "tags", "tags_removed"}
    assert new["tags"] == {"cost-center": "42"} and new["tags_removed"] == ["env"]

    up(project)
    connect = boto3.client("connect", region_name="us-east-1")
    listed = connect.list_phone_numbers_v2(TargetArn=TARGET)
    (summary,) = [n for n in listed["ListPhoneNumbersSummaryList"] if n["PhoneNumber"] == MAIN]
    now = connect.describe_phone_number(PhoneNumberId=summary["PhoneNumberId"])
    number = now["ClaimedPhoneNumberSummary"]
    assert number["PhoneNumberDescription"] == "Main line, renamed"
    # The seed's tags were {team: support, env: prod}: env removed, team left alone.
    assert number["Tags"] == {"team": "support", "cost-center": "42"}
    assert released(emulator) == Counter(dict.fromkeys(RELEASES, 1))  # nothing more
    assert emulator.state_summary()["quota"]["used"] == used  # no quota cost

    assert set(ops(preview(project)).values()) == {"same"}
    assert project.run("preview", "--expect-no-changes").code == 0
