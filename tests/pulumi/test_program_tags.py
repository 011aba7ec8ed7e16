"""The Pulumi program under mocks (issue 15, part 1): a description or tags changed in
numbers.yaml change the inputs of the same ManagedNumber resource (same name, same type,
so the engine shows an update, never a create or a replacement), and a file that names
no tags registers exactly the inputs it did before (no tag input at all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.pulumi.provider import TYPE_TOKEN

from .test_program_mocks import Run, config, numbers_file, run_program, write_ledger


def inputs_of(run: Run) -> dict[str, dict[str, Any]]:
    return {r.name: r.args for r in run.resources}


def test_description_and_tags_are_inputs_of_the_same_resources(
    emulator: Any, tmp_path: Path
) -> None:
    ledger = write_ledger(tmp_path / "history.jsonl", [])
    before = run_program(config(ledger=ledger), preview=True)
    tagged = numbers_file(
        tmp_path,
        "description: Main line\n",
        "description: Main line, renamed\n    tags: {team: support, legacy: null}\n",
        name="tagged.yaml",
    )
    after = run_program(config(tagged, ledger=ledger), preview=True)

    # The same resources: names and types unchanged, nothing created or dropped.
    assert [(r.name, r.typ) for r in after.resources] == [(r.name, r.typ) for r in before.resources]
    assert {r.typ for r in after.resources} == {TYPE_TOKEN}
    old, new = inputs_of(before), inputs_of(after)
    changed = {
        name: sorted(
            k for k in set(old[name]) | set(new[name]) if old[name].get(k) != new[name].get(k)
        )
        for name in old
    }
    main = "+12065550100"
    assert changed[main] == ["description", "numbers_file", "tags", "tags_removed"]
    assert new[main]["tags"] == {"team": "support"} and new[main]["tags_removed"] == ["legacy"]
    assert new[main]["state"] == "claimed"
    # Every other resource changes only its numbers_file (not a diff key: no change shown).
    assert all(keys == ["numbers_file"] for name, keys in changed.items() if name != main)
    # No tags named: no tag input, as a stack made before tags were managed holds.
    assert all("tags" not in a and "tags_removed" not in a for a in old.values())
    # The plan summary counts the update in place; nothing more is released.
    assert after.outputs["plan"]["updates"] == 1
    assert after.outputs["plan"]["release_numbers"] == before.outputs["plan"]["release_numbers"]
