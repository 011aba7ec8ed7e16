"""Read and validate ``numbers.yaml`` (version 1) into a :class:`DesiredState`.

Why walk YAML nodes instead of loading Python objects
-----------------------------------------------------
``yaml.safe_load`` answers "what data is this?" and forgets where each value
came from and how it was written. A file that decides which phone numbers are
released, irreversibly, needs more than that:

* **Every error names a line.** The composer keeps a mark on every node, so a
  wrong value is reported as ``numbers.yaml:12: quota.reserve: ...`` instead
  of "reserve is wrong somewhere".
* **YAML 1.1 implicit typing cannot surprise.** ``safe_load`` turns
  ``+12065550100`` into the int 12065550100 (plus sign gone), ``yes`` into
  True, ``010`` into 8 and ``1:30`` into 90. Walking nodes, we read the scalar
  exactly as written and decide ourselves: a phone number is its raw text, an
  integer must be written as a plain decimal, a boolean as true or false.
* **Duplicate keys are caught.** PyYAML silently keeps the last of two equal
  keys; on the node tree both are still there, with their lines.
* **Hostile input is refused before it costs anything.** Anchors, aliases,
  non-standard tags and absurd nesting are rejected while composing, so an
  alias bomb ("billion laughs") never expands and no Python object is ever
  built from a tag.

The package: ``compose`` turns bytes into a tree of nodes, every node with its
line; ``numbers`` turns phone numbers into E.164; this module validates the
tree into a ``DesiredState`` and is pure except for :func:`load_desired`,
which reads the bytes and hands them to :func:`parse_desired`. Every problem becomes a
:class:`~reconciler.core.errors.NumbersFileError`; nothing else escapes for bad
input (the Hypothesis tests hold us to that).

Why one module: ``_Validator`` is one walk of one document. Its per-section
checks share the walk's state (the problems found so far, and the sections
already found valid that later checks depend on, such as ``quota.reserve``
against the limit), so the sections read in the order the file is checked.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.core.errors import NumbersFileError, NumbersFileErrors
from reconciler.core.model import (
    DEFAULT_RELEASE_TYPES,
    EXTERNAL_ID,
    ROLE_ARN,
    DesiredNumber,
    DesiredState,
    NumberType,
    QuotaPolicy,
    Target,
    TargetAccess,
)
from reconciler.desired.compose import BOOL as _BOOL
from reconciler.desired.compose import INT as _INT
from reconciler.desired.compose import NULL as _NULL
from reconciler.desired.compose import STR as _STR
from reconciler.desired.compose import compose as _compose
from reconciler.desired.compose import decode as _decode
from reconciler.desired.compose import describe as _describe
from reconciler.desired.compose import line_of as _line
from reconciler.desired.numbers import normalize_number
from reconciler.desired.numbers import shorten as _shorten

__all__ = ["MAX_FILE_BYTES", "load_desired", "normalize_number", "parse_desired"]

#: A numbers file larger than this is refused unread: 16 MiB holds over
#: 200,000 numbers with descriptions (100,000 take about 7 MB), and the bound
#: keeps a wrong path (a log, a disk image) from being slurped into memory and
#: parsed. YAML bombs are refused whatever the size: anchors and aliases are
#: refused before anything expands, and nesting is bounded (``_MAX_DEPTH``).
MAX_FILE_BYTES = 16 * 1024 * 1024

SUPPORTED_VERSION = 1
DEFAULT_MAX_RELEASES = 10

# Plain decimal only: YAML 1.1 also reads 0x1A, 0o17, 017 (octal!), 1_000 and
# 1:30 as integers, none of which a quota figure should be written as. 18
# digits keeps int() far from Python's digit limit on hostile input.
_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,17})$")
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})

_TOP_KEYS = ("version", "targets", "quota", "safety", "allow_empty", "numbers")
_TOP_REQUIRED = ("version", "targets", "quota", "numbers")
_TARGET_KEYS = ("arn", "description", "role_arn", "external_id", "profile")
_QUOTA_KEYS = (
    "phone_numbers",
    "window_days",
    "limit_percent",
    "reserve",
    "fallback",
    "assume_prior",
)
_SAFETY_KEYS = ("max_releases", "release_types", "release_imported")
_NUMBER_KEYS = ("number", "description", "tags")

# AWS tagging rules, as botocore's Connect model writes them (TagKey, TagValue, TagMap):
# a key of 1 to 128 letters, spaces, digits and _ . : / = + - @, not starting aws:;
# a value of at most 256 characters; at most 50 tags on a resource.
MAX_TAGS = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
_TAG_KEY_PUNCTUATION = frozenset("_.:/=+-@")
_TAGS_EXPECTED = (
    "a mapping of tag keys to string values, like tags: {team: support} "
    "(a key given as null removes that tag)"
)

_ARN_FORMS = (
    "arn:aws:connect:REGION:ACCOUNT:instance/ID or "
    "arn:aws:connect:REGION:ACCOUNT:traffic-distribution-group/ID"
)
_INTERNATIONAL = "a number in international form, like +1 206 555 0100"
_TOP_SHAPE = "a mapping with the keys version: 1, targets, quota and numbers"


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def load_desired(path: str | os.PathLike[str]) -> DesiredState:
    """Read ``path`` and parse it with :func:`parse_desired`.

    The size is checked before the content is read, and at most
    ``MAX_FILE_BYTES + 1`` bytes are ever read, so a special file or a file
    growing underneath us cannot exhaust memory.
    """
    source = os.fspath(path)
    return parse_desired(_read(source), source)


def load_desired_for(path: str | os.PathLike[str], targets: Iterable[str]) -> DesiredState:
    """A numbers file whose targets are given by the caller, not listed in the file.

    For the Pulumi component ``ConnectNumbers(targets=...)``, whose targets may be
    outputs of other resources (``aws.connect.Instance(...).arn``). The file must
    not have a ``targets`` key (two lists would disagree); the given ARNs are
    appended as its ``targets``, so every error still names the file's own lines.
    """
    source = os.fspath(path)
    data = _read(source)
    arns = list(targets)
    try:
        root = _compose(_decode(data, source), source)
    except NumbersFileError:
        root = None  # parse_desired reports it with its line
    if isinstance(root, MappingNode) and any(
        isinstance(key, ScalarNode) and key.value == "targets" for key, _ in root.value
    ):
        raise NumbersFileError(
            source,
            "lists its own targets, and targets are also given to ConnectNumbers",
            key="targets",
            expected="the targets in one place: remove the key from the file, or pass no targets",
        )
    lines = "".join(f"  - arn: {arn}\n" for arn in arns)
    addition = f"\ntargets:\n{lines}" if arns else "\ntargets: []\n"
    return parse_desired(data.rstrip(b"\n") + b"\n" + addition.encode(), source)


def _read(source: str) -> bytes:
    try:
        with open(source, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                _raise_too_large(source, size)
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise NumbersFileError(source, f"cannot read: {reason}") from exc
    return data


def _raise_too_large(source: str, size: int) -> NoReturn:
    raise NumbersFileError(
        source,
        f"the file is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes "
        f"({MAX_FILE_BYTES // (1024 * 1024)} MiB)",
        expected="a numbers file smaller than the limit (is this the right file?)",
    )


def parse_desired(data: bytes, source: str) -> DesiredState:
    """Validate the bytes of a numbers file; ``source`` names it in errors.

    Pure: no I/O. Raises :class:`NumbersFileError` for every problem.
    """
    if len(data) > MAX_FILE_BYTES:
        _raise_too_large(source, len(data))
    fingerprint = "sha256:" + hashlib.sha256(data).hexdigest()
    known = _parsed.get((source, fingerprint))
    if known is not None:
        return known
    text = _decode(data, source)
    with _collection_paused():
        root = _compose(text, source)
        if root is None:
            raise NumbersFileError(
                source, "the file is empty (no YAML document)", expected=_TOP_SHAPE
            )
        state = _Validator(source).document(root, fingerprint)
    with _parsed_lock:
        if len(_parsed) >= _PARSED_LIMIT:
            _parsed.clear()
        _parsed[(source, fingerprint)] = state
    return state


@contextlib.contextmanager
def _collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file becomes a tree of nodes.

    Composing 100,000 numbers allocates millions of objects and no cycle, and
    each allocation burst sets off a collection that walks them all again: a
    quarter of the time of a large file. Reference counting still frees
    everything as usual.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


# The last files parsed, by name and digest: one run reads numbers.yaml more
# than once (the Pulumi program checks it before its component plans with it),
# and the same bytes always mean the same DesiredState (frozen, so shared).
_PARSED_LIMIT = 2
_parsed: dict[tuple[str, str], DesiredState] = {}
_parsed_lock = threading.Lock()


# --------------------------------------------------------------------------
# Nodes to values
# --------------------------------------------------------------------------


_T = TypeVar("_T")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


@dataclass(frozen=True, slots=True)
class _Entry:
    key: ScalarNode
    value: Node


@dataclass(frozen=True, slots=True)
class _Safety:
    """The ``safety`` section: the mass-release limit and the ownership policy."""

    max_releases: int = DEFAULT_MAX_RELEASES
    release_types: frozenset[NumberType] = DEFAULT_RELEASE_TYPES
    release_imported: bool = False


class _Validator:
    """Walks the node tree of one file and records every problem it finds.

    Each independent part (a key, a target, a number) is checked on its own: its
    first problem is recorded and checking goes on with the next part, so one
    run of ``validate`` lists everything to fix. Problems that make the rest
    meaningless (not a mapping, another version) stop at once. A part that
    depends on another (``quota.reserve`` against the limit) is judged only when
    that one is valid, so one mistake is reported once.
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

    def entries(self, node: Node, path: str, expected: str) -> dict[str, _Entry]:
        """The keys of a mapping node; refuses non-mappings, records bad and repeated keys."""
        if not isinstance(node, MappingNode):
            self.fail(node, path, f"got {_describe(node)}", expected)
        found: dict[str, _Entry] = {}
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
            found[name] = _Entry(key_node, value_node)
        return found

    def reject_unknown(
        self, found: Mapping[str, _Entry], allowed: Iterable[str], path: str
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
        found: Mapping[str, _Entry],
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
            quoted = quoted and _DECIMAL.match(node.value) is not None
            hint = " (remove the quotes)" if quoted else ""
            self.fail(node, path, f"got {_describe(node)}{hint}", expected)
        text = str(node.value)
        if not _DECIMAL.match(text):
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

    # -- sections ------------------------------------------------------------

    def document(self, root: Node, fingerprint: str) -> DesiredState:
        if not isinstance(root, MappingNode):
            self.fail(root, None, f"the top level is {_describe(root)}", _TOP_SHAPE)
        top = self.entries(root, "", _TOP_SHAPE)
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

    def quota(self, node: Node) -> QuotaPolicy | None:
        """The quota policy; None when a problem was recorded (the file is then refused)."""
        found = self.entries(
            node,
            "quota",
            "a mapping with phone_numbers (and optional window_days, limit_percent, reserve)",
        )
        before = len(self.errors)
        suggested = self.reject_unknown(found, _QUOTA_KEYS, "quota")
        complete = self.require(found, ("phone_numbers",), node, "quota", suggested)
        count_node = found["phone_numbers"].value if complete else None
        auto = (
            isinstance(count_node, ScalarNode)
            and count_node.tag == _STR
            and count_node.value == "auto"
        )
        phone_numbers = self.attempt(None, self.phone_numbers, found, count_node, auto)

        def optional(name: str, default: int, **bounds: Any) -> int | None:
            if name not in found:
                return default
            return self.attempt(
                None, lambda: self.integer(found[name].value, f"quota.{name}", **bounds)
            )

        assume_prior = optional(
            "assume_prior",
            0,
            low=0,
            meaning=" (events assumed for the span the history does not cover)",
        )
        window_days = optional("window_days", 180, low=1, high=3650)
        limit_percent = optional("limit_percent", 200, low=1, high=10000)
        reserve = optional("reserve", 0, low=0)
        if phone_numbers is not None and limit_percent is not None and reserve is not None:
            limit = phone_numbers * limit_percent // 100
            if reserve > limit:
                self.note(
                    found["reserve"].value,
                    "quota.reserve",
                    f"{reserve} is more than the limit of {limit} quota actions "
                    f"(phone_numbers {phone_numbers} x limit_percent {limit_percent}%)",
                    f"an integer from 0 to {limit}",
                )
        if len(self.errors) > before:
            return None
        assert phone_numbers is not None and window_days is not None
        assert limit_percent is not None and reserve is not None and assume_prior is not None
        try:
            return QuotaPolicy(
                phone_numbers=phone_numbers,
                window_days=window_days,
                limit_percent=limit_percent,
                reserve=reserve,
                assume_prior=assume_prior,
                auto=auto,
            )
        except ValueError as exc:  # unreachable when the checks above are complete
            self.fail(node, "quota", str(exc))

    def phone_numbers(
        self, found: Mapping[str, _Entry], count_node: Node | None, auto: bool
    ) -> int | None:
        """quota.phone_numbers (or, with auto, quota.fallback); None if it is missing."""
        if count_node is None:
            return None  # missing: recorded by require
        if auto:
            # `auto`: read the applied quota (Service Quotas L-8F812903); the
            # fallback is what a run uses, with a warning, when it cannot.
            if "fallback" not in found:
                self.fail(
                    count_node,
                    "quota.phone_numbers",
                    "auto needs quota.fallback, the value to use when Service Quotas "
                    "cannot be read",
                    "quota.fallback: N beside phone_numbers: auto",
                )
            return self.integer(
                found["fallback"].value,
                "quota.fallback",
                low=1,
                meaning=" (used when the applied quota cannot be read)",
            )
        value = self.integer(
            count_node,
            "quota.phone_numbers",
            low=1,
            meaning=" (the account's service quota for phone numbers), or auto",
        )
        if "fallback" in found:
            self.fail(
                found["fallback"].key,
                "quota.fallback",
                "only used with phone_numbers: auto",
                "no fallback, or phone_numbers: auto",
            )
        return value

    def safety(self, node: Node) -> _Safety:
        found = self.entries(
            node, "safety", "a mapping with max_releases, release_types, release_imported"
        )
        self.reject_unknown(found, _SAFETY_KEYS, "safety")
        default = _Safety()
        max_releases = default.max_releases
        if "max_releases" in found:
            max_releases = self.attempt(
                default.max_releases,
                lambda: self.integer(
                    found["max_releases"].value,
                    "safety.max_releases",
                    low=0,
                    meaning=" (the most releases one plan may make)",
                ),
            )
        release_types = default.release_types
        if "release_types" in found:
            release_types = self.attempt(
                default.release_types, self.release_types, found["release_types"].value
            )
        release_imported = default.release_imported
        if "release_imported" in found:
            release_imported = self.attempt(
                default.release_imported,
                self.boolean,
                found["release_imported"].value,
                "safety.release_imported",
            )
        return _Safety(max_releases, release_types, release_imported)

    def release_types(self, node: Node) -> frozenset[NumberType]:
        """safety.release_types: the PhoneNumberTypes a plan may release (issue 14)."""
        names = ", ".join(t.value for t in NumberType)
        expected = f"a list of phone number types, each one of {names}"
        items = self.sequence(node, "safety.release_types", expected)
        found: dict[NumberType, int | None] = {}
        for index, item in enumerate(items):
            path = f"safety.release_types[{index}]"
            text = self.string(item, path, "a phone number type")
            try:
                kind = NumberType(text)
            except ValueError:
                guess = difflib.get_close_matches(text.upper(), [t.value for t in NumberType], 1)
                hint = f" (did you mean {guess[0]}?)" if guess else ""
                problem = f"unknown phone number type {_shorten(text)!r}{hint}"
                self.fail(item, path, problem, expected)
            if kind in found:
                self.fail(
                    item,
                    path,
                    f"{kind.value} is listed twice (first on line {found[kind]})",
                    "each type once",
                )
            found[kind] = _line(item)
        return frozenset(found)

    def numbers(self, node: Node, key: Node) -> tuple[DesiredNumber, ...]:
        expected = 'a list of phone numbers like - "+12065550100"'
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            # "numbers:" with every entry deleted or commented out: never read
            # that as "release everything".
            self.fail(
                key,
                "numbers",
                "has no value",
                expected + "; to release every number write numbers: [] and allow_empty: true",
            )
        items = self.sequence(node, "numbers", expected)
        numbers: list[DesiredNumber] = []
        seen: dict[str, tuple[int | None, str]] = {}
        for index, item in enumerate(items):
            number = self.attempt(None, self.number, item, f"numbers[{index}]", seen)
            if number is not None:
                numbers.append(number)
        return tuple(numbers)

    def number(
        self, item: Node, path: str, seen: dict[str, tuple[int | None, str]]
    ) -> DesiredNumber | None:
        entry = self.number_entry(item, path)
        if entry is None:
            return None
        number_node, description, tags, path = entry
        text = str(number_node.value)
        line = _line(number_node)
        try:
            e164 = normalize_number(text)
        except ValueError as exc:
            self.fail(number_node, path, str(exc), _INTERNATIONAL)
        if e164 in seen:
            first_line, first_text = seen[e164]
            self.fail(
                number_node,
                path,
                f"{_shorten(text)!r} on line {line} is the same number as "
                f"{_shorten(first_text)!r} on line {first_line} (both are {e164})",
                "each number listed once",
            )
        seen[e164] = (line, text)
        try:
            return DesiredNumber(phone_number=e164, description=description, line=line, tags=tags)
        except ValueError as exc:  # phonenumbers and model.E164_PATTERN disagree
            self.fail(number_node, path, str(exc), _INTERNATIONAL)

    def number_entry(
        self, item: Node, path: str
    ) -> tuple[ScalarNode, str | None, tuple[tuple[str, str | None], ...], str] | None:
        """The node holding the number's text, the optional description, the tags the
        entry names (``tags:``), the key path.

        None when the entry has no number (recorded).
        """
        expected = (
            'a phone number like "+12065550100", or a mapping with number: (and optional '
            "description: and tags:)"
        )
        tags: tuple[tuple[str, str | None], ...] = ()
        if isinstance(item, MappingNode):
            found = self.entries(item, path, expected)
            suggested = self.reject_unknown(found, _NUMBER_KEYS, path)
            description = None
            if "description" in found:
                description = self.attempt(
                    None, self.string, found["description"].value, f"{path}.description"
                )
            if "tags" in found:
                tags = self.attempt((), self.tags, found["tags"].value, f"{path}.tags")
            if not self.require(found, ("number",), item, path, suggested):
                return None
            number_node = found["number"].value
            path = f"{path}.number"
        else:
            description = None
            number_node = item
        if not isinstance(number_node, ScalarNode):
            self.fail(number_node, path, f"got {_describe(number_node)}", expected)
        if number_node.tag == _NULL and number_node.value in ("", "~", "null", "Null", "NULL"):
            self.fail(number_node, path, "the entry is empty", expected)
        # Deliberately the raw text whatever the resolved tag: unquoted
        # +12065550100 is an int to YAML 1.1, but what the user wrote is a number.
        return number_node, description, tags, path

    def tags(self, node: Node, path: str) -> tuple[tuple[str, str | None], ...]:
        """A number's ``tags:``: key -> value (set it) or null (remove it), sorted by key.

        Only the keys named here are ever changed on the number (TagResource,
        UntagResource); its other tags are left as they are. Every bad key or value
        is recorded, each with its own line.
        """
        found = self.entries(node, path, _TAGS_EXPECTED)
        if len(found) > MAX_TAGS:
            self.fail(
                node,
                path,
                f"names {len(found)} tags; AWS allows at most {MAX_TAGS} on a phone number",
                f"at most {MAX_TAGS} tag keys",
            )
        tags: dict[str, str | None] = {}
        for name, entry in found.items():
            key_path = f"{path}.{_shorten(name)}"
            key_ok = self.attempt(False, self.tag_key, entry.key, key_path)
            invalid: tuple[bool, str | None] = (False, None)
            value_ok, value = self.attempt(invalid, self.tag_value, entry.value, key_path)
            if key_ok and value_ok:
                tags[name] = value
        return tuple(sorted(tags.items()))

    def tag_key(self, node: ScalarNode, path: str) -> bool:
        expected = (
            f"a tag key of 1 to {MAX_TAG_KEY_LENGTH} letters, digits, spaces and _ . : / = + - @, "
            "not starting with aws:"
        )
        if node.tag != _STR:
            self.fail(node, path, f"the key is {_describe(node)}", expected + " (quote it)")
        key = str(node.value)
        if not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            self.fail(node, path, f"the key has {len(key)} characters", expected)
        if key.lower().startswith("aws:"):
            self.fail(node, path, "the prefix aws: is reserved for AWS's own tags", expected)
        bad = next((ch for ch in key if not _tag_key_char(ch)), None)
        if bad is not None:
            self.fail(node, path, f"the key contains {bad!r} (U+{ord(bad):04X})", expected)
        return True

    def tag_value(self, node: Node, path: str) -> tuple[bool, str | None]:
        """(True, a tag's value): a string (set), or an explicit null (remove the tag)."""
        expected = (
            f"a string of at most {MAX_TAG_VALUE_LENGTH} characters (quote numbers and "
            "booleans), or null to remove the tag"
        )
        if isinstance(node, ScalarNode) and node.tag == _NULL:
            if node.value == "":
                # `team:` with nothing after it is more likely a value forgotten than
                # a removal asked for: a removal is written out.
                self.fail(node, path, "has no value", expected + " (write null explicitly)")
            return True, None
        if not isinstance(node, ScalarNode) or node.tag != _STR:
            self.fail(node, path, f"got {_describe(node)}", expected)
        value = str(node.value)
        if len(value) > MAX_TAG_VALUE_LENGTH:
            self.fail(node, path, f"the value has {len(value)} characters", expected)
        return True, value


def _tag_key_char(ch: str) -> bool:
    """botocore's TagKey pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``, one character."""
    return ch in _TAG_KEY_PUNCTUATION or unicodedata.category(ch)[0] in "LZN"
