"""Ledger lines written by hand that the product must refuse, shared by the ledger and CLI tests."""

from __future__ import annotations

# A hand-written record without its closing brace: each case completes it.
HAND = '{"action": "release", "phone_number": "+12065550100", "at": "2026-05-01T12:00:00Z"'

# Issue 10's examples: (a complete line, a fragment of the error naming it).
UNREADABLE = [
    (HAND + ', "status": "Done"}', "status 'Done': not a status this tool knows"),
    (HAND + ', "status": "DONE"}', "status 'DONE': not a status this tool knows"),
    (HAND + ', "status": "released"}', "status 'released': not a status this tool knows"),
    (HAND + ', "status": 1}', "status 1: not a status this tool knows"),
    (
        HAND.replace("2026-05-01T12:00:00Z", "9999-12-31T23:59:59Z") + "}",
        "at '9999-12-31T23:59:59Z': 9999-12-31T23:59:59Z is out of range; expected a time "
        "between 2000-01-01 and 2999-12-31",
    ),
    # JSON keeps the last of two values: the first would be dropped unseen.
    (
        HAND + ', "status": "done", "status": "failed"}',
        "the key 'status' appears more than once in the record",
    ),
]
