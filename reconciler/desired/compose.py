"""numbers.yaml's bytes to text to a tree of YAML nodes, every node with its line.

Hostile input is refused before it costs anything: anchors, aliases,
non-standard tags and absurd nesting are rejected while composing, so an alias
bomb never expands and no Python object is ever built from a tag. libyaml's
composer (``CSafeLoader``) is the fast path; a tree it cannot vouch for is
composed again by the checked Python composer, so results never differ.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, NodeEvent, ScalarEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:
    from yaml import CSafeLoader as _LibyamlLoader
except ImportError:  # PyYAML built without libyaml: the same composer, in Python
    from yaml import SafeLoader as _LibyamlLoader  # type: ignore[assignment]

from reconciler.core.errors import NumbersFileError
from reconciler.desired.numbers import shorten

__all__ = [
    "BOOL",
    "FLOAT",
    "INT",
    "MAP",
    "MAX_DEPTH",
    "NULL",
    "SEQ",
    "STR",
    "compose",
    "compose_checked",
    "compose_fast",
    "decode",
    "describe",
    "line_of",
]

# The deepest legitimate node is a description: top mapping > numbers list >
# entry mapping > scalar. PyYAML's composer recurses once per level, so without
# a bound "[[[[..." would end in RecursionError instead of a clear message.
MAX_DEPTH = 16

CORE = "tag:yaml.org,2002:"
STR = CORE + "str"
INT = CORE + "int"
FLOAT = CORE + "float"
BOOL = CORE + "bool"
NULL = CORE + "null"
SEQ = CORE + "seq"
MAP = CORE + "map"
# Explicit tags a user may reasonably write (``!!str 0100``); anything else,
# notably ``!!python/object`` and local ``!tags``, is refused.
STANDARD_TAGS = frozenset({STR, INT, FLOAT, BOOL, NULL, SEQ, MAP})

# Characters YAML forbids in a stream (PyYAML's Reader.NON_PRINTABLE).
NON_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def decode(data: bytes, source: str) -> str:
    # UTF-16/32 byte order marks: say what the file is rather than "bad byte 0xff".
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        raise NumbersFileError(
            source,
            "the file is UTF-16 or UTF-32 (it starts with a byte order mark)",
            line=1,
            expected="UTF-8 text",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # valid up to the first bad byte
        line = _line_at(before, len(before))
        column = len(_LINE_BREAK.split(before)[-1]) + 1
        raise NumbersFileError(
            source,
            f"byte 0x{data[exc.start]:02x} at column {column} is not valid UTF-8",
            line=line,
            expected="UTF-8 text",
        ) from exc
    # A UTF-8 byte order mark is harmless (editors on Windows add one); drop it.
    text = text.removeprefix("\ufeff")
    bad = NON_PRINTABLE.search(text)
    if bad is not None:
        char = bad.group()
        name = "a NUL byte" if char == "\x00" else "the control character"
        line = _line_at(text, bad.start())
        raise NumbersFileError(
            source,
            f"contains {name} U+{ord(char):04X}, which YAML does not allow",
            line=line,
            expected="a text file",
        )
    return text


# YAML 1.1 line breaks, as PyYAML counts them in its marks (CRLF is one break).
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _line_at(text: str, index: int) -> int:
    """The 1-based line of ``text[index]``, counted the way the YAML marks count."""
    return len(_LINE_BREAK.findall(text, 0, index)) + 1


class _RefusedError(Exception):
    """Raised from inside the composer; turned into NumbersFileError by compose."""

    def __init__(self, line: int | None, message: str, expected: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.expected = expected


def _event_line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return None if mark is None else mark.line + 1


class _Loader(yaml.SafeLoader):
    """A composer that refuses anchors, aliases, custom tags and deep nesting.

    The checks run on parser events, before the node is built: an alias bomb
    is refused at its first ``&anchor``, having expanded nothing.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def next_event(self) -> yaml.Event:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        return event

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.next_event()
        line = _event_line(event)
        if isinstance(event, AliasEvent):
            raise _RefusedError(
                line,
                f"alias *{shorten(event.anchor or '')} is not supported "
                "(anchors and aliases are refused, so a file means what it shows)",
                "every value written out in full",
            )
        if isinstance(event, NodeEvent) and event.anchor is not None:
            raise _RefusedError(
                line,
                f"anchor &{shorten(event.anchor)} is not supported "
                "(anchors and aliases are refused, so a file means what it shows)",
                "every value written out in full",
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            tag = event.tag
            if tag is not None and tag not in STANDARD_TAGS:
                shown = "!!" + tag.removeprefix(CORE) if tag.startswith(CORE) else tag
                raise _RefusedError(
                    line,
                    f"the tag {shorten(shown)} is not supported",
                    "plain values (or one of the standard tags !!str, !!int, !!bool)",
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _RefusedError(line, "values are nested too deeply", "the numbers.yaml layout")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Recheck(Exception):
    """The fast composer met something the checked one must judge (and word)."""


class _FastLoader(_LibyamlLoader):
    """libyaml's composer, with the depth bound of :class:`_Loader`.

    libyaml builds nodes in C but still asks Python to resolve each node
    (``descend_resolver``/``resolve``/``ascend_resolver``), which is where the
    depth is bounded: "[[[[..." is stopped at the same level, before libyaml's
    composer recurses any deeper. Anchors and tags are found on the finished
    tree (:func:`_has_properties`); an alias is a shared node, never a copy.
    """

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def descend_resolver(self, current_node: Node | None, current_index: Any) -> None:
        # SafeLoader has no path resolvers, so Resolver's own method does nothing.
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Recheck

    def ascend_resolver(self) -> None:
        self._depth -= 1


_LINE_ENDS = ("\n", "\r", "\x85", "\u2028", "\u2029")

# What a node's properties start with: an &anchor or a !tag (an *alias needs an
# anchor). A file without either character has neither, whatever its layout.
_PROPERTY_MARKS = ("&", "!")
# Block scalars (``|``, ``>``): libyaml accepts header forms PyYAML refuses
# (``|#``), so a tree holding one is composed again by the checked composer.
_RECHECK_MARKS = (*_PROPERTY_MARKS, "|", ">")


def _has_properties(root: Node, text: str) -> bool:
    """Whether any node of the tree carries an anchor or an explicit tag, or is a block scalar.

    A node's start mark is the start of its properties when it has any, and
    marks count characters of ``text``. A node met twice is an alias.
    """
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        index = node.start_mark.index
        if text[index : index + 1] in _PROPERTY_MARKS:
            return True
        if isinstance(node, ScalarNode) and node.style in ("|", ">"):
            return True
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
    return False


def compose_fast(text: str) -> tuple[bool, Node | None]:
    """``(True, root)`` by libyaml, or ``(False, None)`` when the checked composer must decide.

    Only a tree both composers build alike is returned: plain YAML without
    anchors, aliases, tags, deep nesting or a second document. Anything else,
    errors included, goes to :func:`compose_checked`, which refuses it with
    the line and words the corpus expects (libyaml words its errors otherwise).
    """
    if not text.endswith(_LINE_ENDS) or "\t" in text or "\ufeff" in text:
        # Where the two scanners are known to differ: libyaml ends an unfinished
        # last line itself (an empty value there gets the next line), takes tabs
        # as spaces in places PyYAML refuses them, and skips a byte order mark
        # after the start. Rare in a numbers file; the checked composer reads
        # those as it always did.
        return False, None
    loader = _FastLoader(text)
    try:
        if not loader.check_node():
            return True, None
        root = loader.get_node()
        if root is None or loader.check_node():
            return False, None
    except (yaml.YAMLError, _Recheck):
        return False, None
    finally:
        loader.dispose()
    if any(mark in text for mark in _RECHECK_MARKS) and _has_properties(root, text):
        return False, None
    return True, root


def compose(text: str, source: str) -> Node | None:
    decided, root = compose_fast(text)
    return root if decided else compose_checked(text, source)


def compose_checked(text: str, source: str) -> Node | None:
    loader = _Loader(text)
    try:
        if not loader.check_node():
            return None
        root = loader.get_node()
        if loader.check_node():
            raise NumbersFileError(
                source,
                "the file holds more than one YAML document",
                line=_event_line(loader.next_event()),
                expected="a single document (remove the second ---)",
            )
        return root
    except _RefusedError as exc:
        raise NumbersFileError(source, exc.message, line=exc.line, expected=exc.expected) from exc
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(source, exc) from exc
    except yaml.YAMLError as exc:  # ReaderError and the like carry no mark
        raise NumbersFileError(source, f"not valid YAML: {exc}", expected="valid YAML") from exc
    finally:
        loader.dispose()


def _syntax_error(source: str, exc: yaml.MarkedYAMLError) -> NumbersFileError:
    mark = exc.problem_mark or exc.context_mark
    line = None if mark is None else mark.line + 1
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem and exc.context_mark is not None:
        problem = f"{problem} ({exc.context} on line {exc.context_mark.line + 1})"
    expected = "valid YAML"
    if "'\\t'" in problem:
        expected = "indentation with spaces; YAML does not allow tabs there"
    return NumbersFileError(source, f"YAML syntax error: {problem}", line=line, expected=expected)


def line_of(node: Node) -> int | None:
    mark = node.start_mark
    return None if mark is None else int(mark.line) + 1


def describe(node: Node) -> str:
    """How a value reads to the user, for "got X; expected Y" messages."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = shorten(str(node.value))
    if node.tag == NULL:
        return "null (no value)"
    if node.tag == BOOL:
        return f"the boolean {value}"
    if node.tag == INT:
        return f"the integer {value}"
    if node.tag == FLOAT:
        return f"the number {value}"
    if node.tag == STR:
        return f"the string {value!r}"
    return repr(value)
