"""Closed vocabularies of the Connect API, copied from botocore's service model.

They live in one table-like module (in the manner of h11's state tables) so the
seed validator, the request validator and the tests agree on them, and a test
compares them with ``botocore/data/connect/2017-08-08/service-2.json``.
"""

from __future__ import annotations

import re
from typing import Final

from .services import SERVICES

#: Shape ``PhoneNumberType``.
PHONE_NUMBER_TYPES: Final = (
    "TOLL_FREE",
    "DID",
    "UIFN",
    "SHARED",
    "THIRD_PARTY_TF",
    "THIRD_PARTY_DID",
    "SHORT_CODE",
)

#: Shape ``PhoneNumberWorkflowStatus``: the status of a claim.
PHONE_NUMBER_STATUSES: Final = ("CLAIMED", "IN_PROGRESS", "FAILED")

#: Shape ``ListFlowAssociationResourceType``.
FLOW_ASSOCIATION_RESOURCE_TYPES: Final = (
    "WHATSAPP_MESSAGING_PHONE_NUMBER",
    "VOICE_PHONE_NUMBER",
    "INBOUND_EMAIL",
    "OUTBOUND_EMAIL",
    "ANALYTICS_CONNECTOR",
)

#: ``resourceArnListMaxLimit100``: BatchGetFlowAssociation's ResourceIds per call.
MAX_BATCH_RESOURCE_IDS: Final = 100

#: The operations the emulator serves (Connect's, then CloudTrail's and Service
#: Quotas'): the ones whose rate limits and faults a seed or a server may
#: configure, as ``services.SERVICES`` lists them per service.
RATE_LIMITED_OPERATIONS: Final = tuple(
    operation for service in SERVICES for operation in service.operations
)

#: Shape ``PhoneNumber``: E.164, a plus and at most 15 digits.
E164_PATTERN: Final = re.compile(r"\+[1-9][0-9]{1,14}")

#: Shape ``PhoneNumberPrefix``: an optional plus and 1 to 11 digits.
PHONE_NUMBER_PREFIX_PATTERN: Final = re.compile(r"\+?[0-9]{1,11}")

#: Shape ``PhoneNumberCountryCode`` is an ISO 3166-1 alpha-2 code.
COUNTRY_CODE_PATTERN: Final = re.compile(r"[A-Z]{2}")

#: Connect identifiers (instance and phone number ids) are UUIDs in AWS; the
#: emulator accepts any URL- and ARN-safe token up to the model's 100 characters
#: so seeds can use readable ids.
RESOURCE_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")

#: ``MaxResult1000`` bounds and the page size AWS uses when MaxResults is absent.
MAX_RESULTS_MIN: Final = 1
MAX_RESULTS_MAX: Final = 1000
DEFAULT_MAX_RESULTS: Final = 100

#: List-length limits of ``PhoneNumberCountryCodes`` and ``PhoneNumberTypes``.
MAX_COUNTRY_CODE_FILTERS: Final = 10
MAX_TYPE_FILTERS: Final = 6

#: ``TagMap`` limits (AWS tagging rules: 50 tags, key 1..128, value 0..256,
#: keys starting with ``aws:`` are reserved).
MAX_TAGS: Final = 50
MAX_TAG_KEY_LENGTH: Final = 128
MAX_TAG_VALUE_LENGTH: Final = 256

#: ``PhoneNumberDescription`` and ``PhoneNumberWorkflowMessage`` lengths.
MAX_DESCRIPTION_LENGTH: Final = 500
MAX_STATUS_MESSAGE_LENGTH: Final = 255

#: ``ClientToken``: at most 500 characters.
MAX_CLIENT_TOKEN_LENGTH: Final = 500

#: ``MaxResult10`` (SearchAvailablePhoneNumbers) bounds; AWS's page size when absent.
SEARCH_MAX_RESULTS_MAX: Final = 10

#: Service Quotas: the service code and name of Amazon Connect, and the quotas
#: the emulator serves (code -> name). "Phone numbers per instance" is the
#: quota the rolling claim/release limit is a percentage of.
SERVICE_QUOTAS_SERVICE_CODE: Final = "connect"
SERVICE_QUOTAS_SERVICE_NAME: Final = "Amazon Connect"
PHONE_NUMBERS_QUOTA_CODE: Final = "L-8F812903"
SERVICE_QUOTA_NAMES: Final = {PHONE_NUMBERS_QUOTA_CODE: "Phone numbers per instance"}

#: The Connect operations CloudTrail's LookupEvents serves events of.
LOGGED_OPERATIONS: Final = ("ClaimPhoneNumber", "ReleasePhoneNumber")
