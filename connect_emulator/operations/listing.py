"""Listing phone numbers: the filter a listing applies, its order, and its pages.

Shared by the phone-number listings (ListPhoneNumbersV2, ListPhoneNumbers) and
ListFlowAssociations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..pagination import encode_token, page
from ..resources import PhoneNumber
from .params import _next_token


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
