"""The plan JSON (DESIGN.md, "Plan JSON"): ``plan_to_dict``, its id and its text.

``plan_id`` hashes this form, so a change here changes every plan's id and the
release client tokens derived from it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler.core.model import Plan, QuotaReport, iso
from reconciler.core.render.common import _target_detail


def _quota_dict(q: QuotaReport, known: bool = True) -> dict[str, Any]:
    # With no history source the used count is unknown: null, never a 0 stated as
    # a fact; so are the figures made from it (after, fits_now).
    return {
        "limit": q.limit,
        "used": q.used if known else None,
        "used_known": known,
        "planned": q.planned,
        "after": q.after if known else None,
        "reserve": q.reserve,
        "window_days": q.window_days,
        "phone_numbers": q.phone_numbers,
        "limit_percent": q.limit_percent,
        "fits_now": q.fits_now if known else None,
        "allowed": q.allowed,
        "over_limit": q.over_limit,
        "history_since": iso(q.history_since),
        "history_events": q.history_events,
        "next_frees_at": iso(q.next_frees_at),
        "whole_plan_fits_at": iso(q.whole_plan_fits_at),
        "plan_never_fits": q.plan_never_fits,
        "claims_blocked_until": iso(q.claims_blocked_until),
        "claims_blocked_after_plan_until": iso(q.claims_blocked_after_plan_until),
        "coverage": {
            "complete": q.fully_covered,
            "covered_since": iso(q.covered_since),
            "uncovered_from": iso(q.uncovered_from),
            "uncovered_until": iso(q.uncovered_until),
            "assumed_prior": q.assumed_prior,
        },
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan JSON of DESIGN.md ("Plan JSON"), with the extra keys a saved plan needs."""
    return {
        "format_version": plan.format_version,
        "created_at": iso(plan.created_at),
        "numbers_file": plan.numbers_file,
        "numbers_fingerprint": plan.numbers_fingerprint,
        "inventory_fingerprint": plan.inventory_fingerprint,
        "targets": list(plan.targets),
        # Each target's kind and the account and region whose quota its actions count
        # against (issue 14: instances and traffic distribution groups).
        "target_details": [_target_detail(arn) for arn in plan.targets],
        "policy": {
            "allow_mass_release": plan.policy.allow_mass_release,
            "fit": plan.policy.fit,
            "max_releases": plan.max_releases,
            "allow_empty": plan.allow_empty,
            "release_types": list(plan.release_types),
            "release_imported": plan.release_imported,
        },
        "summary": {
            "releases": len(plan.releases),
            "keeps": len(plan.keeps),
            "missing": len(plan.missing),
            "skipped": len(plan.skipped),
            "deferred": len(plan.deferred),
            "updates": len(plan.updates),
            "deactivated_flows": sorted({f for r in plan.releases for f in r.deactivated_flows}),
        },
        "releases": [
            {
                "phone_number": r.phone_number,
                "phone_number_id": r.phone_number_id,
                "phone_number_arn": r.phone_number_arn,
                "target_arn": r.target_arn,
                "description": r.description,
                "type": r.number_type,
                "flows": list(r.flows),
                "deactivated_flows": list(r.deactivated_flows),
            }
            for r in plan.releases
        ],
        "keeps": [
            {
                "phone_number": k.phone_number,
                "phone_number_id": k.phone_number_id,
                "target_arn": k.target_arn,
                "description": k.description,
                # The tags numbers.yaml names (null: removed), only when it names any.
                **({"tags": dict(k.tags)} if k.tags else {}),
            }
            for k in plan.keeps
        ],
        "missing": [
            {"phone_number": m.phone_number, "description": m.description} for m in plan.missing
        ],
        "skipped": [
            {
                "phone_number": s.phone_number,
                "phone_number_id": s.phone_number_id,
                "target_arn": s.target_arn,
                "type": s.number_type,
                "reason": s.reason,
                # The numbers.yaml settings that protect it (issue 14); [] for a status.
                "protected_by": list(s.protected_by),
            }
            for s in plan.skipped
        ],
        # `--fit`: the releases left for later, in the order they are to be made.
        "deferred": [
            {
                "phone_number": d.phone_number,
                "phone_number_id": d.phone_number_id,
                "target_arn": d.target_arn,
                "fits_at": iso(d.fits_at),
                "flows": list(d.flows),
            }
            for d in plan.deferred
        ],
        # Metadata changed in place (no release, no quota cost), after the releases.
        "updates": [
            {
                "phone_number": u.phone_number,
                "phone_number_id": u.phone_number_id,
                "phone_number_arn": u.phone_number_arn,
                "target_arn": u.target_arn,
                "description": {"from": u.description_from, "to": u.description_to},
                # `from`: the live values of the keys set or removed (beyond the issue's
                # {set, remove}: what a reviewer compares with).
                "tags": {
                    "set": dict(u.tags_set),
                    "remove": list(u.tags_remove),
                    "from": dict(u.tags_from),
                },
            }
            for u in plan.updates
        ],
        "quota": _quota_dict(plan.quota, plan.used_known),
        "history": None
        if plan.history is None
        else {"ledger": plan.history.ledger, "cloudtrail": plan.history.cloudtrail},
        "refused": plan.refused,
        "refusals": [{"code": r.code.value, "message": r.message} for r in plan.refusals],
        **_groups_dict(plan),
        # Only when false, so that the id of every other plan is what it was.
        **({} if plan.described else {"described": False}),
    }


def _groups_dict(plan: Plan) -> dict[str, Any]:
    # The rolling quota per account and region; `quota` above is the binding one.
    if not plan.quota_groups:
        return {}
    return {
        "quota_groups": [
            {
                "account_id": g.account_id,
                "region": g.region,
                "quota": _quota_dict(g.quota, plan.used_known),
            }
            for g in plan.quota_groups
        ]
    }


def plan_id(plan: Plan) -> str:
    """A stable id of the plan's whole JSON form (what was reviewed, byte for byte).

    Release client tokens derive from it, so a retried or resumed apply of the
    same plan can never release a number twice (AWS treats the same token as the
    same request), and a saved plan edited after review no longer matches its id.
    """
    canonical = json.dumps(plan_to_dict(plan), sort_keys=True, separators=(",", ":"))
    return "plan-" + hashlib.sha256(canonical.encode()).hexdigest()[:20]


def render_json(plan: Plan) -> str:
    """The plan JSON with its id: also the format of saved plan files."""
    data = plan_to_dict(plan)
    data["plan_id"] = plan_id(plan)
    return json.dumps(data, indent=2) + "\n"
