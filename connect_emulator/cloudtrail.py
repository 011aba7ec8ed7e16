"""CloudTrail's LookupEvents over the emulator's own history.

Every claim and release in the history (the seed's and the emulator's own) and
every logged call that changed nothing (``trail.TrailCall``: refused, or a
replayed client token) is a CloudTrail management event of
``connect.amazonaws.com``, served as botocore's ``LookupEventsResponse``::

    {"Events": [{"EventId", "EventName", "ReadOnly": "false", "AccessKeyId",
                 "EventTime": <epoch seconds>, "EventSource", "Username",
                 "Resources": [{"ResourceType", "ResourceName"}],
                 "CloudTrailEvent": "<the event record, a JSON string>"}],
     "NextToken": "..."}

What LookupEvents shows, as CloudTrail does:

- newest first ("The most recent event is listed first"), ``MaxResults`` 1..50,
  50 when absent, ``NextToken`` while more follow (only valid with the same
  LookupAttributes, StartTime, EndTime and EventCategory);
- only the last 90 days ("You can look up events that occurred in a Region
  within the last 90 days"), and nothing newer than the delivery delay
  (``cloudtrail.delivery_delay_seconds``, 0 by default);
- one lookup attribute at most ("Currently the list can contain only one
  item"), any key of ``LookupAttributeKey``; StartTime/EndTime inclusive;
- ``EventCategory: insight`` finds nothing (the account has no Insights);
- a failed call carries ``errorCode`` and ``errorMessage`` in its record, and
  ``responseElements`` is null; an importer must skip it;
- an event ``logged: false`` (an action AWS did not log) is never shown, and a
  history event without the ids a record needs (a release without
  ``phone_number_id``, a claim without ``phone_number_id`` or ``instance``) cannot be.

Event times are whole seconds, as CloudTrail records them (``eventTime``
``2026-03-01T12:00:00Z``; ``EventTime`` a JSON number of epoch seconds, which
botocore turns into an aware datetime in the *local* time zone).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from .arns import instance_arn, parse_arn, partition_of, phone_number_arn
from .clock import format_time
from .constants import LOGGED_OPERATIONS
from .errors import ApiError
from .history import Action, HistoryEvent
from .operations.request import ApiRequest
from .pagination import decode_token, encode_token
from .services import CLOUDTRAIL
from .state import ConnectState
from .trail import (
    DEFAULT_ACCESS_KEY_ID,
    EVENT_SOURCE,
    LOOKUP_MAX_RESULTS,
    RETENTION_DAYS,
    TrailCall,
    TrailInfo,
    derived_event_id,
)

__all__ = [
    "HANDLERS",
    "LOOKUP_ATTRIBUTE_KEYS",
    "TrailRecord",
    "call_record",
    "lookup_events",
    "records",
    "request_parameters",
    "trail_summary",
    "trail_view",
]

#: Shape ``LookupAttributeKey``.
LOOKUP_ATTRIBUTE_KEYS: Final = (
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
)
#: ``LookupAttributeValue``: at most 2000 characters.
_MAX_ATTRIBUTE_VALUE = 2000
_EVENT_VERSION = "1.09"
_PHONE_NUMBER_RESOURCE = "AWS::Connect::PhoneNumber"
_INSTANCE_RESOURCE = "AWS::Connect::Instance"
_TDG_RESOURCE = "AWS::Connect::TrafficDistributionGroup"
#: Where a seed event's call came from: nobody knows; documentation values.
_UNKNOWN_SOURCE_IP = "192.0.2.1"
_UNKNOWN_USER_AGENT = "connect-numbers-emulator (seed history)"
_EVENT_NAMES = {Action.CLAIM: "ClaimPhoneNumber", Action.RELEASE: "ReleasePhoneNumber"}


@dataclass(frozen=True, kw_only=True)
class TrailRecord:
    """One event as CloudTrail holds it, before the lookup filters."""

    event_id: str
    event_name: str
    #: The moment of the call (full precision: the order of events in one second).
    at: datetime
    request_parameters: Mapping[str, Any]
    response_elements: Mapping[str, Any] | None
    error_code: str | None
    error_message: str | None
    trail: TrailInfo
    resources: tuple[tuple[str, str], ...]
    #: ``None`` if CloudTrail can hold it, else why not.
    unservable: str | None = None
    phone_number: str | None = None
    phone_number_id: str | None = None
    origin: str = "call"
    #: The order it was recorded in: of two events in the same instant, the
    #: later one is listed first.
    sequence: int = 0

    @property
    def event_time(self) -> datetime:
        """Whole seconds, as CloudTrail records ``eventTime``."""
        return self.at.astimezone(UTC).replace(microsecond=0)

    @property
    def sort_key(self) -> tuple[str, str]:
        """Ascending in time; what a page token resumes after."""
        moment = self.at.astimezone(UTC).isoformat(timespec="microseconds")
        return (moment, f"{self.sequence:012d}:{self.event_id}")


# --- records -----------------------------------------------------------------


def _phone_number_resource(state: ConnectState, reference: str) -> tuple[str, str]:
    name = (
        reference
        if reference.startswith("arn:")
        else phone_number_arn(state.region, state.account_id, reference)
    )
    return (_PHONE_NUMBER_RESOURCE, name)


def _target_resource(reference: str) -> tuple[str, str] | None:
    arn = parse_arn(reference)
    if arn is None:
        return None
    kind = arn.resource_parts()[0]
    resource_type = {"instance": _INSTANCE_RESOURCE, "traffic-distribution-group": _TDG_RESOURCE}
    return (resource_type[kind], reference) if kind in resource_type else None


def _history_record(state: ConnectState, event: HistoryEvent) -> TrailRecord:
    event_id = event.trail.event_id
    assert event_id is not None  # the state names every event it records
    number_id = event.phone_number_id
    parameters: dict[str, Any]
    response: dict[str, Any] | None = None
    resources: list[tuple[str, str]] = []
    unservable = None
    if event.action is Action.RELEASE:
        parameters = {"phoneNumberId": number_id}
        if number_id is None:
            unservable = "a release without phone_number_id (CloudTrail's requestParameters)"
        else:
            resources.append(_phone_number_resource(state, number_id))
    else:
        target = (
            None
            if event.instance_id is None
            else instance_arn(state.region, state.account_id, event.instance_id)
        )
        parameters = {"targetArn": target, "phoneNumber": event.phone_number}
        if number_id is None or target is None:
            unservable = (
                "a claim without phone_number_id and instance (targetArn, responseElements)"
            )
        else:
            response = {
                "phoneNumberId": number_id,
                "phoneNumberArn": phone_number_arn(state.region, state.account_id, number_id),
            }
            resources += [
                _phone_number_resource(state, number_id),
                (_INSTANCE_RESOURCE, target),
            ]
    if event.client_token is not None:
        parameters["clientToken"] = event.client_token
    return TrailRecord(
        event_id=event_id,
        event_name=_EVENT_NAMES[event.action],
        at=event.at,
        request_parameters=parameters,
        response_elements=response,
        error_code=None,
        error_message=None,
        trail=event.trail,
        resources=tuple(resources),
        unservable=unservable,
        phone_number=event.phone_number,
        phone_number_id=number_id,
        origin=event.origin.value,
        sequence=state.sequence_of(event_id),
    )


def _call_record(state: ConnectState, call: TrailCall) -> TrailRecord:
    event_id = call.trail.event_id
    assert event_id is not None
    parameters = call.request_parameters
    resources: list[tuple[str, str]] = []
    number_id = parameters.get("phoneNumberId")
    if isinstance(number_id, str) and number_id:
        resources.append(_phone_number_resource(state, number_id))
    response_arn = (call.response_elements or {}).get("phoneNumberArn")
    if isinstance(response_arn, str) and not resources:
        resources.append((_PHONE_NUMBER_RESOURCE, response_arn))
    target = parameters.get("targetArn")
    instance = parameters.get("instanceId")
    if isinstance(target, str):
        found = _target_resource(target)
        if found is not None:
            resources.append(found)
    elif isinstance(instance, str) and instance:
        name = (
            instance
            if instance.startswith("arn:")
            else instance_arn(state.region, state.account_id, instance)
        )
        resources.append((_INSTANCE_RESOURCE, name))
    phone_number = parameters.get("phoneNumber")
    return TrailRecord(
        event_id=event_id,
        event_name=call.event_name,
        at=call.at,
        request_parameters=parameters,
        response_elements=call.response_elements,
        error_code=call.error_code,
        error_message=call.error_message,
        trail=call.trail,
        resources=tuple(resources),
        phone_number=phone_number if isinstance(phone_number, str) else None,
        phone_number_id=number_id if isinstance(number_id, str) else None,
        sequence=state.sequence_of(event_id),
    )


def records(state: ConnectState) -> list[TrailRecord]:
    """Every event and logged call, newest first (servable or not, shown or not)."""
    with state.lock:
        result = [_history_record(state, event) for event in state.history()]
        result += [_call_record(state, call) for call in state.calls()]
    result.sort(key=lambda record: record.sort_key, reverse=True)
    return result


def _hidden_because(state: ConnectState, record: TrailRecord, now: datetime) -> str | None:
    """Why LookupEvents does not show ``record`` at ``now``; ``None`` if it does."""
    if record.unservable is not None:
        return record.unservable
    if not record.trail.logged:
        return "not logged by CloudTrail"
    if record.at > now - state.cloudtrail.delivery_delay:
        return "not delivered yet" if record.at <= now else "in the future"
    if now - record.at > timedelta(days=RETENTION_DAYS):
        return f"older than {RETENTION_DAYS} days"
    return None


# --- the event record, as CloudTrail writes it ---------------------------------


def _username(state: ConnectState, trail: TrailInfo) -> str:
    return trail.username or state.cloudtrail.username_for(trail.access_key_id)


def _principal_id(account_id: str, username: str) -> str:
    digest = hashlib.sha256(f"{account_id}:{username}".encode()).hexdigest().upper()
    return "AIDA" + digest[:17]


def _cloudtrail_event(state: ConnectState, record: TrailRecord) -> dict[str, Any]:
    trail = record.trail
    username = _username(state, trail)
    access_key = trail.access_key_id or DEFAULT_ACCESS_KEY_ID
    document: dict[str, Any] = {
        "eventVersion": _EVENT_VERSION,
        "userIdentity": {
            "type": "IAMUser",
            "principalId": _principal_id(state.account_id, username),
            "arn": f"arn:{partition_of(state.region)}:iam::{state.account_id}:user/{username}",
            "accountId": state.account_id,
            "accessKeyId": access_key,
            "userName": username,
        },
        "eventTime": format_time(record.event_time),
        "eventSource": EVENT_SOURCE,
        "eventName": record.event_name,
        "awsRegion": state.region,
        "sourceIPAddress": trail.source_ip or _UNKNOWN_SOURCE_IP,
        "userAgent": trail.user_agent or _UNKNOWN_USER_AGENT,
    }
    if record.error_code is not None:
        document["errorCode"] = record.error_code
        document["errorMessage"] = record.error_message or ""
    document.update(
        {
            "requestParameters": dict(record.request_parameters),
            "responseElements": (
                None if record.response_elements is None else dict(record.response_elements)
            ),
            "requestID": trail.request_id
            or derived_event_id(state.account_id, state.region, "request", record.event_id),
            "eventID": record.event_id,
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": state.account_id,
            "eventCategory": "Management",
        }
    )
    return document


def _event(state: ConnectState, record: TrailRecord) -> dict[str, Any]:
    """Shape ``Event``."""
    return {
        "EventId": record.event_id,
        "EventName": record.event_name,
        "ReadOnly": "false",
        "AccessKeyId": record.trail.access_key_id or DEFAULT_ACCESS_KEY_ID,
        # Shape ``Date`` (timestamp): JSON 1.1 sends epoch seconds as a number.
        "EventTime": float(int(record.event_time.timestamp())),
        "EventSource": EVENT_SOURCE,
        "Username": _username(state, record.trail),
        "Resources": [
            {"ResourceType": kind, "ResourceName": name} for kind, name in record.resources
        ],
        "CloudTrailEvent": json.dumps(_cloudtrail_event(state, record), separators=(",", ":")),
    }


def _attribute(state: ConnectState, record: TrailRecord, key: str) -> tuple[str, ...]:
    """The values of ``record`` a lookup attribute ``key`` matches against."""
    if key == "ResourceType":
        return tuple(kind for kind, _ in record.resources)
    if key == "ResourceName":
        return tuple(name for _, name in record.resources)
    single = {
        "EventId": record.event_id,
        "EventName": record.event_name,
        "ReadOnly": "false",
        "Username": _username(state, record.trail),
        "EventSource": EVENT_SOURCE,
        "AccessKeyId": record.trail.access_key_id or DEFAULT_ACCESS_KEY_ID,
    }
    return (single[key],)


# --- the request -------------------------------------------------------------


def _serialization(message: str) -> ApiError:
    return CLOUDTRAIL.error("SerializationException", message)


def _time(body: Mapping[str, Any], name: str) -> datetime | None:
    value = body.get(name)
    if value is None:
        return None
    # JSON 1.1 timestamps are epoch seconds (botocore sends an int, or a float
    # when the datetime has microseconds); AWS does not accept text here.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _serialization(f"{name} must be a timestamp in epoch seconds, not {value!r}.")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise CLOUDTRAIL.error(
            "InvalidTimeRangeException", f"{name} {value!r} is out of range."
        ) from None


def _lookup_attribute(body: Mapping[str, Any]) -> tuple[str, str] | None:
    attributes = body.get("LookupAttributes")
    if attributes is None:
        return None
    if not isinstance(attributes, list):
        raise _serialization("LookupAttributes must be a list.")
    if not attributes:
        return None
    if len(attributes) > 1:
        raise CLOUDTRAIL.error(
            "InvalidLookupAttributesException",
            "You cannot specify more than one lookup attribute.",
        )
    (attribute,) = attributes
    if not isinstance(attribute, dict):
        raise _serialization("A lookup attribute must be an object.")
    key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
    if key not in LOOKUP_ATTRIBUTE_KEYS:
        raise CLOUDTRAIL.error(
            "InvalidLookupAttributesException",
            f"AttributeKey {key!r} is not one of {', '.join(LOOKUP_ATTRIBUTE_KEYS)}.",
        )
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_ATTRIBUTE_VALUE:
        raise CLOUDTRAIL.error(
            "InvalidLookupAttributesException",
            f"AttributeValue must be 1 to {_MAX_ATTRIBUTE_VALUE} characters.",
        )
    assert isinstance(key, str)
    return key, value


def _lookup_max_results(value: object) -> int:
    if value is None:
        return LOOKUP_MAX_RESULTS
    if isinstance(value, bool) or not isinstance(value, int):
        raise _serialization(f"MaxResults must be an integer, not {value!r}.")
    if not 1 <= value <= LOOKUP_MAX_RESULTS:
        # botocore checks only the minimum; 51 reaches the service.
        raise CLOUDTRAIL.error(
            "InvalidMaxResultsException",
            f"MaxResults {value} is not valid: use a value from 1 to {LOOKUP_MAX_RESULTS}.",
        )
    return value


def lookup_events(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """LookupEvents: the account's claim and release events (see the module docstring)."""
    body = request.body
    attribute = _lookup_attribute(body)
    start, end = _time(body, "StartTime"), _time(body, "EndTime")
    if start is not None and end is not None and start > end:
        raise CLOUDTRAIL.error(
            "InvalidTimeRangeException", "Start time must be before or equal to end time."
        )
    category = body.get("EventCategory")
    if category is not None and category != "insight":
        raise CLOUDTRAIL.error(
            "InvalidEventCategoryException", f"EventCategory {category!r} is not valid."
        )
    max_results = _lookup_max_results(body.get("MaxResults"))
    token = body.get("NextToken")
    if token is not None and not isinstance(token, str):
        raise _serialization("NextToken must be a string.")
    fingerprint: dict[str, object] = {
        "attribute": list(attribute) if attribute else None,
        "start": None if start is None else start.isoformat(),
        "end": None if end is None else end.isoformat(),
        "category": category,
    }
    after: tuple[str, str] | None = None
    if token is not None:
        try:
            after = decode_token(token, request.operation, fingerprint) if token else None
        except ApiError:
            after = None
        if after is None:
            raise CLOUDTRAIL.error(
                "InvalidNextTokenException",
                "The NextToken is not valid, or was issued for a request with other parameters.",
            ) from None
    if category == "insight":
        return {"Events": []}  # an account without CloudTrail Insights has none
    now = state.now()
    matching: list[TrailRecord] = []
    for record in records(state):
        if after is not None and record.sort_key >= after:
            continue  # served on an earlier page (newest first)
        if _hidden_because(state, record, now) is not None:
            continue
        if start is not None and record.event_time < start:
            continue
        if end is not None and record.event_time > end:
            continue
        if attribute is not None and attribute[1] not in _attribute(state, record, attribute[0]):
            continue
        if len(matching) == max_results:
            last = matching[-1].sort_key
            return {
                "Events": [_event(state, item) for item in matching],
                "NextToken": encode_token(request.operation, fingerprint, last),
            }
        matching.append(record)
    return {"Events": [_event(state, item) for item in matching]}


HANDLERS: Final = {"LookupEvents": lookup_events}


# --- logging the calls that changed nothing ------------------------------------

#: REST-JSON request members -> the camelCase names CloudTrail records them under.
_CLAIM_MEMBERS: Final = (
    ("TargetArn", "targetArn"),
    ("InstanceId", "instanceId"),
    ("PhoneNumber", "phoneNumber"),
    ("PhoneNumberDescription", "phoneNumberDescription"),
    ("Tags", "tags"),
    ("ClientToken", "clientToken"),
)


def request_parameters(request: ApiRequest) -> dict[str, Any]:
    """CloudTrail's ``requestParameters`` of a claim or release, from the request as sent."""
    if request.operation == "ReleasePhoneNumber":
        parameters: dict[str, Any] = {"phoneNumberId": request.path.get("PhoneNumberId")}
        tokens = request.query.get("clientToken")
        if tokens:
            parameters["clientToken"] = tokens[0]
        return parameters
    return {name: request.body[member] for member, name in _CLAIM_MEMBERS if member in request.body}


def call_record(
    request: ApiRequest,
    at: datetime,
    *,
    output: Mapping[str, Any] | None = None,
    error: ApiError | None = None,
) -> TrailCall:
    """The ``TrailCall`` of a claim or release that changed nothing."""
    assert request.operation in LOGGED_OPERATIONS
    response = None
    if output:  # ClaimPhoneNumber's answer; ReleasePhoneNumber has none
        response = {key[0].lower() + key[1:]: value for key, value in output.items()}
    return TrailCall(
        event_name=request.operation,
        at=at,
        request_parameters=request_parameters(request),
        response_elements=response if error is None else None,
        error_code=None if error is None else error.code,
        error_message=None if error is None else error.message,
        trail=request.caller,
    )


# --- the admin view ------------------------------------------------------------


def trail_view(state: ConnectState) -> dict[str, Any]:
    """What ``GET /_emulator/cloudtrail`` serves: every record, newest first, with
    ``lookup`` (LookupEvents shows it now) and ``hidden`` (why not)."""
    now = state.now()
    items: list[dict[str, Any]] = []
    for record in records(state):
        hidden = _hidden_because(state, record, now)
        items.append(
            {
                "event_id": record.event_id,
                "event_name": record.event_name,
                "event_time": format_time(record.event_time),
                "phone_number": record.phone_number,
                "phone_number_id": record.phone_number_id,
                "error_code": record.error_code,
                "origin": record.origin,
                "logged": record.trail.logged,
                "lookup": hidden is None,
                "hidden": hidden,
            }
        )
    return {
        "retention_days": RETENTION_DAYS,
        "delivery_delay_seconds": state.cloudtrail.delivery_delay.total_seconds(),
        "events": items,
    }


def trail_summary(state: ConnectState) -> dict[str, int]:
    """Counts for ``GET /_emulator/state``."""
    now = state.now()
    shown = hidden_unlogged = failed = 0
    for record in records(state):
        hidden = _hidden_because(state, record, now)
        shown += hidden is None
        hidden_unlogged += not record.trail.logged
        failed += hidden is None and record.error_code is not None
    return {"lookup_events": shown, "failed_calls": failed, "not_logged": hidden_unlogged}
