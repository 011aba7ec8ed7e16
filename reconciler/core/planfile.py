"""Saved plans (``plan --out PLAN.json``): the complete plan value, read back exactly.

The file is the plan JSON of ``render.render_json``, which carries the plan id. Reading
rebuilds the ``Plan`` value and checks the id, so a plan file edited after
review (a release added, a fingerprint changed) is refused instead of applied.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconciler.core.errors import InputError
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
from reconciler.core.render import plan_id
from reconciler.core.times import parse_time

__all__ = ["PlanFileError", "plan_from_dict", "plan_from_json"]


class PlanFileError(InputError):
    """A saved plan file cannot be read, or is not what was reviewed."""


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


def plan_from_json(data: object, path: str) -> Plan:
    """The plan a saved file's JSON value holds, its id checked (``path`` names it in errors)."""
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
