"""The Connect operations the emulator serves, and the table that routes to them.

``ROUTES`` maps ``(HTTP method, requestUri)`` exactly as botocore's service
model declares them to an operation name, and ``HANDLERS`` maps that name to
a handler. A handler takes the account state and the decoded request and
returns the output shape as a JSON-ready dict, or raises ``ApiError``. Adding
an operation is one route, one handler, and a test that its route matches
botocore's model.

Outputs carry exactly the members of the output shapes: lists are present
even when empty, ``NextToken`` is left out on the last page, and optional
members without a value (``PhoneNumberDescription``) are left out as AWS does.
ReleasePhoneNumber has no output shape: its answer is an empty object.

Writes (ClaimPhoneNumber, ReleasePhoneNumber, and DescribePhoneNumber when it
moves an IN_PROGRESS claim along) run inside ``state.transaction()``, so the
checks and the change are one atomic step and the state file is written once.
Their order follows what a client can observe from AWS:

1. an idempotency token already used answers from the history: the same
   request again succeeds without a second effect (and without counting
   against the quota); another request with that token is an
   ``IdempotencyException``;
2. the resource must exist and be in a state that allows the write
   (``ResourceNotFoundException``, ``ResourceInUseException`` for a release
   while the claim is IN_PROGRESS, ``InvalidParameterException`` "Phone
   number not available" for a claim of a number that is claimed, cooling
   down or not in the pool, as AWS answers it);
3. the rolling quota (``quota``; refused with ``errors.QUOTA_ERROR``);
4. the change, and one ``HistoryEvent`` for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

from .arns import (
    instance_id_from_arn,
    parse_arn,
    partition_of,
    phone_number_arn,
    phone_number_id_from_arn,
    traffic_distribution_group_arn,
)
from .clock import format_time
from .constants import (
    COUNTRY_CODE_PATTERN,
    DEFAULT_MAX_RESULTS,
    E164_PATTERN,
    FLOW_ASSOCIATION_RESOURCE_TYPES,
    MAX_BATCH_RESOURCE_IDS,
    MAX_CLIENT_TOKEN_LENGTH,
    MAX_COUNTRY_CODE_FILTERS,
    MAX_DESCRIPTION_LENGTH,
    MAX_RESULTS_MAX,
    MAX_RESULTS_MIN,
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    MAX_TYPE_FILTERS,
    PHONE_NUMBER_PREFIX_PATTERN,
    PHONE_NUMBER_TYPES,
    RESOURCE_ID_PATTERN,
    SEARCH_MAX_RESULTS_MAX,
)
from .countries import AvailableNumber
from .errors import QUOTA_ERROR, ApiError, invalid_parameter, not_found
from .history import Action, HistoryEvent, Origin
from .pagination import SortKey, decode_token, encode_token, page
from .state import ConnectState, Instance, PhoneNumber, TrafficDistributionGroup
from .trail import TrailInfo

__all__ = ["HANDLERS", "ROUTES", "ApiRequest", "Handler", "Route", "match_route"]

_VOICE_PHONE_NUMBER = "VOICE_PHONE_NUMBER"
_IN_PROGRESS = "IN_PROGRESS"
_CLAIMED = "CLAIMED"
_CLAIM_IN_PROGRESS_MESSAGE = "The claim of this phone number is in progress."
# Ids of created traffic distribution groups: uuid5, so runs (and output) repeat.
_TDG_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "tdg.emulator.connect-numbers.invalid")


@dataclass(frozen=True, kw_only=True)
class ApiRequest:
    """A request decoded from HTTP: URI labels, query parameters, JSON body, and
    who sent it (``caller``: what CloudTrail records of the call)."""

    operation: str
    path: Mapping[str, str]
    query: Mapping[str, Sequence[str]]
    body: Mapping[str, Any]
    caller: TrailInfo = field(default_factory=TrailInfo)


Handler = Callable[[ConnectState, ApiRequest], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    uri: str
    operation: str

    def match(self, method: str, segments: Sequence[str]) -> dict[str, str] | None:
        """URI labels if ``segments`` (still percent-encoded) fit this route.

        Matching on the raw path matters: botocore percent-encodes ``/`` inside
        a label (an instance ARN given as InstanceId), which a decoded
        PATH_INFO would turn into extra path segments.
        """
        if method != self.method:
            return None
        pattern = self.uri.split("/")
        if len(pattern) != len(segments):
            return None
        labels: dict[str, str] = {}
        for expected, actual in zip(pattern, segments, strict=True):
            decoded = unquote(actual)
            if expected.startswith("{") and expected.endswith("}"):
                labels[expected[1:-1]] = decoded
            elif expected != decoded:
                return None
        return labels


def match_route(method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    segments = raw_path.split("/")
    for route in ROUTES:
        labels = route.match(method, segments)
        if labels is not None:
            return route, labels
    return None


# --- reading parameters ------------------------------------------------------


def _body_string(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_parameter(f"{name} must be a string.")
    return value


def _body_string_list(body: Mapping[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_parameter(f"{name} must be a list of strings.")
    return value


def _query_string(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise invalid_parameter(f"{name} must be given once.")
    return values[0]


def _max_results(
    value: object,
    name: str,
    *,
    maximum: int = MAX_RESULTS_MAX,
    default: int = DEFAULT_MAX_RESULTS,
) -> int:
    """``MaxResult1000``: 1..1000, 100 when absent (``MaxResult10``: 1..10, 10).

    botocore checks only the minimum client-side, so 1001 reaches the server
    and must be refused here as AWS does.
    """
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise invalid_parameter(f"{name} must be an integer.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_parameter(f"{name} must be an integer.")
    if not MAX_RESULTS_MIN <= value <= maximum:
        raise invalid_parameter(
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have value "
            f"between {MAX_RESULTS_MIN} and {maximum}."
        )
    return value


def _next_token(value: str | None, operation: str, query: Mapping[str, object]) -> SortKey | None:
    if value is None:
        return None
    if value == "":
        raise invalid_parameter("The NextToken is not valid.")
    return decode_token(value, operation, query)


def _type_filter(values: Sequence[str] | None, name: str) -> frozenset[str] | None:
    if not values:
        return None
    if len(values) > MAX_TYPE_FILTERS:
        raise invalid_parameter(f"{name} accepts at most {MAX_TYPE_FILTERS} values.")
    for value in values:
        if value not in PHONE_NUMBER_TYPES:
            raise invalid_parameter(
                f"{name} value '{value}' is not one of {', '.join(PHONE_NUMBER_TYPES)}."
            )
    return frozenset(values)


def _country_filter(values: Sequence[str] | None, name: str) -> frozenset[str] | None:
    if not values:
        return None
    if len(values) > MAX_COUNTRY_CODE_FILTERS:
        raise invalid_parameter(f"{name} accepts at most {MAX_COUNTRY_CODE_FILTERS} values.")
    for value in values:
        if not COUNTRY_CODE_PATTERN.fullmatch(value):
            raise invalid_parameter(f"{name} value '{value}' is not an ISO country code.")
    return frozenset(values)


def _instance(state: ConnectState, reference: str, name: str) -> Instance:
    """Resolve an InstanceId given as an id or as the instance ARN, as Connect accepts."""
    if reference.startswith("arn:"):
        instance_id = instance_id_from_arn(reference, state.region, state.account_id)
        if instance_id is None:
            raise invalid_parameter(
                f"{name} '{reference}' is not a Connect instance ARN of account "
                f"{state.account_id} in {state.region}."
            )
    else:
        if not RESOURCE_ID_PATTERN.fullmatch(reference):
            raise invalid_parameter(f"{name} '{reference}' is not a valid instance id.")
        instance_id = reference
    instance = state.instance(instance_id)
    if instance is None:
        raise not_found(f"Instance '{instance_id}' not found.")
    return instance


def _target(state: ConnectState, target_arn: str) -> Instance:
    """Resolve a TargetArn: an instance ARN or a traffic distribution group ARN."""
    arn = parse_arn(target_arn)
    if arn is None:
        raise invalid_parameter(f"TargetArn '{target_arn}' is not a valid ARN.")
    same_account = (arn.partition, arn.service, arn.region, arn.account) == (
        partition_of(state.region),
        "connect",
        state.region,
        state.account_id,
    )
    parts = arn.resource_parts()
    if same_account and len(parts) == 2 and parts[0] == "traffic-distribution-group":
        # A number claimed to a TDG belongs to the TDG's instance (its flows), and
        # is listed by the TDG's ARN, not the instance's (ListPhoneNumbersV2).
        tdg = _tdg(state, parts[1])
        return Instance(id=tdg.instance_id, arn=tdg.arn)
    return _instance(state, target_arn, "TargetArn")


def _tdg(state: ConnectState, reference: str) -> TrafficDistributionGroup:
    """A TrafficDistributionGroupId: the id, or the ARN (``ACGRTrafficDistributionGroupId``)."""
    tdg_id = reference.rsplit("traffic-distribution-group/", 1)[-1]
    if not RESOURCE_ID_PATTERN.fullmatch(tdg_id):
        raise invalid_parameter(f"'{reference}' is not a traffic distribution group id.")
    tdg = state.traffic_distribution_group(tdg_id)
    if tdg is None:
        raise not_found(f"Traffic distribution group '{tdg_id}' not found.")
    return tdg


def _phone_number_id(state: ConnectState, reference: str) -> str:
    """The id a PhoneNumberId (an id or the number's ARN) names, whether it exists or not."""
    phone_number_id = reference
    if reference.startswith("arn:"):
        parsed = phone_number_id_from_arn(reference, state.region, state.account_id)
        if parsed is None:
            raise invalid_parameter(
                f"PhoneNumberId '{reference}' is not a phone number ARN of account "
                f"{state.account_id} in {state.region}."
            )
        phone_number_id = parsed
    elif not RESOURCE_ID_PATTERN.fullmatch(reference):
        raise invalid_parameter(f"PhoneNumberId '{reference}' is not a valid phone number id.")
    return phone_number_id


def _phone_number(state: ConnectState, reference: str) -> PhoneNumber:
    phone_number_id = _phone_number_id(state, reference)
    number = state.phone_number(phone_number_id)
    if number is None:
        raise not_found(f"Phone number '{phone_number_id}' not found.")
    return number


def _one_target(state: ConnectState, body: Mapping[str, Any]) -> Instance:
    """The instance a write or search is for: TargetArn or InstanceId, exactly one."""
    target_arn = _body_string(body, "TargetArn")
    instance_ref = _body_string(body, "InstanceId")
    if target_arn is not None and instance_ref is not None:
        raise invalid_parameter("Provide either TargetArn or InstanceId, not both.")
    if target_arn is not None:
        return _target(state, target_arn)
    if instance_ref is not None:
        return _instance(state, instance_ref, "InstanceId")
    raise invalid_parameter("Provide either TargetArn or InstanceId.")


def _client_token(value: str | None, name: str) -> str | None:
    """``ClientToken``: up to 500 characters. botocore fills one in when the caller
    does not (``idempotencyToken``), and reuses it on its own retries."""
    if not value:
        return None
    if len(value) > MAX_CLIENT_TOKEN_LENGTH:
        raise invalid_parameter(f"{name} must be at most {MAX_CLIENT_TOKEN_LENGTH} characters.")
    return value


def _e164(body: Mapping[str, Any], name: str) -> str:
    value = _body_string(body, name)
    if value is None:
        raise invalid_parameter(f"{name} is required.")
    if not E164_PATTERN.fullmatch(value):
        raise invalid_parameter(f"{name} '{value}' is not an E.164 phone number.")
    return value


def _description(body: Mapping[str, Any]) -> str | None:
    value = _body_string(body, "PhoneNumberDescription")
    if value is not None and len(value) > MAX_DESCRIPTION_LENGTH:
        raise invalid_parameter(
            f"PhoneNumberDescription must be at most {MAX_DESCRIPTION_LENGTH} characters."
        )
    return value


def _tags(value: object) -> dict[str, str]:
    """``TagMap``: 1 to 50 tags; AWS tagging rules for keys and values."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        raise invalid_parameter("Tags must be a map of 1 to 50 tag keys to values.")
    if len(value) > MAX_TAGS:
        raise invalid_parameter(f"Tags accepts at most {MAX_TAGS} tags.")
    for key, item in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            raise invalid_parameter(
                f"Tag key '{key}' must be 1 to {MAX_TAG_KEY_LENGTH} characters."
            )
        if key.lower().startswith("aws:"):
            raise invalid_parameter(f"Tag key '{key}' uses the reserved prefix 'aws:'.")
        if not isinstance(item, str) or len(item) > MAX_TAG_VALUE_LENGTH:
            raise invalid_parameter(
                f"Tag '{key}' must have a string value of at most {MAX_TAG_VALUE_LENGTH} "
                "characters."
            )
    return dict(value)


def _token_reused(token: str, previous: HistoryEvent, request: str) -> ApiError:
    return ApiError(
        "IdempotencyException",
        f"The client token '{token}' was already used for a different request "
        f"({previous.action.value} {previous.phone_number} at {format_time(previous.at)}); "
        f"this {request} needs a new token.",
    )


def _matcher(
    *,
    instance_id: str | None = None,
    target_arn: str | None = None,
    types: frozenset[str] | None = None,
    countries: frozenset[str] | None = None,
    prefix: str | None = None,
    with_flow: bool = False,
) -> Callable[[PhoneNumber], bool]:
    def matches(number: PhoneNumber) -> bool:
        return (
            (instance_id is None or number.instance_id == instance_id)
            and (target_arn is None or number.target_arn == target_arn)
            and (types is None or number.type in types)
            and (countries is None or number.country in countries)
            and (prefix is None or number.phone_number[1:].startswith(prefix))
            and (not with_flow or number.flow_arn is not None)
        )

    return matches


def _sort_key(number: PhoneNumber) -> tuple[str, str]:
    return number.sort_key


# --- output shapes -----------------------------------------------------------


def _list_summary(number: PhoneNumber) -> dict[str, Any]:
    """Shape ``ListPhoneNumbersSummary`` (ListPhoneNumbersV2)."""
    summary: dict[str, Any] = {
        "PhoneNumberId": number.id,
        "PhoneNumberArn": number.arn,
        "PhoneNumber": number.phone_number,
        "PhoneNumberCountryCode": number.country,
        "PhoneNumberType": number.type,
        "TargetArn": number.target_arn,
        "InstanceId": number.instance_id,
    }
    if number.description is not None:
        summary["PhoneNumberDescription"] = number.description
    if number.source_phone_number_arn is not None:
        summary["SourcePhoneNumberArn"] = number.source_phone_number_arn
    return summary


def _v1_summary(number: PhoneNumber) -> dict[str, Any]:
    """Shape ``PhoneNumberSummary`` (ListPhoneNumbers)."""
    return {
        "Id": number.id,
        "Arn": number.arn,
        "PhoneNumber": number.phone_number,
        "PhoneNumberType": number.type,
        "PhoneNumberCountryCode": number.country,
    }


def _claimed_summary(number: PhoneNumber) -> dict[str, Any]:
    """Shape ``ClaimedPhoneNumberSummary`` (DescribePhoneNumber)."""
    status: dict[str, Any] = {"Status": number.status}
    if number.status_message is not None:
        status["Message"] = number.status_message
    # The list summary's members, plus tags and status.
    return {**_list_summary(number), "Tags": dict(number.tags), "PhoneNumberStatus": status}


def _paged(
    operation: str,
    list_member: str,
    items: Sequence[PhoneNumber],
    render: Callable[[PhoneNumber], dict[str, Any]],
    *,
    where: Callable[[PhoneNumber], bool],
    token: str | None,
    query: Mapping[str, object],
    max_results: int,
) -> dict[str, Any]:
    after = _next_token(token, operation, query)
    chunk, next_after = page(items, _sort_key, after=after, max_results=max_results, where=where)
    result: dict[str, Any] = {list_member: [render(item) for item in chunk]}
    if next_after is not None:
        result["NextToken"] = encode_token(operation, query, next_after)
    return result


# --- handlers ----------------------------------------------------------------


def list_phone_numbers_v2(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """POST /phone-number/list: numbers of a target, or of the whole account.

    With neither TargetArn nor InstanceId, AWS lists every number claimed to
    any instance or traffic distribution group of the account in the region.
    """
    body = request.body
    target_arn = _body_string(body, "TargetArn")
    instance_ref = _body_string(body, "InstanceId")
    if target_arn is not None and instance_ref is not None:
        raise invalid_parameter("Provide either TargetArn or InstanceId, not both.")
    instance: Instance | None = None
    if target_arn is not None:
        instance = _target(state, target_arn)
    elif instance_ref is not None:
        instance = _instance(state, instance_ref, "InstanceId")
    max_results = _max_results(body.get("MaxResults"), "MaxResults")
    countries = _country_filter(
        _body_string_list(body, "PhoneNumberCountryCodes"), "PhoneNumberCountryCodes"
    )
    types = _type_filter(_body_string_list(body, "PhoneNumberTypes"), "PhoneNumberTypes")
    prefix = _body_string(body, "PhoneNumberPrefix")
    if prefix is not None and not PHONE_NUMBER_PREFIX_PATTERN.fullmatch(prefix):
        raise invalid_parameter(
            f"PhoneNumberPrefix '{prefix}' must be an optional '+' and 1 to 11 digits."
        )
    digits = prefix.lstrip("+") if prefix is not None else None
    query: dict[str, object] = {
        "instance": instance.arn if instance else None,
        "countries": sorted(countries or ()),
        "types": sorted(types or ()),
        "prefix": digits,
    }
    return _paged(
        request.operation,
        "ListPhoneNumbersSummaryList",
        state.phone_numbers(),
        _list_summary,
        # An instance ARN lists only the instance's numbers, a TDG ARN only the TDG's
        # (botocore: ListPhoneNumbersV2's documentation).
        where=_matcher(
            target_arn=instance.arn if instance else None,
            types=types,
            countries=countries,
            prefix=digits,
        ),
        token=_body_string(body, "NextToken"),
        query=query,
        max_results=max_results,
    )


def list_phone_numbers(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GET /phone-numbers-summary/{InstanceId}: the v1 listing of one instance."""
    instance = _instance(state, request.path["InstanceId"], "InstanceId")
    query = request.query
    max_results = _max_results(_query_string(query, "maxResults"), "maxResults")
    types = _type_filter(query.get("phoneNumberTypes"), "phoneNumberTypes")
    countries = _country_filter(query.get("phoneNumberCountryCodes"), "phoneNumberCountryCodes")
    fingerprint: dict[str, object] = {
        "instance": instance.id,
        "countries": sorted(countries or ()),
        "types": sorted(types or ()),
    }
    return _paged(
        request.operation,
        "PhoneNumberSummaryList",
        state.phone_numbers(),
        _v1_summary,
        where=_matcher(instance_id=instance.id, types=types, countries=countries),
        token=_query_string(query, "nextToken"),
        query=fingerprint,
        max_results=max_results,
    )


def describe_phone_number(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GET /phone-number/{PhoneNumberId}: one number with its status and tags.

    A claim the emulator made IN_PROGRESS (``claim_in_progress_describes``)
    completes after that many describes: AWS's advice is to "call the
    DescribePhoneNumber API to verify the status of a previous
    ClaimPhoneNumber operation", so describing is what moves it along here.
    """
    with state.transaction():
        number = _phone_number(state, request.path["PhoneNumberId"])
        left = number.in_progress_describes
        if number.status == _IN_PROGRESS and left is not None:
            if left > 1:
                state.put_phone_number(replace(number, in_progress_describes=left - 1))
            else:
                state.put_phone_number(
                    replace(
                        number, status=_CLAIMED, status_message=None, in_progress_describes=None
                    )
                )
    return {"ClaimedPhoneNumberSummary": _claimed_summary(number)}


def release_phone_number(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """DELETE /phone-number/{PhoneNumberId}?clientToken=: release a claimed number.

    The number leaves the inventory with its flow association, and enters the
    cooldown: ReleasePhoneNumber "puts the number in a cool down period for up
    to 180 days. The phone number cannot be searched for or claimed until
    after the cool down period ends."
    """
    number_id = _phone_number_id(state, request.path["PhoneNumberId"])
    token = _client_token(_query_string(request.query, "clientToken"), "clientToken")
    with state.transaction():
        now = state.now()
        previous = state.event_for_token(token) if token is not None else None
        if previous is not None and token is not None:
            if previous.action is Action.RELEASE and previous.phone_number_id == number_id:
                return {}  # released already, by this very request: nothing more to do
            raise _token_reused(token, previous, f"release of '{number_id}'")
        number = state.phone_number(number_id)
        if number is None:
            raise not_found(f"Phone number '{number_id}' not found.")
        if number.status == _IN_PROGRESS:
            raise ApiError(
                "ResourceInUseException",
                f"Phone number {number.phone_number} ('{number.id}') cannot be released while "
                "its claim is IN_PROGRESS; describe it until the status is CLAIMED or FAILED.",
                ResourceType="PHONE_NUMBER",
                ResourceId=number.arn,
            )
        quota = state.quota_usage(now)
        if quota.exhausted:
            raise ApiError(QUOTA_ERROR, quota.refusal("release", number.phone_number))
        state.remove_phone_number(number.id)
        state.record(
            HistoryEvent(
                action=Action.RELEASE,
                phone_number=number.phone_number,
                at=now,
                phone_number_id=number.id,
                client_token=token,
                instance_id=number.instance_id,
                type=number.type,
                country=number.country,
                origin=Origin.EMULATOR,
                trail=request.caller,
            )
        )
    return {}


def claim_phone_number(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """POST /phone-number/claim: claim an available number to an instance.

    The number must be in the pool SearchAvailablePhoneNumbers serves: not
    claimed, not cooling down after a release. AWS answers a number it cannot
    give with 400 ``InvalidParameterException`` "Phone number not available".
    """
    body = request.body
    instance = _one_target(state, body)
    phone_number = _e164(body, "PhoneNumber")
    description = _description(body)
    tags = _tags(body.get("Tags"))
    token = _client_token(_body_string(body, "ClientToken"), "ClientToken")
    with state.transaction():
        now = state.now()
        previous = state.event_for_token(token) if token is not None else None
        if previous is not None and token is not None:
            if (
                previous.action is Action.CLAIM
                and previous.phone_number == phone_number
                and previous.instance_id == instance.id
                and previous.phone_number_id is not None
            ):
                return _claim_output(state, previous.phone_number_id)
            raise _token_reused(token, previous, f"claim of {phone_number}")
        holder = state.phone_number_by_e164(phone_number)
        if holder is not None:
            raise invalid_parameter(
                f"Phone number not available: {phone_number} is already claimed (PhoneNumberId "
                f"'{holder.id}', instance {holder.instance_id})."
            )
        until = state.cooldown_until(phone_number, now)
        release = state.last_release(phone_number)
        if until is not None and release is not None:
            raise invalid_parameter(
                f"Phone number not available: {phone_number} was released on "
                f"{format_time(release.at)} and is in its {state.cooldown.days}-day cooldown "
                f"until {format_time(until)}."
            )
        entry = state.pool_entry(phone_number)
        if entry is None:
            raise invalid_parameter(
                f"Phone number not available: {phone_number} is not in the pool of available "
                "numbers; find one with SearchAvailablePhoneNumbers."
            )
        quota = state.quota_usage(now)
        if quota.exhausted:
            raise ApiError(QUOTA_ERROR, quota.refusal("claim", phone_number))
        number_id = state.new_phone_number_id(phone_number)
        pending = state.claim_in_progress_describes or None
        state.put_phone_number(
            PhoneNumber(
                id=number_id,
                arn=phone_number_arn(state.region, state.account_id, number_id),
                phone_number=phone_number,
                instance_id=instance.id,
                target_arn=instance.arn,
                type=entry.type,
                country=entry.country,
                status=_IN_PROGRESS if pending else _CLAIMED,
                status_message=_CLAIM_IN_PROGRESS_MESSAGE if pending else None,
                description=description,
                tags=MappingProxyType(tags),
                in_progress_describes=pending,
            )
        )
        state.record(
            HistoryEvent(
                action=Action.CLAIM,
                phone_number=phone_number,
                at=now,
                phone_number_id=number_id,
                client_token=token,
                instance_id=instance.id,
                type=entry.type,
                country=entry.country,
                origin=Origin.EMULATOR,
                trail=request.caller,
            )
        )
    return _claim_output(state, number_id)


def _claim_output(state: ConnectState, number_id: str) -> dict[str, Any]:
    """Shape ``ClaimPhoneNumberResponse``."""
    return {
        "PhoneNumberId": number_id,
        "PhoneNumberArn": phone_number_arn(state.region, state.account_id, number_id),
    }


def search_available_phone_numbers(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """POST /phone-number/search-available: numbers of a country and type to claim.

    Never a claimed number, never one in its cooldown. The model declares no
    ResourceNotFoundException for this operation, so an unknown target is an
    InvalidParameterException here.
    """
    body = request.body
    try:
        instance = _one_target(state, body)
    except ApiError as error:
        if error.code != "ResourceNotFoundException":
            raise
        raise invalid_parameter(error.message) from None
    country = _body_string(body, "PhoneNumberCountryCode")
    if country is None or not COUNTRY_CODE_PATTERN.fullmatch(country):
        raise invalid_parameter("PhoneNumberCountryCode is required: an ISO country code.")
    number_type = _body_string(body, "PhoneNumberType")
    if number_type not in PHONE_NUMBER_TYPES:
        raise invalid_parameter(
            f"PhoneNumberType is required, one of {', '.join(PHONE_NUMBER_TYPES)}."
        )
    prefix = _body_string(body, "PhoneNumberPrefix")
    if prefix is not None and not PHONE_NUMBER_PREFIX_PATTERN.fullmatch(prefix):
        raise invalid_parameter(
            f"PhoneNumberPrefix '{prefix}' must be an optional '+' and 1 to 11 digits."
        )
    digits = prefix.lstrip("+") if prefix is not None else None
    max_results = _max_results(
        body.get("MaxResults"),
        "MaxResults",
        maximum=SEARCH_MAX_RESULTS_MAX,
        default=SEARCH_MAX_RESULTS_MAX,
    )
    query: dict[str, object] = {
        "instance": instance.id,
        "country": country,
        "type": number_type,
        "prefix": digits,
    }
    after = _next_token(_body_string(body, "NextToken"), request.operation, query)
    chunk, next_after = page(
        state.available_numbers(country, number_type, state.now()),
        _available_key,
        after=after,
        max_results=max_results,
        where=None if digits is None else lambda item: item.phone_number[1:].startswith(digits),
    )
    result: dict[str, Any] = {
        "AvailableNumbersList": [
            {
                "PhoneNumber": item.phone_number,
                "PhoneNumberCountryCode": item.country,
                "PhoneNumberType": item.type,
            }
            for item in chunk
        ]
    }
    if next_after is not None:
        result["NextToken"] = encode_token(request.operation, query, next_after)
    return result


def _available_key(item: AvailableNumber) -> SortKey:
    return (item.phone_number, "")


def list_flow_associations(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GET /flow-associations-summary/{InstanceId}: which flow each number starts.

    Phone numbers are the only associations the emulator models, so any other
    ResourceType yields an empty list.
    """
    instance = _instance(state, request.path["InstanceId"], "InstanceId")
    query = request.query
    resource_type = _query_string(query, "ResourceType")
    if resource_type is not None and resource_type not in FLOW_ASSOCIATION_RESOURCE_TYPES:
        raise invalid_parameter(
            f"ResourceType '{resource_type}' is not one of "
            f"{', '.join(FLOW_ASSOCIATION_RESOURCE_TYPES)}."
        )
    max_results = _max_results(_query_string(query, "maxResults"), "maxResults")
    items = state.phone_numbers() if resource_type in (None, _VOICE_PHONE_NUMBER) else ()
    return _paged(
        request.operation,
        "FlowAssociationSummaryList",
        items,
        _flow_association,
        where=_matcher(instance_id=instance.id, with_flow=True),
        token=_query_string(query, "nextToken"),
        query={"instance": instance.id, "resource_type": resource_type},
        max_results=max_results,
    )


def batch_get_flow_association(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """POST /flow-associations-batch/{InstanceId}: the flows of up to 100 given resources.

    ``ResourceIds`` are phone-number ARNs (shape ``resourceArnListMaxLimit100``;
    botocore checks only the minimum of 1 client-side, so 101 reaches the server
    and is refused here). A number of the instance without a flow, or not on the
    instance, has no summary in the answer; other resource types have none.
    """
    instance = _instance(state, request.path["InstanceId"], "InstanceId")
    body = request.body
    resource_ids = _body_string_list(body, "ResourceIds")
    if not resource_ids:
        raise invalid_parameter("ResourceIds must list at least one resource ARN.")
    if len(resource_ids) > MAX_BATCH_RESOURCE_IDS:
        raise invalid_parameter(
            f"Value at 'resourceIds' failed to satisfy constraint: Member must have length "
            f"less than or equal to {MAX_BATCH_RESOURCE_IDS}."
        )
    resource_type = _body_string(body, "ResourceType")
    if resource_type is not None and resource_type not in FLOW_ASSOCIATION_RESOURCE_TYPES:
        raise invalid_parameter(
            f"ResourceType '{resource_type}' is not one of "
            f"{', '.join(FLOW_ASSOCIATION_RESOURCE_TYPES)}."
        )
    summaries: list[dict[str, Any]] = []
    if resource_type in (None, _VOICE_PHONE_NUMBER):
        for arn in dict.fromkeys(resource_ids):
            number_id = phone_number_id_from_arn(arn, state.region, state.account_id)
            if number_id is None:
                raise invalid_parameter(
                    f"ResourceId '{arn}' is not a phone number ARN of account "
                    f"{state.account_id} in {state.region}."
                )
            number = state.phone_number(number_id)
            if number is not None and number.instance_id == instance.id and number.flow_arn:
                summaries.append(_flow_association(number))
    return {"FlowAssociationSummaryList": summaries}


# --- metadata in place: no quota cost (issue 15, part 1) ------------------------------

_METADATA_IN_PROGRESS_MESSAGE = "The update of this phone number's metadata is in progress."


def update_phone_number_metadata(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """PUT /phone-number/{PhoneNumberId}/metadata: a new description, in place.

    Asynchronous like a claim: the number is IN_PROGRESS until one DescribePhoneNumber
    has seen it so (AWS: "You can call DescribePhoneNumber API to verify the status of
    a previous UpdatePhoneNumberMetadata operation"). Costs nothing against the quota.
    A number whose claim or update is IN_PROGRESS answers ResourceInUseException.

    ``ClientToken`` is honoured (botocore's idempotencyToken): the same token with the
    same request is the same success, changing nothing again (a retry after a lost
    answer, also while the update is IN_PROGRESS); the same token with another request
    is IdempotencyException.
    """
    description = _description(request.body)
    token = _client_token(_body_string(request.body, "ClientToken"), "ClientToken")
    with state.transaction():
        number = _phone_number(state, request.path["PhoneNumberId"])
        previous = state.metadata_request(token) if token is not None else None
        if previous is not None:
            if previous == (number.id, description):
                return {}  # updated already, by this very request
            raise ApiError(
                "IdempotencyException",
                f"The client token '{token}' was already used for a different "
                f"UpdatePhoneNumberMetadata request (phone number '{previous[0]}', "
                f"description {previous[1]!r}); this request needs a new token.",
            )
        if number.status == _IN_PROGRESS:
            raise ApiError(
                "ResourceInUseException",
                f"Phone number {number.phone_number} ('{number.id}') is IN_PROGRESS; describe "
                "it until the status is CLAIMED, then update it.",
                ResourceType="PHONE_NUMBER",
                ResourceId=number.arn,
            )
        state.put_phone_number(
            replace(
                number,
                description=description if description is not None else number.description,
                status=_IN_PROGRESS,
                status_message=_METADATA_IN_PROGRESS_MESSAGE,
                in_progress_describes=1,
            )
        )
        if token is not None:
            state.remember_metadata_request(token, number.id, description)
    return {}


def _tagged(state: ConnectState, resource_arn: str) -> PhoneNumber:
    """The number a ``resourceArn`` names: tagging here serves phone numbers only."""
    number_id = phone_number_id_from_arn(resource_arn, state.region, state.account_id)
    if number_id is None:
        raise not_found(f"Resource '{resource_arn}' not found (the emulator tags phone numbers).")
    return _phone_number(state, number_id)


def tag_resource(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """POST /tags/{resourceArn}: add or overwrite tags (at most 50 in all)."""
    tags = _tags(request.body.get("tags"))
    if not tags:
        raise invalid_parameter("tags is required.")
    with state.transaction():
        number = _tagged(state, request.path["resourceArn"])
        merged = {**number.tags, **tags}
        if len(merged) > MAX_TAGS:
            raise invalid_parameter(f"A resource has at most {MAX_TAGS} tags.")
        state.put_phone_number(replace(number, tags=MappingProxyType(merged)))
    return {}


def untag_resource(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """DELETE /tags/{resourceArn}?tagKeys=K&tagKeys=L: remove tags (absent keys: no-op)."""
    keys = list(request.query.get("tagKeys", ()))
    if not keys:
        raise invalid_parameter("tagKeys is required.")
    with state.transaction():
        number = _tagged(state, request.path["resourceArn"])
        kept = {k: v for k, v in number.tags.items() if k not in keys}
        state.put_phone_number(replace(number, tags=MappingProxyType(kept)))
    return {}


# --- traffic distribution groups -------------------------------------------------------


def _tdg_shape(tdg: TrafficDistributionGroup, *, summary: bool) -> dict[str, Any]:
    """Shape ``TrafficDistributionGroup`` (or ``TrafficDistributionGroupSummary``)."""
    shape: dict[str, Any] = {
        "Id": tdg.id,
        "Arn": tdg.arn,
        "Name": tdg.name,
        "InstanceArn": tdg.instance_arn,
        "Status": tdg.status,
        "IsDefault": tdg.default,
    }
    if not summary:
        shape["Tags"] = dict(tdg.tags)
        if tdg.description is not None:
            shape["Description"] = tdg.description
    return shape


def create_traffic_distribution_group(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """PUT /traffic-distribution-group: a TDG of an instance, ACTIVE at once.

    AWS requires a replicated instance; the emulator models no replication, so any
    instance of the account will do. A name used twice on one instance is refused.
    """
    body = request.body
    name = _body_string(body, "Name")
    reference = _body_string(body, "InstanceId")
    if not name or reference is None:
        raise invalid_parameter("Name and InstanceId are required.")
    instance = _instance(state, reference, "InstanceId")
    description = _body_string(body, "Description")
    tags = _tags(body.get("Tags"))
    with state.transaction():
        for other in state.traffic_distribution_groups():
            if other.instance_id == instance.id and other.name == name:
                raise ApiError(
                    "ResourceConflictException",
                    f"A traffic distribution group named '{name}' already exists on instance "
                    f"'{instance.id}' ({other.id}).",
                )
        tdg_id = str(uuid.uuid5(_TDG_NAMESPACE, f"{instance.id}/{name}"))
        tdg = TrafficDistributionGroup(
            id=tdg_id,
            arn=traffic_distribution_group_arn(state.region, state.account_id, tdg_id),
            name=name,
            instance_id=instance.id,
            instance_arn=instance.arn,
            description=description,
            tags=MappingProxyType(tags),
        )
        state.put_traffic_distribution_group(tdg)
    return {"Id": tdg.id, "Arn": tdg.arn}


def describe_traffic_distribution_group(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GET /traffic-distribution-group/{TrafficDistributionGroupId}: by id or ARN."""
    tdg = _tdg(state, request.path["TrafficDistributionGroupId"])
    return {"TrafficDistributionGroup": _tdg_shape(tdg, summary=False)}


def list_traffic_distribution_groups(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GET /traffic-distribution-groups: the account's TDGs, or one instance's (instanceId)."""
    query = request.query
    reference = _query_string(query, "instanceId")
    instance = _instance(state, reference, "instanceId") if reference is not None else None
    max_results = _max_results(
        _query_string(query, "maxResults"),
        "maxResults",
        maximum=SEARCH_MAX_RESULTS_MAX,
        default=SEARCH_MAX_RESULTS_MAX,
    )
    key = {"instance": instance.id if instance else None}
    after = _next_token(_query_string(query, "nextToken"), request.operation, key)
    chunk, next_after = page(
        state.traffic_distribution_groups(),
        lambda tdg: (tdg.id, tdg.id),
        after=after,
        max_results=max_results,
        where=lambda tdg: instance is None or tdg.instance_id == instance.id,
    )
    result: dict[str, Any] = {
        "TrafficDistributionGroupSummaryList": [_tdg_shape(t, summary=True) for t in chunk]
    }
    if next_after is not None:
        result["NextToken"] = encode_token(request.operation, key, next_after)
    return result


def _flow_association(number: PhoneNumber) -> dict[str, Any]:
    """Shape ``FlowAssociationSummary``: ResourceId is the number's ARN."""
    return {
        "ResourceId": number.arn,
        "FlowId": number.flow_arn,
        "ResourceType": _VOICE_PHONE_NUMBER,
    }


ROUTES: tuple[Route, ...] = (
    Route("POST", "/phone-number/list", "ListPhoneNumbersV2"),
    Route("GET", "/phone-numbers-summary/{InstanceId}", "ListPhoneNumbers"),
    Route("GET", "/phone-number/{PhoneNumberId}", "DescribePhoneNumber"),
    Route("GET", "/flow-associations-summary/{InstanceId}", "ListFlowAssociations"),
    Route("POST", "/flow-associations-batch/{InstanceId}", "BatchGetFlowAssociation"),
    Route("DELETE", "/phone-number/{PhoneNumberId}", "ReleasePhoneNumber"),
    Route("POST", "/phone-number/claim", "ClaimPhoneNumber"),
    Route("POST", "/phone-number/search-available", "SearchAvailablePhoneNumbers"),
    Route("PUT", "/phone-number/{PhoneNumberId}/metadata", "UpdatePhoneNumberMetadata"),
    Route("POST", "/tags/{resourceArn}", "TagResource"),
    Route("DELETE", "/tags/{resourceArn}", "UntagResource"),
    Route("PUT", "/traffic-distribution-group", "CreateTrafficDistributionGroup"),
    Route(
        "GET",
        "/traffic-distribution-group/{TrafficDistributionGroupId}",
        "DescribeTrafficDistributionGroup",
    ),
    Route("GET", "/traffic-distribution-groups", "ListTrafficDistributionGroups"),
)

HANDLERS: Mapping[str, Handler] = {
    "ListPhoneNumbersV2": list_phone_numbers_v2,
    "ListPhoneNumbers": list_phone_numbers,
    "DescribePhoneNumber": describe_phone_number,
    "ListFlowAssociations": list_flow_associations,
    "BatchGetFlowAssociation": batch_get_flow_association,
    "ReleasePhoneNumber": release_phone_number,
    "ClaimPhoneNumber": claim_phone_number,
    "SearchAvailablePhoneNumbers": search_available_phone_numbers,
    "UpdatePhoneNumberMetadata": update_phone_number_metadata,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "CreateTrafficDistributionGroup": create_traffic_distribution_group,
    "DescribeTrafficDistributionGroup": describe_traffic_distribution_group,
    "ListTrafficDistributionGroups": list_traffic_distribution_groups,
}
