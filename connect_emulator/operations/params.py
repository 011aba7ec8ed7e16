"""Reading a Connect request's parameters, and resolving the resources they name.

The body, query and URI members every operation checks as AWS does (types,
lengths, patterns, ``MaxResults``, ``NextToken``, filters, tags), and the
references to resources (an instance, a target, a traffic distribution group,
a phone number) by id or ARN. The names keep their leading underscore: they are
private to the ``operations`` package, shared by its modules, not an API.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..arns import instance_id_from_arn, parse_arn, partition_of, phone_number_id_from_arn
from ..constants import (
    COUNTRY_CODE_PATTERN,
    DEFAULT_MAX_RESULTS,
    E164_PATTERN,
    MAX_CLIENT_TOKEN_LENGTH,
    MAX_COUNTRY_CODE_FILTERS,
    MAX_DESCRIPTION_LENGTH,
    MAX_RESULTS_MAX,
    MAX_RESULTS_MIN,
    MAX_TAG_KEY_LENGTH,
    MAX_TAG_VALUE_LENGTH,
    MAX_TAGS,
    MAX_TYPE_FILTERS,
    PHONE_NUMBER_TYPES,
    RESOURCE_ID_PATTERN,
)
from ..errors import invalid_parameter, not_found
from ..pagination import SortKey, decode_token
from ..resources import Instance, PhoneNumber, TrafficDistributionGroup
from ..state import ConnectState


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
