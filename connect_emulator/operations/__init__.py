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

The package's modules:

- ``request``: ``ApiRequest``, the ``Handler`` signature and ``Route``.
- ``params``: reading and checking parameters; resolving ids and ARNs.
- ``listing``: filtering, ordering and paging the phone-number listings.
- ``phone_numbers``: the phone-number operations, their writes and tags.
- ``flows``: ListFlowAssociations and BatchGetFlowAssociation.
- ``tdg``: the traffic distribution group operations.

This module holds the one table the app dispatches through: ``ROUTES``,
``HANDLERS`` and ``match_route``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .flows import batch_get_flow_association, list_flow_associations
from .phone_numbers import (
    claim_phone_number,
    describe_phone_number,
    list_phone_numbers,
    list_phone_numbers_v2,
    release_phone_number,
    search_available_phone_numbers,
    tag_resource,
    untag_resource,
    update_phone_number_metadata,
)
from .request import ApiRequest, Handler, Route
from .tdg import (
    create_traffic_distribution_group,
    describe_traffic_distribution_group,
    list_traffic_distribution_groups,
)

__all__ = ["HANDLERS", "ROUTES", "ApiRequest", "Handler", "Route", "match_route"]


def match_route(method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
    segments = raw_path.split("/")
    for route in ROUTES:
        labels = route.match(method, segments)
        if labels is not None:
            return route, labels
    return None


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
