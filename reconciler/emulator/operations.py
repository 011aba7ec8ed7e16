"""The Connect operations the emulator serves, and the table that routes to them.

``ROUTES`` maps ``(HTTP method, requestUri)`` exactly as botocore's service
model declares them to an operation name, and ``HANDLERS`` maps that name to
a handler. A handler takes the account state and the decoded request and
returns the output shape as a JSON-ready dict, or raises ``ApiError``. Adding
an operation (ClaimPhoneNumber, ReleasePhoneNumber, ...) is one route, one
handler, and a test that its route matches botocore's model.

Outputs carry exactly the members of the output shapes: lists are present
even when empty, ``NextToken`` is left out on the last page, and optional
members without a value (``PhoneNumberDescription``) are left out as AWS does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from .arns import instance_id_from_arn, parse_arn, partition_of, phone_number_id_from_arn
from .constants import (
    COUNTRY_CODE_PATTERN,
    DEFAULT_MAX_RESULTS,
    FLOW_ASSOCIATION_RESOURCE_TYPES,
    MAX_COUNTRY_CODE_FILTERS,
    MAX_RESULTS_MAX,
    MAX_RESULTS_MIN,
    MAX_TYPE_FILTERS,
    PHONE_NUMBER_PREFIX_PATTERN,
    PHONE_NUMBER_TYPES,
    RESOURCE_ID_PATTERN,
)
from .errors import invalid_parameter, not_found
from .pagination import SortKey, decode_token, encode_token, page
from .state import ConnectState, Instance, PhoneNumber

__all__ = ["HANDLERS", "ROUTES", "ApiRequest", "Handler", "Route", "match_route"]

_VOICE_PHONE_NUMBER = "VOICE_PHONE_NUMBER"


@dataclass(frozen=True, kw_only=True)
class ApiRequest:
    """A request decoded from HTTP: URI labels, query parameters, JSON body."""

    operation: str
    path: Mapping[str, str]
    query: Mapping[str, Sequence[str]]
    body: Mapping[str, Any]


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


def _max_results(value: object, name: str) -> int:
    """``MaxResult1000``: 1..1000, 100 when absent.

    botocore checks only the minimum client-side, so 1001 reaches the server
    and must be refused here as AWS does.
    """
    if value is None:
        return DEFAULT_MAX_RESULTS
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise invalid_parameter(f"{name} must be an integer.") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_parameter(f"{name} must be an integer.")
    if not MAX_RESULTS_MIN <= value <= MAX_RESULTS_MAX:
        raise invalid_parameter(
            f"Value '{value}' at '{name}' failed to satisfy constraint: Member must have value "
            f"between {MAX_RESULTS_MIN} and {MAX_RESULTS_MAX}."
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
        # The emulator models no traffic distribution groups yet.
        raise not_found(f"Traffic distribution group '{parts[1]}' not found.")
    return _instance(state, target_arn, "TargetArn")


def _phone_number(state: ConnectState, reference: str) -> PhoneNumber:
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
    number = state.phone_number(phone_number_id)
    if number is None:
        raise not_found(f"Phone number '{phone_number_id}' not found.")
    return number


def _matcher(
    *,
    instance_id: str | None = None,
    types: frozenset[str] | None = None,
    countries: frozenset[str] | None = None,
    prefix: str | None = None,
    with_flow: bool = False,
) -> Callable[[PhoneNumber], bool]:
    def matches(number: PhoneNumber) -> bool:
        return (
            (instance_id is None or number.instance_id == instance_id)
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
    summary: dict[str, Any] = {
        "PhoneNumberId": number.id,
        "PhoneNumberArn": number.arn,
        "PhoneNumber": number.phone_number,
        "PhoneNumberCountryCode": number.country,
        "PhoneNumberType": number.type,
        "TargetArn": number.target_arn,
        "InstanceId": number.instance_id,
        "Tags": dict(number.tags),
        "PhoneNumberStatus": status,
    }
    if number.description is not None:
        summary["PhoneNumberDescription"] = number.description
    return summary


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
        "instance": instance.id if instance else None,
        "countries": sorted(countries or ()),
        "types": sorted(types or ()),
        "prefix": digits,
    }
    return _paged(
        request.operation,
        "ListPhoneNumbersSummaryList",
        state.phone_numbers(),
        _list_summary,
        where=_matcher(
            instance_id=instance.id if instance else None,
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
    """GET /phone-number/{PhoneNumberId}: one number with its status and tags."""
    number = _phone_number(state, request.path["PhoneNumberId"])
    return {"ClaimedPhoneNumberSummary": _claimed_summary(number)}


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
)

HANDLERS: Mapping[str, Handler] = {
    "ListPhoneNumbersV2": list_phone_numbers_v2,
    "ListPhoneNumbers": list_phone_numbers,
    "DescribePhoneNumber": describe_phone_number,
    "ListFlowAssociations": list_flow_associations,
}
