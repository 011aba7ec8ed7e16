"""The ``targets`` section: each target's ARN, and the credentials its calls use
(``role_arn``, ``external_id``, ``profile``), the same for every target of an account."""

from __future__ import annotations

from collections.abc import Mapping

from yaml.nodes import Node

from reconciler.core.model import EXTERNAL_ID, ROLE_ARN, Target, TargetAccess
from reconciler.desired.compose import line_of as _line
from reconciler.desired.numbers import shorten as _shorten
from reconciler.desired.reader import Entry as _Entry
from reconciler.desired.reader import Reader

_TARGET_KEYS = ("arn", "description", "role_arn", "external_id", "profile")
_ARN_FORMS = (
    "arn:aws:connect:REGION:ACCOUNT:instance/ID or "
    "arn:aws:connect:REGION:ACCOUNT:traffic-distribution-group/ID"
)


class TargetChecks(Reader):
    """The checks of ``targets``; ``access`` holds each account's credentials so far."""

    access: dict[str, tuple[TargetAccess, int | None]]

    def targets(self, node: Node) -> tuple[Target, ...]:
        expected = "a list of targets like - arn: arn:aws:connect:REGION:ACCOUNT:instance/ID"
        items = self.sequence(node, "targets", expected)
        if not items:
            self.fail(node, "targets", "the list is empty", "at least one target; " + expected)
        targets: list[Target] = []
        first_line: dict[str, int | None] = {}
        for index, item in enumerate(items):
            target = self.attempt(None, self.target, item, index, first_line)
            if target is not None:
                targets.append(target)
        return tuple(targets)

    def target(self, item: Node, index: int, first_line: dict[str, int | None]) -> Target | None:
        path = f"targets[{index}]"
        found = self.entries(item, path, "a mapping like arn: arn:aws:connect:...")
        suggested = self.reject_unknown(found, _TARGET_KEYS, path)
        if "description" in found:
            self.attempt("", self.string, found["description"].value, f"{path}.description")
        if not self.require(found, ("arn",), item, path, suggested):
            return None
        arn_node = found["arn"].value
        arn = self.string(arn_node, f"{path}.arn", "an ARN")
        try:
            target = Target(arn=arn.strip())
        except ValueError as exc:
            self.fail(arn_node, f"{path}.arn", str(exc), _ARN_FORMS)
        if target.arn in first_line:
            self.fail(
                arn_node,
                f"{path}.arn",
                f"duplicate target (already listed on line {first_line[target.arn]})",
                "each target once",
            )
        first_line[target.arn] = _line(arn_node)
        self.target_access(target, found, item, path)
        return target

    def target_access(
        self, target: Target, found: Mapping[str, _Entry], item: Node, path: str
    ) -> None:
        """``role_arn``, ``external_id`` and ``profile``: the credentials of the target's
        calls. One account's targets share them (clients are built per account)."""
        values: dict[str, str] = {}
        for key in ("role_arn", "external_id", "profile"):
            if key in found:
                value = self.string(found[key].value, f"{path}.{key}").strip()
                values[key] = value
        role = values.get("role_arn")
        if role is not None:
            node = found["role_arn"].value
            match = ROLE_ARN.match(role)
            if match is None:
                self.fail(
                    node,
                    f"{path}.role_arn",
                    f"{_shorten(role)!r} is not an IAM role ARN",
                    "arn:aws:iam::ACCOUNT:role/NAME (the role to assume for this target)",
                )
            if match.group("account") != target.account_id:
                self.fail(
                    node,
                    f"{path}.role_arn",
                    f"the role is in account {match.group('account')}, the target in account "
                    f"{target.account_id}",
                    f"a role of account {target.account_id} (create it there, trusting the "
                    "account that runs connect-numbers; see examples/iam-policy.json)",
                )
        if "external_id" in values:
            node = found["external_id"].value
            if role is None:
                self.fail(
                    node,
                    f"{path}.external_id",
                    "external_id without role_arn",
                    "role_arn as well (the external id is sent with AssumeRole), or no external_id",
                )
            if not EXTERNAL_ID.match(values["external_id"]):
                self.fail(
                    node,
                    f"{path}.external_id",
                    f"{len(values['external_id'])} character(s)"
                    if not 2 <= len(values["external_id"]) <= 1224
                    else "a character AWS refuses in an external id",
                    "2 to 1224 characters of letters, digits and +=,.@:/_- (AWS's ExternalId)",
                )
        if "profile" in values and not values["profile"]:
            self.fail(found["profile"].value, f"{path}.profile", "empty", "a profile name")
        access = TargetAccess(
            role_arn=role, external_id=values.get("external_id"), profile=values.get("profile")
        )
        earlier = self.access.get(target.account_id)
        if earlier is None:
            self.access[target.account_id] = (access, _line(item))
        elif earlier[0] != access:
            self.fail(
                item,
                path,
                f"account {target.account_id} uses {access.describe()} here but "
                f"{earlier[0].describe()} on line {earlier[1]}",
                "the same role_arn, external_id and profile on every target of one account",
            )
