"""A local Amazon Connect API emulator for the phone-number operations.

It speaks the Connect REST-JSON protocol exactly as botocore sends it, so real
boto3 (``endpoint_url=`` or ``AWS_ENDPOINT_URL_CONNECT``) and the AWS CLI
(``--endpoint-url``) work against it unchanged. It starts from a seed (see
``seed``), enforces AWS-like per-operation rate limits (see ``ratelimit``),
and counts calls so a benchmark can report what a read cost.

Served operations: ListPhoneNumbersV2, ListPhoneNumbers, DescribePhoneNumber,
ListFlowAssociations (``operations.ROUTES``).

Layout (a module imports only those below it; nothing from the rest of
``reconciler``, no boto3)::

    server      EmulatorServer, serve: sockets, threads, signals
    app         WSGI: routing, throttling, counting, error encoding
    operations  route table and handlers: request -> output shape
    pagination  page tokens
    state       the account: instances and numbers behind a lock
    seed        seed files -> validated Seed
    ratelimit   token buckets
    errors      ApiError and the status of each error code
    arns, constants
"""

from __future__ import annotations

from .errors import ApiError
from .ratelimit import RateLimit
from .seed import Seed, SeedError, load_seed
from .server import EmulatorServer, serve
from .state import ConnectState, Instance, PhoneNumber

__all__ = [
    "ApiError",
    "ConnectState",
    "EmulatorServer",
    "Instance",
    "PhoneNumber",
    "RateLimit",
    "Seed",
    "SeedError",
    "load_seed",
    "serve",
]
