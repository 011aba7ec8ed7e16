"""Private helpers several views of a plan share (text, Markdown, JSON, the quota window).

Each is used by two or more of the package's modules; they live here once rather
than being copied. Not part of the package's public face.
"""

from __future__ import annotations

import json
from datetime import timedelta

from reconciler.core.model import CLOUDTRAIL_RETENTION, HistorySource, QuotaReport, Target


def _flow_name(arn: str) -> str:
    """``.../contact-flow/main`` -> ``main``; full ARNs stay in the JSON."""
    return arn.rsplit("/", 1)[-1]


def _target_detail(arn: str) -> dict[str, str]:
    target = Target(arn=arn)
    return {
        "arn": arn,
        "kind": target.kind,
        "id": target.resource_id,
        "account_id": target.account_id,
        "region": target.region,
    }


_NOT_DESCRIBED = (
    "refused from the listing alone: statuses and flows not read; "
    "every claimed number the file does not list is shown"
)


def _quoted(text: str | None) -> str:
    return json.dumps(text, ensure_ascii=False) if text is not None else "(none)"


_NO_SOURCE = (
    "no ledger was given (--ledger PATH; Pulumi: connect-numbers:ledger), so the claims "
    "and releases already in the window are unknown"
)


def _next_steps(q: QuotaReport, history: HistorySource | None) -> str:
    """What completes the uncovered part of the window: an import only where it can reach."""
    if history is not None and not history.known:
        return (
            "Start a ledger and import CloudTrail's last 90 days into it (touch history.jsonl; "
            "connect-numbers ledger import-cloudtrail --ledger history.jsonl), or set "
            "quota.assume_prior: N in the numbers file."
        )
    assert q.uncovered_from is not None
    now = q.uncovered_from + timedelta(days=q.window_days)
    if q.covered_since is None or q.covered_since > now - CLOUDTRAIL_RETENTION:
        return (
            "Import them (connect-numbers ledger import-cloudtrail), add what you know "
            "(connect-numbers ledger add), or set quota.assume_prior: N in the numbers file."
        )
    # An import (or --history cloudtrail) already reached as far back as CloudTrail keeps.
    return (
        f"CloudTrail keeps {CLOUDTRAIL_RETENTION.days} days and the history already reaches "
        "that far: add what you know of the earlier span (connect-numbers ledger add), or set "
        "quota.assume_prior: N in the numbers file."
    )


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ") or "-"


def _quota_bar(q: QuotaReport, width: int = 20) -> str:
    """``used`` dark, ``planned`` medium, free light, over the limit marked."""
    limit = max(q.limit, 1)
    used = min(width, round(width * q.used / limit))
    planned = min(width - used, round(width * q.planned / limit))
    free = width - used - planned
    over = " over the limit" if not q.allowed or q.over_limit else ""
    return f"`{'█' * used}{'▒' * planned}{'░' * free}`{over}"
