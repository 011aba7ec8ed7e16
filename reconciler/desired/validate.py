"""The walk of one document: the top-level keys, ``version``, and each section read
by its checks (``targets``, ``policy``, ``entries``) into a ``DesiredState``.

:class:`Validator` is one walk of one file: its section checks are the mixins it
combines, sharing the walk's state (the problems found so far, and what earlier
sections found valid, such as each account's credentials).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode

from reconciler.core.model import DesiredNumber, DesiredState, Target, TargetAccess
from reconciler.desired.compose import INT as _INT
from reconciler.desired.compose import STR as _STR
from reconciler.desired.compose import describe as _describe
from reconciler.desired.entries import NumberChecks
from reconciler.desired.numbers import shorten as _shorten
from reconciler.desired.policy import PolicyChecks
from reconciler.desired.policy import Safety as _Safety
from reconciler.desired.reader import DECIMAL as _DECIMAL
from reconciler.desired.targets import TargetChecks

SUPPORTED_VERSION = 1

_TOP_KEYS = ("version", "targets", "quota", "safety", "allow_empty", "numbers")
_TOP_REQUIRED = ("version", "targets", "quota", "numbers")
TOP_SHAPE = "a mapping with the keys version: 1, targets, quota and numbers"

_T = TypeVar("_T")


class Validator(TargetChecks, PolicyChecks, NumberChecks):
    """Walks the node tree of one file and records every problem it finds.

    Each independent part (a key, a target, a number) is checked on its own: its
    first problem is recorded and checking goes on with the next part, so one
    run of ``validate`` lists everything to fix. Problems that make the rest
    meaningless (not a mapping, another version) stop at once. A part that
    depends on another (``quota.reserve`` against the limit) is judged only when
    that one is valid, so one mistake is reported once.
    """

    def document(self, root: Node, fingerprint: str) -> DesiredState:
        if not isinstance(root, MappingNode):
            self.fail(root, None, f"the top level is {_describe(root)}", TOP_SHAPE)
        top = self.entries(root, "", TOP_SHAPE)
        # The version first: a file written for another version is reported as
        # such (and alone), not as a list of unknown keys.
        if "version" not in top:
            self.fail(root, "version", "missing required key 'version'", "version: 1 at the top")
        self.version(top["version"].value)
        suggested = self.reject_unknown(top, _TOP_KEYS, "")
        self.require(top, _TOP_REQUIRED, root, "", suggested)

        def section(name: str, default: _T, read: Callable[..., _T], *args: Any) -> _T:
            if name not in top:
                return default
            return self.attempt(default, read, top[name].value, *args)

        no_targets: tuple[Target, ...] = ()
        self.access: dict[str, tuple[TargetAccess, int | None]] = {}
        targets = section("targets", no_targets, self.targets)
        quota = section("quota", None, self.quota)
        safety = section("safety", _Safety(), self.safety)
        allow_empty = section("allow_empty", False, self.boolean, "allow_empty")
        no_numbers: tuple[DesiredNumber, ...] = ()
        numbers = no_numbers
        if "numbers" in top:
            numbers = section("numbers", no_numbers, self.numbers, top["numbers"].key)
        self.outcome()
        assert quota is not None  # required, and valid: outcome() raised otherwise
        try:
            return DesiredState(
                targets=targets,
                quota=quota,
                numbers=numbers,
                max_releases=safety.max_releases,
                release_types=safety.release_types,
                release_imported=safety.release_imported,
                access=tuple(
                    (account, access)
                    for account, (access, _) in sorted(self.access.items())
                    if not access.is_default
                ),
                allow_empty=allow_empty,
                source=self.source,
                fingerprint=fingerprint,
            )
        except ValueError as exc:  # unreachable when the checks above are complete
            self.fail(root, None, str(exc))

    def version(self, node: Node) -> None:
        expected = "version: 1"
        if isinstance(node, ScalarNode) and node.tag == _INT and _DECIMAL.match(node.value):
            if int(node.value) == SUPPORTED_VERSION:
                return
            self.fail(
                node,
                "version",
                f"unsupported version {int(node.value)}; "
                f"this connect-numbers reads version {SUPPORTED_VERSION}",
                expected,
            )
        if isinstance(node, ScalarNode) and node.tag == _INT:  # 0x1, 01, 1_0
            problem = f"{_shorten(node.value)!r} is not a plain decimal integer"
        else:
            hint = " (write it without quotes)" if node.tag == _STR else ""
            problem = f"got {_describe(node)}{hint}"
        self.fail(node, "version", problem, f"{expected} (the integer 1)")
