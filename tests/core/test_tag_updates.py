"""Tags in place (issue 15, part 1): only the keys numbers.yaml names are managed; a
value is set when the live one differs or is missing, a key given as null is removed
when present; every other tag is never touched. Never a release, no quota cost."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from reconciler.app import planfiles, service
from reconciler.core import apply_rules, planner, render
from reconciler.core.inventory import FakeInventory
from reconciler.core.model import DesiredNumber, Plan, Policy

from .builders import NOW, desired, events, inventory, live

NUMBER = "+12065550100"
LIVE_TAGS = (("cost", "12"), ("owner", "ops"), ("team", "sales"))


def state_with(tags: tuple[tuple[str, str | None], ...], description: str | None = None):  # type: ignore[no-untyped-def]
    base = desired(NUMBER, "+12065550101")
    numbers = (
        DesiredNumber(phone_number=NUMBER, description=description, tags=tags),
        DesiredNumber(phone_number="+12065550101"),
    )
    return replace(base, numbers=numbers)


def plan_with(
    tags: tuple[tuple[str, str | None], ...],
    live_tags: tuple[tuple[str, str], ...] | None = LIVE_TAGS,
    description: str | None = None,
) -> Plan:
    number = replace(live(NUMBER, description="Old"), tags=live_tags)
    return planner.plan(
        state_with(tags, description),
        inventory(number, live("+12065550101")),
        events(20, days_ago=10),  # the window is full: an update must still be planned
        policy=Policy(),
        now=NOW,
        covered_since=NOW - timedelta(days=400),
    )


def test_a_changed_or_missing_tag_is_set_a_null_one_removed_and_others_left_alone() -> None:
    plan = plan_with((("cost", None), ("region", "emea"), ("team", "support")))
    assert plan.releases == () and plan.quota.planned == 0 and not plan.refused
    (update,) = plan.updates
    assert update.tags_set == (("region", "emea"), ("team", "support"))
    assert update.tags_remove == ("cost",)
    assert update.tags_from == (("cost", "12"), ("team", "sales"))
    assert update.description_to is None  # the file gives no description: left alone
    # "owner" is not named by the file: never set, never removed.
    assert "owner" not in dict(update.tags_set) and "owner" not in update.tags_remove


def test_tags_already_as_named_are_no_update() -> None:
    assert plan_with((("team", "sales"), ("absent", None))).updates == ()
    assert not plan_with((("team", "sales"),)).has_changes


def test_tags_not_read_plan_no_tag_change() -> None:
    # A plan refused after the listing reads no tags: it plans no tag change.
    assert plan_with((("team", "support"),), live_tags=None).updates == ()


def test_description_and_tags_are_one_update() -> None:
    (update,) = plan_with((("team", "support"),), description="Support line").updates
    assert (update.description_from, update.description_to) == ("Old", "Support line")
    assert update.tags_set == (("team", "support"),)


def test_every_format_shows_the_tag_lines() -> None:
    plan = plan_with((("cost", None), ("region", "emea"), ("team", "support")), description="New")
    data = json.loads(render.render_json(plan))
    assert data["updates"][0]["tags"] == {
        "set": {"region": "emea", "team": "support"},
        "remove": ["cost"],
        "from": {"cost": "12", "team": "sales"},
    }
    text = render.render_text(plan)
    assert (
        '      ~ description "Old" -> "New"\n'
        '      - tags cost: "12" -> (removed)\n'
        '      ~ tags region: (none) -> "emea"\n'
        '      ~ tags team: "sales" -> "support"\n'
    ) in text
    markdown = render.render_markdown(plan)
    assert (
        '| `+12065550100` | ~ "Old" → "New" | - tags cost: "12" → (removed)<br>'
        '~ tags region: (none) → "emea"<br>~ tags team: "sales" → "support" |'
    ) in markdown


def test_a_saved_plan_with_tag_updates_reads_back_equal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    plan = plan_with((("cost", None), ("team", "support")))
    path = tmp_path / "plan.json"
    planfiles.write_plan(plan, str(path))
    assert planfiles.load_plan(str(path)) == plan
    assert apply_rules.confirm(plan, plan).updates == plan.updates
    assert apply_rules.confirm(plan, plan_with((("team", "other"),))).updates == ()


def test_only_kept_numbers_whose_entry_names_tags_are_described() -> None:
    tagged = replace(live(NUMBER), tags=LIVE_TAGS)
    fake = FakeInventory([tagged, live("+12065550101"), live("+12065550102")])
    plain = replace(state_with(()), numbers=(DesiredNumber(phone_number=NUMBER),))
    service.make_plan(plain, fake, (), policy=Policy(), now=NOW)
    assert fake.describe_calls == 2  # the two release candidates only
    fake.describe_calls = 0
    plan = service.make_plan(state_with((("team", "support"),)), fake, (), policy=Policy(), now=NOW)
    assert fake.describe_calls == 2  # one release candidate + the tagged kept number
    assert plan.updates[0].tags_set == (("team", "support"),)


_KEYS = st.sampled_from(["a", "b", "c", "team", "cost"])
_VALUES = st.sampled_from(["x", "y", "support"])


@given(
    live_tags=st.dictionaries(_KEYS, _VALUES),
    wanted=st.dictionaries(_KEYS, st.one_of(st.none(), _VALUES)),
)
def test_applying_the_diff_reaches_the_file_and_touches_no_other_key(
    live_tags: dict[str, str], wanted: dict[str, str | None]
) -> None:
    to_set, to_remove = planner.tag_diff(
        tuple(sorted(live_tags.items())), tuple(sorted(wanted.items()))
    )
    after = {**live_tags, **dict(to_set)}
    for key in to_remove:
        del after[key]
    for key, value in wanted.items():
        assert after.get(key) == value  # None: absent
    for key in set(live_tags) - set(wanted):
        assert after[key] == live_tags[key]  # never touched
    again = planner.tag_diff(tuple(sorted(after.items())), tuple(sorted(wanted.items())))
    assert again == ((), ())  # converged: the next plan has nothing to do


def test_the_pulumi_resource_of_a_kept_number_carries_the_tags_the_file_names() -> None:
    from reconciler.core import stack

    plan = plan_with((("cost", None), ("team", "support")))
    resources = {r.phone_number: r for r in stack.stack_resources(plan, [], now=NOW, stack="p/s")}
    args = resources[NUMBER].as_args()
    assert args["tags"] == {"team": "support"} and args["tags_removed"] == ["cost"]
    # A number whose entry names no tags has neither input (None: dropped by Pulumi).
    other = resources["+12065550101"].as_args()
    assert other["tags"] is None and other["tags_removed"] is None
