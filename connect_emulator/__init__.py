"""A local Amazon Connect API emulator for the phone-number operations.

It speaks the Connect REST-JSON protocol exactly as botocore sends it, so real
boto3 (``endpoint_url=`` or ``AWS_ENDPOINT_URL_CONNECT``) and the AWS CLI
(``--endpoint-url``) work against it unchanged. The same URL answers
CloudTrail's LookupEvents over the account's claim/release history
(``cloudtrail``; ``AWS_ENDPOINT_URL_CLOUDTRAIL``) and Service Quotas'
GetServiceQuota/ListServiceQuotas for Connect's "Phone numbers per instance"
(``servicequotas``; ``AWS_ENDPOINT_URL_SERVICE_QUOTAS``), both in JSON 1.1.
It starts from a seed (see ``seed``) or a state file (``persist``), enforces
AWS-like per-operation rate limits (``ratelimit``) and the rolling
claim/release quota (``quota``), keeps released numbers out of reach during
their cooldown, injects faults on demand (``faults``), and counts calls so a
benchmark can report what a read cost. ``/_emulator/...`` (``admin``) shows
its state and history and moves its clock.

Served operations (``operations.ROUTES``): ListPhoneNumbersV2,
ListPhoneNumbers, DescribePhoneNumber, ListFlowAssociations,
BatchGetFlowAssociation, ReleasePhoneNumber, ClaimPhoneNumber,
SearchAvailablePhoneNumbers, UpdatePhoneNumberMetadata (IN_PROGRESS until
described once), TagResource, UntagResource; and (``services.JSON_TARGETS``)
CloudTrail LookupEvents, Service Quotas GetServiceQuota and ListServiceQuotas.
A seed's ``denied_actions`` (``iam``) makes any of them answer AccessDeniedException.

Layout (a module imports only those below it; nothing from the rest of
``reconciler``, no boto3)::

    server      EmulatorServer, serve: sockets, threads, signals, state file wiring
    app         WSGI: routing (path or X-Amz-Target), throttling, faults, IAM
                denials, CloudTrail logging of calls, counting, error encoding
    admin       /_emulator/ endpoints and their Python twins (Control)
    cloudtrail, servicequotas
                JSON 1.1 handlers: LookupEvents over the history; the quota
    operations  Connect's route table and handlers: request -> output shape
                (a package: the table in __init__; request, params, listing;
                handlers in phone_numbers, flows, tdg)
    persist     state files: read, atomic write
    state       the account: instances, numbers, history, logged calls, pool,
                behind a lock
    resources   the account's frozen values: Instance, TrafficDistributionGroup,
                PhoneNumber
    seed        seed files -> validated Seed
    faults      fault rules and the seeded injector
    iam         denied IAM actions
    services    the served services: protocol, target prefix, error table
    pagination  page tokens
    quota, history, trail, countries, clock, stats, ratelimit, errors, arns,
    constants
"""

from __future__ import annotations

from .errors import QUOTA_ERROR, ApiError
from .faults import FaultKind, FaultRule
from .history import Action, HistoryEvent, Origin
from .iam import AccessPolicy
from .persist import StateFileError
from .quota import QuotaPolicy
from .ratelimit import RateLimit
from .resources import Instance, PhoneNumber
from .seed import Seed, SeedError, load_seed
from .server import EmulatorServer, ServeError, serve
from .state import ConnectState
from .trail import CloudTrailConfig, TrailCall, TrailInfo

__all__ = [
    "QUOTA_ERROR",
    "AccessPolicy",
    "Action",
    "ApiError",
    "CloudTrailConfig",
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
    "ServeError",
    "StateFileError",
    "TrailCall",
    "TrailInfo",
    "load_seed",
    "serve",
]
