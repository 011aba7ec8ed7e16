"""The phone-number operations: list, describe, claim, release, search, metadata, tags.

ListPhoneNumbersV2, ListPhoneNumbers, DescribePhoneNumber, ClaimPhoneNumber,
ReleasePhoneNumber, SearchAvailablePhoneNumbers, UpdatePhoneNumberMetadata,
TagResource and UntagResource (the emulator tags phone numbers only).

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

from dataclasses import replace
from types import MappingProxyType
from typing import Any

from ..arns import phone_number_arn, phone_number_id_from_arn
from ..clock import format_time
from ..constants import (
    COUNTRY_CODE_PATTERN,
    MAX_TAGS,
    PHONE_NUMBER_PREFIX_PATTERN,
    PHONE_NUMBER_TYPES,
    SEARCH_MAX_RESULTS_MAX,
)
from ..countries import AvailableNumber
from ..errors import QUOTA_ERROR, ApiError, invalid_parameter, not_found
from ..history import Action, HistoryEvent, Origin
from ..pagination import SortKey, encode_token, page
from ..resources import Instance, PhoneNumber
from ..state import ConnectState
from .listing import _matcher, _paged
from .params import (
    _body_string,
    _body_string_list,
    _client_token,
    _country_filter,
    _description,
    _e164,
    _instance,
    _max_results,
    _next_token,
    _one_target,
    _phone_number,
    _phone_number_id,
    _query_string,
    _tags,
    _target,
    _type_filter,
)
from .request import ApiRequest

_IN_PROGRESS = "IN_PROGRESS"
_CLAIMED = "CLAIMED"
_CLAIM_IN_PROGRESS_MESSAGE = "The claim of this phone number is in progress."


def _token_reused(token: str, previous: HistoryEvent, request: str) -> ApiError:
    return ApiError(
        "IdempotencyException",
        f"The client token '{token}' was already used for a different request "
        f"({previous.action.value} {previous.phone_number} at {format_time(previous.at)}); "
        f"this {request} needs a new token.",
    )


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
