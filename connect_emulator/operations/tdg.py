"""Traffic distribution groups: Create-, Describe- and ListTrafficDistributionGroup(s)."""

from __future__ import annotations

import uuid
from types import MappingProxyType
from typing import Any

from ..arns import traffic_distribution_group_arn
from ..constants import SEARCH_MAX_RESULTS_MAX
from ..errors import ApiError, invalid_parameter
from ..pagination import encode_token, page
from ..resources import TrafficDistributionGroup
from ..state import ConnectState
from .params import _body_string, _instance, _max_results, _next_token, _query_string, _tags, _tdg
from .request import ApiRequest

# Ids of created traffic distribution groups: uuid5, so runs (and output) repeat.
_TDG_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "tdg.emulator.connect-numbers.invalid")


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
