"""Frozen value types shared by every layer. Standard library only.

Values validate themselves on construction (``ValueError`` on a broken
invariant): a ``Plan`` or ``DesiredState`` that exists is well formed. Parsing
user input into these values, with file-and-line errors, is the job of the
adapters (``desired.py``, ``ledger.py``, ``inventory/``).

A facade: the names below live in the package's modules, and callers import
them from here (``from reconciler.core.model import Plan``).

- ``common``: the E.164 and ARN checks, ``scope_of`` and ``iso``.
- ``inputs``: what a plan is made from: ``DesiredState`` (numbers.yaml),
  ``Policy`` (the run's flags), ``Inventory`` and ``LiveNumber``, ``HistoryEvent``
  and ``TrailEvent``.
- ``results``: what the core produces: ``Plan`` and its parts, ``QuotaReport``,
  ``Window`` (the quota now) and ``ApplyReport``.
"""

from __future__ import annotations

from reconciler.core.model.common import E164_PATTERN, iso, scope_of
from reconciler.core.model.inputs import (
    DEFAULT_MAX_RELEASES,
    DEFAULT_RELEASE_TYPES,
    EXTERNAL_ID,
    ROLE_ARN,
    Action,
    DesiredNumber,
    DesiredState,
    HistoryEvent,
    Inventory,
    LiveNumber,
    NumberStatus,
    NumberType,
    Policy,
    QuotaPolicy,
    Target,
    TargetAccess,
    TrailEvent,
)
from reconciler.core.model.results import (
    CLOUDTRAIL_RETENTION,
    ApplyReport,
    Deferred,
    HistorySource,
    Keep,
    Missing,
    OutcomeStatus,
    Plan,
    QuotaGroup,
    QuotaReport,
    Refusal,
    RefusalCode,
    Release,
    ReleaseOutcome,
    Skipped,
    Update,
    Window,
)

# The names the module exported before the split, plus iso (imported by callers
# without its being listed).
__all__ = [
    "CLOUDTRAIL_RETENTION",
    "DEFAULT_MAX_RELEASES",
    "DEFAULT_RELEASE_TYPES",
    "E164_PATTERN",
    "EXTERNAL_ID",
    "ROLE_ARN",
    "Action",
    "ApplyReport",
    "Deferred",
    "DesiredNumber",
    "DesiredState",
    "HistoryEvent",
    "HistorySource",
    "Inventory",
    "Keep",
    "LiveNumber",
    "Missing",
    "NumberStatus",
    "NumberType",
    "OutcomeStatus",
    "Plan",
    "Policy",
    "QuotaGroup",
    "QuotaPolicy",
    "QuotaReport",
    "Refusal",
    "RefusalCode",
    "Release",
    "ReleaseOutcome",
    "Skipped",
    "Target",
    "TargetAccess",
    "TrailEvent",
    "Update",
    "Window",
    "iso",
    "scope_of",
]
