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
line; ``numbers`` turns phone numbers into E.164; ``validate`` walks the tree
into a ``DesiredState``, with the shared readers of ``reader`` and the checks of
each section (``targets``, ``policy`` for quota and safety, ``entries`` for the
numbers). This module is the API and is pure except for :func:`load_desired`,
which reads the bytes and hands them to :func:`parse_desired`. Every problem becomes a
:class:`~reconciler.core.errors.NumbersFileError`; nothing else escapes for bad
input (the Hypothesis tests hold us to that).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from typing import NoReturn

from yaml.nodes import MappingNode, ScalarNode

from reconciler.core.errors import NumbersFileError
from reconciler.core.model import DesiredState
from reconciler.desired.compose import compose as _compose
from reconciler.desired.compose import decode as _decode
from reconciler.desired.numbers import normalize_number
from reconciler.desired.validate import TOP_SHAPE as _TOP_SHAPE
from reconciler.desired.validate import Validator as _Validator

__all__ = ["MAX_FILE_BYTES", "load_desired", "normalize_number", "parse_desired"]

#: A numbers file larger than this is refused unread: 16 MiB holds over
#: 200,000 numbers with descriptions (100,000 take about 7 MB), and the bound
#: keeps a wrong path (a log, a disk image) from being slurped into memory and
#: parsed. YAML bombs are refused whatever the size: anchors and aliases are
#: refused before anything expands, and nesting is bounded (``_MAX_DEPTH``).
MAX_FILE_BYTES = 16 * 1024 * 1024

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
