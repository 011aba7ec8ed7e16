"""A local Amazon Connect API emulator for the phone-number operations.

It speaks the Connect REST-JSON protocol exactly as botocore sends it, so real
boto3 (``endpoint_url=`` or ``AWS_ENDPOINT_URL_CONNECT``) and the AWS CLI
(``--endpoint-url``) work against it unchanged. It starts from a seed (see
``seed``) or a state file (``persist``), enforces AWS-like per-operation rate
limits (``ratelimit``) and the rolling claim/release quota (``quota``), keeps
released numbers out of reach during their cooldown, injects faults on demand
(``faults``), and counts calls so a benchmark can report what a read cost.
``/_emulator/...`` (``admin``) shows its state and history and moves its clock.

Served operations (``operations.ROUTES``): ListPhoneNumbersV2,
ListPhoneNumbers, DescribePhoneNumber, ListFlowAssociations,
ReleasePhoneNumber, ClaimPhoneNumber, SearchAvailablePhoneNumbers.

Layout (a module imports only those below it; nothing from the rest of
``reconciler``, no boto3)::

    server      EmulatorServer, serve: sockets, threads, signals, state file wiring
    app         WSGI: routing, throttling, faults, counting, error encoding
    admin       /_emulator/ endpoints and their Python twins (Control)
    operations  route table and handlers: request -> output shape
    persist     state files: read, atomic write
    state       the account: instances, numbers, history, pool, behind a lock
    seed        seed files -> validated Seed
    faults      fault rules and the seeded injector
    pagination  page tokens
    quota, history, countries, clock, stats, ratelimit, errors, arns, constants
"""

from __future__ import annotations

from .errors import QUOTA_ERROR, ApiError
from .faults import FaultKind, FaultRule
from .history import Action, HistoryEvent, Origin
from .persist import StateFileError
from .quota import QuotaPolicy
from .ratelimit import RateLimit
from .seed import Seed, SeedError, load_seed
from .server import EmulatorServer, serve
from .state import ConnectState, Instance, PhoneNumber

__all__ = [
    "QUOTA_ERROR",
    "Action",
    "ApiError",
    "ConnectState",
    "EmulatorServer",
    "FaultKind",
    "FaultRule",
    "HistoryEvent",
    "Instance",
    "Origin",
    "PhoneNumber",
    "QuotaPolicy",
    "RateLimit",
    "Seed",
    "SeedError",
    "StateFileError",
    "load_seed",
    "serve",
]
