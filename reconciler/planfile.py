"""Saved plans (``plan --out PLAN.json``): the complete plan value, read back exactly.

The file is the plan JSON of ``render.render_json``, which carries the plan id. Reading
rebuilds the ``Plan`` value and checks the id, so a plan file edited after
review (a release added, a fingerprint changed) is refused instead of applied.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from reconciler.core.errors import InputError
from reconciler.core.times import parse_time
from reconciler.core.model import (
    Deferred,
    HistorySource,
    Keep,
    Missing,
    Plan,
    Policy,
    QuotaGroup,
    QuotaReport,
    Refusal,
    RefusalCode,
    Release,
    Skipped,
    Update,
)
from reconciler.core.render import plan_id, render_json

__all__ = ["PlanFileError", "check_output", "load_plan", "plan_from_dict", "write_plan"]


class PlanFileError(InputError):
    """A saved plan file cannot be read, or is not what was reviewed."""


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


def _time(value: Any) -> datetime | None:
    return None if value is None else parse_time(value)


def _quota(q: dict[str, Any]) -> QuotaReport:
    coverage = q.get("coverage", {})
    assumed = int(coverage.get("assumed_prior", 0))
    # A plan with no history source writes used (and what follows from it) as
    # null: it counted only the actions quota.assume_prior assumes.
    used = assumed if q["used"] is None else q["used"]
    fits_now = q["fits_now"]
    if fits_now is None:
        fits_now = max(0, q["limit"] - q["reserve"] - used)
    return QuotaReport(
        limit=q["limit"],
        used=used,
        planned=q["planned"],
        reserve=q["reserve"],
        window_days=q["window_days"],
        phone_numbers=q["phone_numbers"],
        limit_percent=q["limit_percent"],
        fits_now=fits_now,
        history_since=_time(q.get("history_since")),
        history_events=q.get("history_events", 0),
        next_frees_at=_time(q.get("next_frees_at")),
        whole_plan_fits_at=_time(q.get("whole_plan_fits_at")),
        plan_never_fits=bool(q.get("plan_never_fits", False)),
        claims_blocked_until=_time(q.get("claims_blocked_until")),
        claims_blocked_after_plan_until=_time(q.get("claims_blocked_after_plan_until")),
        covered_since=_time(coverage.get("covered_since")),
        uncovered_from=_time(coverage.get("uncovered_from")),
        uncovered_until=_time(coverage.get("uncovered_until")),
        assumed_prior=assumed,
    )


def plan_from_dict(data: dict[str, Any]) -> Plan:
    """Rebuild a Plan from its JSON form. Raises KeyError/ValueError/TypeError if malformed."""
    policy = data["policy"]
    created = parse_time(data["created_at"])
    return Plan(
        format_version=int(data["format_version"]),
        created_at=created,
        numbers_file=str(data["numbers_file"]),
        numbers_fingerprint=str(data["numbers_fingerprint"]),
        inventory_fingerprint=str(data["inventory_fingerprint"]),
        targets=tuple(str(t) for t in data["targets"]),
        policy=Policy(
            allow_mass_release=bool(policy["allow_mass_release"]), fit=bool(policy.get("fit"))
        ),
        max_releases=policy["max_releases"],
        allow_empty=bool(policy["allow_empty"]),
        releases=tuple(
            Release(
                phone_number=r["phone_number"],
                phone_number_id=r["phone_number_id"],
                phone_number_arn=r["phone_number_arn"],
                target_arn=r["target_arn"],
                description=r.get("description"),
                number_type=r.get("type"),
                flows=tuple(r.get("flows", ())),
                deactivated_flows=tuple(r.get("deactivated_flows", ())),
            )
            for r in data["releases"]
        ),
        keeps=tuple(
            Keep(
                phone_number=k["phone_number"],
                phone_number_id=k["phone_number_id"],
                target_arn=k["target_arn"],
                description=k.get("description"),
                tags=tuple(sorted(k.get("tags", {}).items())),
            )
            for k in data["keeps"]
        ),
        missing=tuple(
            Missing(phone_number=m["phone_number"], description=m.get("description"))
            for m in data["missing"]
        ),
        skipped=tuple(
            Skipped(
                phone_number=s["phone_number"],
                phone_number_id=s["phone_number_id"],
                target_arn=s["target_arn"],
                reason=s["reason"],
                protected_by=tuple(str(p) for p in s.get("protected_by", ())),
                number_type=s.get("type"),
            )
            for s in data["skipped"]
        ),
        quota=_quota(data["quota"]),
        quota_groups=tuple(
            QuotaGroup(account_id=g["account_id"], region=g["region"], quota=_quota(g["quota"]))
            for g in data.get("quota_groups", ())
        ),
        refusals=tuple(
            Refusal(code=RefusalCode(r["code"]), message=r["message"]) for r in data["refusals"]
        ),
        history=None
        if data.get("history") is None
        else HistorySource(
            ledger=data["history"]["ledger"], cloudtrail=bool(data["history"]["cloudtrail"])
        ),
        described=bool(data.get("described", True)),
        deferred=tuple(
            Deferred(
                phone_number=d["phone_number"],
                phone_number_id=d["phone_number_id"],
                target_arn=d["target_arn"],
                fits_at=_time(d.get("fits_at")),
                flows=tuple(d.get("flows", ())),
            )
            for d in data.get("deferred", ())
        ),
        updates=tuple(
            Update(
                phone_number=u["phone_number"],
                phone_number_id=u["phone_number_id"],
                phone_number_arn=u["phone_number_arn"],
                target_arn=u["target_arn"],
                description_from=u["description"]["from"],
                description_to=u["description"]["to"],
                tags_set=tuple(sorted(u.get("tags", {}).get("set", {}).items())),
                tags_remove=tuple(u.get("tags", {}).get("remove", ())),
                tags_from=tuple(sorted(u.get("tags", {}).get("from", {}).items())),
            )
            for u in data.get("updates", ())
        ),
        release_types=tuple(str(t) for t in policy.get("release_types", ("DID", "TOLL_FREE"))),
        release_imported=bool(policy.get("release_imported", False)),
    )


def load_plan(path: str) -> Plan:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except OSError as exc:
        raise PlanFileError(f"{path}: cannot read the plan: {exc.strerror}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"{path}: not a plan file (invalid JSON: {exc})") from exc
    if not isinstance(data, dict) or data.get("format_version") != 1:
        raise PlanFileError(
            f"{path}: not a connect-numbers plan of format_version 1; "
            "make one with `connect-numbers plan --out PLAN.json`"
        )
    try:
        plan = plan_from_dict(data)
    except (KeyError, ValueError, TypeError) as exc:
        raise PlanFileError(f"{path}: malformed plan file ({type(exc).__name__}: {exc})") from exc
    if data.get("plan_id") != plan_id(plan):
        raise PlanFileError(
            f"{path}: the plan id does not match its content (it was edited after it was "
            f"made: {data.get('plan_id')} vs {plan_id(plan)}); make a new plan and review it"
        )
    return plan
