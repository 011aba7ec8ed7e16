"""targets[].role_arn, external_id and profile: validated with file:line errors."""

from __future__ import annotations

import pytest

from reconciler.core.errors import NumbersFileError
from reconciler.core.model import TargetAccess
from reconciler.desired import parse_desired

A = "111122223333"
B = "444455556666"


def document(*targets: str) -> bytes:
    body = "".join(targets)
    return f"version: 1\ntargets:\n{body}quota:\n  phone_numbers: 10\nnumbers: []\n".encode()


def target(account: str, ident: str, **extra: str) -> str:
    lines = f"  - arn: arn:aws:connect:us-east-1:{account}:instance/{ident}\n"
    return lines + "".join(f"    {key}: {value}\n" for key, value in extra.items())


def errors(data: bytes) -> str:
    with pytest.raises(NumbersFileError) as caught:
        parse_desired(data, "n.yaml")
    return str(caught.value)


def test_each_account_gets_its_role_profile_or_the_default() -> None:
    state = parse_desired(
        document(
            target(
                A, "a1", role_arn=f"arn:aws:iam::{A}:role/path/connect-numbers", external_id="x-1"
            ),
            target(
                A, "a2", role_arn=f"arn:aws:iam::{A}:role/path/connect-numbers", external_id="x-1"
            ),
            target(B, "b1", profile="ops-b"),
            target("777788889999", "c1"),
        ),
        "n.yaml",
    )
    assert state.access_by_account() == {
        A: TargetAccess(role_arn=f"arn:aws:iam::{A}:role/path/connect-numbers", external_id="x-1"),
        B: TargetAccess(profile="ops-b"),
    }
    assert len(state.targets) == 4


def test_a_profile_with_a_role_is_the_source_of_the_assume_role() -> None:
    state = parse_desired(
        document(target(A, "a", role_arn=f"arn:aws:iam::{A}:role/r", profile="hub")), "n.yaml"
    )
    access = state.access_by_account()[A]
    assert (access.role_arn, access.profile) == (f"arn:aws:iam::{A}:role/r", "hub")
    assert access.describe() == f"role arn:aws:iam::{A}:role/r (assumed with profile hub)"


def test_a_role_of_another_account_is_refused_with_its_line() -> None:
    message = errors(document(target(B, "b", role_arn=f"arn:aws:iam::{A}:role/r")))
    assert "n.yaml:4: targets[0].role_arn" in message
    assert f"the role is in account {A}, the target in account {B}" in message
    assert f"a role of account {B}" in message


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::12345:role/r",  # not 12 digits
        f"arn:aws:iam::{A}:user/r",  # a user, not a role
        f"arn:aws:sts::{A}:assumed-role/r/s",
        f"arn:aws:iam::{A}:role/" + "r" * 65,  # a role name is at most 64 characters
        f"arn:aws:iam::{A}:role/bad name",
    ],
)
def test_what_is_not_a_role_arn_is_refused(arn: str) -> None:
    message = errors(document(target(A, "a", role_arn=f"'{arn}'")))
    assert "n.yaml:4: targets[0].role_arn" in message and "is not an IAM role ARN" in message


def test_external_id_needs_a_role_and_follows_aws_rules() -> None:
    alone = errors(document(target(A, "a", external_id="abc")))
    assert "n.yaml:4: targets[0].external_id: external_id without role_arn" in alone
    role = f"arn:aws:iam::{A}:role/r"
    for bad in ("x", "'has space'", "x" * 1225, "'é-accent'"):
        message = errors(document(target(A, "a", role_arn=role, external_id=bad)))
        assert "n.yaml:5: targets[0].external_id" in message, bad
        assert "2 to 1224 characters" in message
    ok = parse_desired(document(target(A, "a", role_arn=role, external_id="a" * 1224)), "n.yaml")
    assert ok.access_by_account()[A].external_id == "a" * 1224


def test_one_account_uses_one_set_of_credentials() -> None:
    message = errors(
        document(
            target(A, "a1", role_arn=f"arn:aws:iam::{A}:role/r"),
            target(A, "a2", profile="other"),
        )
    )
    assert "n.yaml:5: targets[1]" in message
    assert (
        f"account {A} uses profile other here but role arn:aws:iam::{A}:role/r on line 3" in message
    )


def test_an_empty_profile_and_an_unknown_key_are_refused() -> None:
    assert "targets[0].profile: empty" in errors(document(target(A, "a", profile="''")))
    assert "did you mean 'role_arn'" in errors(document(target(A, "a", rolearn="x")))


def test_every_problem_is_listed_at_once() -> None:
    message = errors(
        document(
            target(B, "b", role_arn=f"arn:aws:iam::{A}:role/r"),
            target(A, "a", external_id="zz"),
        )
    )
    assert "targets[0].role_arn" in message and "targets[1].external_id" in message
