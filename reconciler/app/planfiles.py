"""Saved plan files on disk: written atomically, never over an input, read back checked.

The plan value and its JSON are the core's (``reconciler.core.planfile``); this
module is the file system side: ``check_output`` refuses a path that would
clobber an input (before any AWS call), ``write_plan`` writes atomically with
the normal file mode, ``load_plan`` reads and checks the id.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable

from reconciler.core.model import Plan
from reconciler.core.planfile import PlanFileError, plan_from_json
from reconciler.core.render import render_json

__all__ = ["check_output", "load_plan", "write_plan"]


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _same_file(path: str, existing: os.stat_result | None, other: str) -> bool:
    """Whether ``path`` names the file ``other`` names, by identity, not by spelling.

    An existing file is compared by device and inode (hard links, ``..`` and
    symbolic links in the folders all resolve); a new one by its folder's identity
    and its name, which is where ``other`` would be created (a lock file not made yet).
    """
    if existing is not None:
        try:
            theirs = os.stat(other)
        except OSError:
            return False
        return (existing.st_dev, existing.st_ino) == (theirs.st_dev, theirs.st_ino)
    if os.path.basename(path) != os.path.basename(other):
        return False
    try:
        return os.path.samefile(
            os.path.dirname(os.path.abspath(path)), os.path.dirname(os.path.abspath(other))
        )
    except OSError:
        return False


def check_output(
    path: str,
    protected: Iterable[tuple[str, str]] = (),
    *,
    what: str = "plan",
    example: str = "plan.json",
) -> None:
    """Refuse an output path that would clobber an input or is not a plain file.

    A plan goes to a new or existing regular file only: never onto one of
    ``protected`` (``(path, what it is)``: the ledger, the numbers file, the
    ledger's lock file), a symbolic link, a read-only file, or anything that is
    not a regular file (a folder, a device, a FIFO). Raises PlanFileError naming
    the path, why, and what to do. ``what``/``example``: what is written (``init``
    writes a numbers file through the same checks).
    """
    where = f"--out {path}"
    if not os.path.basename(path):
        raise PlanFileError(f"{where}: names no file; name one, such as {example}")
    directory = os.path.dirname(os.path.abspath(path))
    try:
        folder = os.stat(directory)
    except FileNotFoundError:
        raise PlanFileError(
            f"{where}: the folder {directory} does not exist; create it first "
            f"(mkdir -p {directory}) or save the {what} elsewhere"
        ) from None
    except OSError as exc:
        raise PlanFileError(f"{where}: cannot use the folder {directory}: {exc.strerror}") from exc
    if not stat.S_ISDIR(folder.st_mode):
        raise PlanFileError(f"{where}: {directory} is not a folder; save the {what} elsewhere")
    try:
        existing: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise PlanFileError(f"{where}: cannot check the path: {exc.strerror}") from exc
    if existing is not None:
        if stat.S_ISLNK(existing.st_mode):
            raise PlanFileError(
                f"{where}: is a symbolic link (to {os.readlink(path)}); a {what} is written "
                f"only to a regular file, never through a link: name a new file, such as {example}"
            )
        kind = next((name for test, name in _KINDS if test(existing.st_mode)), None)
        if kind is not None or not stat.S_ISREG(existing.st_mode):
            raise PlanFileError(
                f"{where}: is {kind or 'not a regular file'}; a {what} is written only to a "
                f"new or existing regular file: name a file, such as {example}"
            )
        writable = existing.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
        if not writable or not os.access(path, os.W_OK):  # (root ignores the mode bits)
            raise PlanFileError(
                f"{where}: the file is read-only (mode {stat.filemode(existing.st_mode)}); "
                "nothing written. Make it writable or name another file"
            )
    for other, role in protected:
        if _same_file(path, existing, other):
            raise PlanFileError(
                f"{where}: is {role} ({other}); writing the {what} there would destroy "
                f"it. Save the {what} to its own file, such as {example}"
            )


def _mode_for(path: str) -> int:
    """The mode ``open(path, "w")`` would leave: an existing file's own, else 0666 less the
    umask (the temporary file is made 0600, which would hide a plan from its reviewers)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_plan(plan: Plan, path: str, *, protected: Iterable[tuple[str, str]] = ()) -> None:
    """Write atomically (a temporary file in the same folder, then a rename): a reader
    never sees half a plan, and a failed write leaves the old file as it was.

    ``check_output`` is run first: the plan never replaces an input or a non-regular file.
    """
    protected = tuple(protected)
    check_output(path, protected)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=directory, delete=False, prefix=".plan-", suffix=".tmp", encoding="utf-8"
        ) as out:
            temporary = out.name
            try:
                out.write(render_json(plan))
                out.flush()
                os.fsync(out.fileno())
            except BaseException:
                os.unlink(temporary)
                raise
    except OSError as exc:
        raise PlanFileError(f"--out {path}: cannot write the plan: {exc.strerror}") from exc
    try:
        check_output(path, protected)  # again: the path may have changed while we wrote
        os.chmod(temporary, _mode_for(path))
        os.replace(temporary, path)
    except BaseException as exc:
        os.unlink(temporary)
        if isinstance(exc, OSError):
            raise PlanFileError(f"--out {path}: cannot write the plan: {exc.strerror}") from exc
        raise


def load_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: not a plan file (invalid JSON: {exc})") from exc
    return plan_from_json(data, path)
