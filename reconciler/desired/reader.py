"""The validator's core: recording problems, and reading the node tree's mappings,
lists and scalars (integers, booleans, strings) the same way in every section.

Every section's checks (``targets``, ``policy``, ``entries``) build on :class:`Reader`;
``validate`` combines them into the one walk of a document.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.errors import NumbersFileError, NumbersFileErrors
from reconciler.desired.compose import BOOL as _BOOL
from reconciler.desired.compose import INT as _INT
from reconciler.desired.compose import STR as _STR
from reconciler.desired.compose import describe as _describe
from reconciler.desired.compose import line_of as _line
from reconciler.desired.numbers import shorten as _shorten

# Plain decimal only: YAML 1.1 also reads 0x1A, 0o17, 017 (octal!), 1_000 and
# 1:30 as integers, none of which a quota figure should be written as. 18
# digits keeps int() far from Python's digit limit on hostile input.
DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,17})$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})

_T = TypeVar("_T")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclass(frozen=True, slots=True)
class Entry:
    key: ScalarNode
    value: Node


class Reader:
    """Records the problems of one file, and reads its nodes into values.

    ``fail`` raises a problem, ``note`` records it and goes on, ``attempt`` runs a
    check and records its problem; ``outcome`` raises everything recorded.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[NumbersFileError] = []

    def fail(
        self, at: Node | int | None, key: str | None, message: str, expected: str | None = None
    ) -> NoReturn:
        line = _line(at) if isinstance(at, Node) else at
        raise NumbersFileError(self.source, message, line=line, key=key or None, expected=expected)

    def note(
        self, at: Node | int | None, key: str | None, message: str, expected: str | None = None
    ) -> None:
        """Record a problem and go on."""
        try:
            self.fail(at, key, message, expected)
        except NumbersFileError as exc:
            self.errors.append(exc)

    def attempt(self, default: _T, check: Callable[..., _T], *args: Any) -> _T:
        """``check(*args)``, or ``default`` with its problem recorded."""
        try:
            return check(*args)
        except NumbersFileError as exc:
            self.errors.append(exc)
            return default

    def outcome(self) -> None:
        """Raise every recorded problem, in the order of the file (one error if one)."""
        if not self.errors:
            return
        ordered = sorted(self.errors, key=lambda e: e.line or 0)
        if len(ordered) == 1:
            raise ordered[0]
        raise NumbersFileErrors(ordered)

    # -- structure ---------------------------------------------------------

    def entries(self, node: Node, path: str, expected: str) -> dict[str, Entry]:
        """The keys of a mapping node; refuses non-mappings, records bad and repeated keys."""
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"got {_describe(node)}", expected)
        found: dict[str, Entry] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.note(key_node, path, f"a key is {_describe(key_node)}", "plain key names")
                continue
            name = str(key_node.value)
            first = found.get(name)
            if first is not None:
                self.note(
                    key_node,
                    _join(path, name),
                    f"duplicate key (first on line {_line(first.key)}, again on line "
                    f"{_line(key_node)}); YAML would silently keep only the last one",
                    "each key once",
                )
                continue
            found[name] = Entry(key_node, value_node)
        return found

    def reject_unknown(
        self, found: Mapping[str, Entry], allowed: Iterable[str], path: str
    ) -> set[str]:
        """Record each unknown key; returns the known keys suggested instead."""
        allowed = tuple(allowed)
        suggested: set[str] = set()
        for name, entry in found.items():
            if name in allowed:
                continue
            guess = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f" (did you mean {guess[0]!r}?)" if guess else ""
            suggested.update(guess)
            self.note(
                entry.key,
                _join(path, _shorten(name)),
                f"unknown key{hint}",
                "one of " + ", ".join(allowed),
            )
        return suggested

    def require(
        self,
        found: Mapping[str, Entry],
        required: Iterable[str],
        parent: Node,
        path: str,
        suggested: Iterable[str] = (),
    ) -> bool:
        """Record each missing key (not one an unknown key was taken for); False if any."""
        missing = [name for name in required if name not in found]
        for name in missing:
            if name in suggested:
                continue  # reported as the misspelt key already
            where = f"in {path}" if path else "at the top level"
            self.note(parent, _join(path, name), f"missing required key {name!r} {where}")
        return not missing

    def sequence(self, node: Node, path: str, expected: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail(node, path, f"got {_describe(node)}", expected)
        return list(node.value)

    # -- scalars -------------------------------------------------------------

    def integer(
        self, node: Node, path: str, *, low: int, high: int | None = None, meaning: str = ""
    ) -> int:
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        expected = f"an integer {span}{meaning}"
        if not isinstance(node, ScalarNode) or node.tag != _INT:
            quoted = isinstance(node, ScalarNode) and node.tag == _STR
            quoted = quoted and DECIMAL.match(node.value) is not None
            hint = " (remove the quotes)" if quoted else ""
            self.fail(node, path, f"got {_describe(node)}{hint}", expected)
        text = str(node.value)
        if not DECIMAL.match(text):
            self.fail(node, path, f"{_shorten(text)!r} is not a plain decimal integer", expected)
        value = int(text)
        if value < low or (high is not None and value > high):
            self.fail(node, path, f"{value} is out of range", expected)
        return value

    def boolean(self, node: Node, path: str) -> bool:
        expected = "true or false"
        if isinstance(node, ScalarNode) and node.tag == _BOOL:
            if node.value in _TRUE:
                return True
            if node.value in _FALSE:
                return False
            self.fail(
                node,
                path,
                f"{_shorten(node.value)!r} reads as a boolean only in YAML 1.1; "
                "this file accepts only true or false",
                expected,
            )
        self.fail(node, path, f"got {_describe(node)}", expected)

    def string(self, node: Node, path: str, expected: str = "a string") -> str:
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            self.fail(node, path, f"got {_describe(node)}", f"{expected} (quote it if needed)")
        return str(node.value)
