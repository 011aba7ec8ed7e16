"""Which started actions still count: a release, once intended, is never forgotten.

Pure (no I/O, no clock). The ledger reader counts with it; the planner decides
with it what a number found gone means. Both read the same rule from here.

An apply writes an ``intent`` record before it calls ReleasePhoneNumber, then
one outcome record carrying the same client token:

- ``done``: it happened (AWS answered, or the number was found gone after the
  intent, or ReleasePhoneNumber answered ResourceNotFoundException);
- ``failed``: AWS refused it with an error documented as raised before any
  effect, and the number was described still claimed afterwards;
- ``skipped``: not attempted, the number being still claimed but no longer to
  be released (it is now desired, moved, or IN_PROGRESS);
- ``unknown``: no answer (the retries ran out, a lookup failed).

The rule (DESIGN.md, "The rolling quota": when in doubt, count): an intent
counts until positive evidence shows the release did not happen.

- A ``done`` record settles every earlier intent of the same action on the
  same number id (or with its client token), whatever plan wrote it: a number
  is released once, and the done record is what counts.
- A ``failed`` or ``skipped`` record settles only the intent it answers: the
  latest earlier intent with its client token that no outcome answered yet.
  An intent of a killed apply has no outcome of its own, and its request may
  still have been in flight when a later run of the same plan saw the number
  claimed; another call's failure never cancels it.
- ``unknown`` answers its intent without settling it: that intent still counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["CANCELLING", "DONE", "INTENT", "OUTCOMES", "UNKNOWN", "unsettled"]

INTENT = "intent"
DONE = "done"
UNKNOWN = "unknown"
# Outcomes that are positive evidence that the intent they answer did not happen.
CANCELLING = frozenset({"failed", "skipped"})
# Every status that answers an intent.
OUTCOMES = CANCELLING | {DONE, UNKNOWN}


def _text(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) and value else None


def unsettled(records: Sequence[Mapping[str, object]]) -> list[int]:
    """The positions in ``records`` of the intents that still count, in order."""
    counting: dict[int, Mapping[str, object]] = {}
    # Per client token, the intents no outcome has answered yet, oldest first.
    waiting: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        status = record.get("status")
        token, number_id = _text(record, "client_token"), _text(record, "phone_number_id")
        if status == INTENT:
            if token or number_id:
                counting[index] = record
                if token:
                    waiting.setdefault(token, []).append(index)
            continue
        if status not in OUTCOMES:
            continue
        answered = waiting[token].pop() if token and waiting.get(token) else None
        if status in CANCELLING:
            if answered is not None:
                counting.pop(answered, None)  # a done may have settled it already
            continue
        if status != DONE:
            continue
        action = record.get("action")
        for position, intent in list(counting.items()):
            same_call = token is not None and _text(intent, "client_token") == token
            same_number = (
                number_id is not None
                and _text(intent, "phone_number_id") == number_id
                and intent.get("action") == action
            )
            if same_call or same_number:
                del counting[position]
    return sorted(counting)
