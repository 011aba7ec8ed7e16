"""The flow associations of phone numbers: ListFlowAssociations, BatchGetFlowAssociation.

Phone numbers are the only resources whose flow the emulator models.
"""

from __future__ import annotations

from typing import Any

from ..arns import phone_number_id_from_arn
from ..constants import FLOW_ASSOCIATION_RESOURCE_TYPES, MAX_BATCH_RESOURCE_IDS
from ..errors import invalid_parameter
from ..resources import PhoneNumber
from ..state import ConnectState
from .listing import _matcher, _paged
from .params import _body_string, _body_string_list, _instance, _max_results, _query_string
from .request import ApiRequest

_VOICE_PHONE_NUMBER = "VOICE_PHONE_NUMBER"


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


def _flow_association(number: PhoneNumber) -> dict[str, Any]:
    """Shape ``FlowAssociationSummary``: ResourceId is the number's ARN."""
    return {
        "ResourceId": number.arn,
        "FlowId": number.flow_arn,
        "ResourceType": _VOICE_PHONE_NUMBER,
    }
