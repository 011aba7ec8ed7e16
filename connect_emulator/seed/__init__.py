"""Seed files: the inventory an emulator starts from.

A seed is YAML (or the same structure as a Python dict, which tests build in
code)::

    account_id: "111122223333"        # 12 digits; quote it, or YAML reads a number
    region: us-east-1
    instances:
      - id: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        alias: demo                   # extension: informational only
    traffic_distribution_groups:      # of a (replicated) instance
      - id: tdg-1                     # its ARN: ...:traffic-distribution-group/tdg-1
        instance: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        name: east-west
        description: "..."            # optional
        default: false                # IsDefault
    numbers:
      - phone_number: "+12065550100"  # E.164; quote it, or YAML reads a number
        instance: aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
        id: 0f1e...                   # default: uuid5 of the number (stable demo output)
        type: DID                     # default DID; any PhoneNumberType
        country: US                   # default: derived from the calling code
        status: CLAIMED               # CLAIMED | IN_PROGRESS | FAILED
        status_message: "..."         # extension: PhoneNumberStatus.Message
        description: Main line
        tags: {team: support}
        flow: arn:aws:connect:us-east-1:111122223333:instance/aaaa.../contact-flow/main
        in_progress_describes: 2      # IN_PROGRESS only: CLAIMED after 2 describes
        traffic_distribution_group: tdg-1   # claimed to this TDG of its instance instead
        source_phone_number_arn: arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1
                                      # imported (ImportPhoneNumber) from AWS End User
                                      #   Messaging SMS: listed as SourcePhoneNumberArn
    rate_limits:                      # extension: per-operation token buckets
      default: {rate: 2, burst: 5}
      DescribePhoneNumber: {rate: 5, burst: 10}
      ListFlowAssociations: null      # or {rate: null} or {rate: 0}: unlimited

    # The write side: ClaimPhoneNumber, ReleasePhoneNumber, SearchAvailablePhoneNumbers.
    quota:                            # the rolling claim/release quota (see ``quota``)
      phone_numbers: 10               # default: max(5 * instances, numbers, 5)
      window_days: 180                # default 180
      limit_percent: 200              # default 200: limit = floor(10 * 200 / 100) = 20
    cooldown_days: 180                # a released number is unavailable this long
    history:                          # claims and releases before the emulator started
      - action: release               # claim | release
        phone_number: "+12065550199"
        at: 2026-01-31T12:00:00Z      # ISO 8601 with a zone; counts in the window
        phone_number_id: ...          # optional; with client_token, a replay of that
        client_token: ...             #   request is recognised (idempotency)
        instance: aaaaaaaa-...        # optional
        type: DID                     # optional, default DID; country: derived
        origin: seed                  # seed (default) | emulator (what state files write)
        cloudtrail: false             # AWS did not log it (a console action): it counts
                                      #   against the quota but LookupEvents never shows it;
                                      #   or a mapping: {event_id, request_id, access_key_id,
                                      #   username, user_agent, source_ip, logged}
    available:                        # numbers SearchAvailablePhoneNumbers offers
      - "+12065550400"                # a string: type DID, country derived
      - {phone_number: "+18005550400", type: TOLL_FREE, country: US}
    available_generated: 20           # plus this many per country/type (``countries``)
    claim_in_progress_describes: 0    # >0: a claim stays IN_PROGRESS for N describes
    faults:                           # injected failures (see ``faults``)
      - {kind: throttle, rate: 0.2}
      - {kind: drop, operation: ReleasePhoneNumber, count: 1, after_effect: true}
    fault_seed: 0                     # the RNG seed of rate-based faults

    # CloudTrail (LookupEvents serves the history) and Service Quotas.
    cloudtrail:
      username: emulator-user         # the Username of calls (default emulator-user)
      users: {AKIAEXAMPLEHUMAN: alice}  # or per SigV4 access key id
      delivery_delay_seconds: 0       # an event shows this long after its call
      calls:                          # calls CloudTrail logged that changed nothing
        - event_name: ReleasePhoneNumber  # ClaimPhoneNumber | ReleasePhoneNumber
          at: 2026-01-31T12:00:00Z
          request_parameters: {phoneNumberId: ..., clientToken: ...}
          error_code: ServiceQuotaExceededException   # absent: a replayed token
          error_message: ...
          response_elements: null     # and event_id, request_id, access_key_id, ...
    service_quotas: {L-8F812903: 10}  # Phone numbers per instance: quota.phone_numbers
    denied_actions:                   # IAM actions answered AccessDeniedException
      - servicequotas:GetServiceQuota # (see ``iam``), e.g. cloudtrail:LookupEvents
    roles:                            # STS AssumeRole (``sts``): any role of account_id
      - arn: arn:aws:iam::111122223333:role/audited   # is assumable; a listed role
        external_id: secret-42        # requires this ExternalId, or
      - {arn: "arn:aws:iam::111122223333:role/locked", refuse: true}  # refuses all

Extensions beyond the issue's format: ``instances[].alias``,
``numbers[].status_message``, ``rate_limits``, and the CloudTrail / Service
Quotas / IAM keys (``cloudtrail``, ``history[].cloudtrail``, ``service_quotas``,
``denied_actions``). ``service_quotas`` only restates the quota: L-8F812903 is
``quota.phone_numbers`` (given alone, it sets it; given with it, they must
agree). ``account_id`` and ``region`` default to ``111122223333`` and
``us-east-1``; ``instances``, ``numbers``, ``history``, ``available`` and
``faults`` default to empty lists.

A released number is in cooldown until its latest ``release`` in the history
plus ``cooldown_days`` (unless it is claimed), and rejoins the pool after.
A state file (``persist``) is this same format, written by the emulator.

Validation is strict, because a seed stands in for an AWS account: unknown
keys, a number claimed twice, a flow of another instance, an instance that is
not declared, a time without a zone, a client token used twice are all
refused with a ``SeedError`` naming the seed file, the entry (and its line,
for YAML) and the problem.
"""

from .model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_AVAILABLE_GENERATED,
    DEFAULT_COOLDOWN_DAYS,
    DEFAULT_REGION,
    InstanceSeed,
    NumberSeed,
    RoleSeed,
    Seed,
    SeedError,
    SeedSource,
    TrafficDistributionGroupSeed,
    phone_number_id_for,
)
from .parser import load_seed, parse_seed

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_AVAILABLE_GENERATED",
    "DEFAULT_COOLDOWN_DAYS",
    "DEFAULT_REGION",
    "InstanceSeed",
    "NumberSeed",
    "RoleSeed",
    "Seed",
    "SeedError",
    "SeedSource",
    "TrafficDistributionGroupSeed",
    "load_seed",
    "parse_seed",
    "phone_number_id_for",
]
