"""Service Quotas' GetServiceQuota and ListServiceQuotas for Amazon Connect.

The applied value of quota ``L-8F812903`` ("Phone numbers per instance") is
the quota the emulator's rolling claim/release limit is a percentage of
(``quota.phone_numbers``, or the seed's ``service_quotas``), so a client that
reads it gets the number the emulator enforces. Shape ``ServiceQuota``::

    {"ServiceCode": "connect", "ServiceName": "Amazon Connect",
     "QuotaArn": "arn:aws:servicequotas:<region>:<account>:connect/L-8F812903",
     "QuotaCode": "L-8F812903", "QuotaName": "Phone numbers per instance",
     "Value": 10.0, "Unit": "None", "Adjustable": true, "GlobalQuota": false}

A service other than ``connect``, or a quota code the emulator does not serve,
is ``NoSuchResourceException``; a denied ``servicequotas:GetServiceQuota``
(``iam``) is ``AccessDeniedException``, which the product must survive by
falling back to the value its user gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from .arns import partition_of
from .constants import (
    PHONE_NUMBERS_QUOTA_CODE,
    SERVICE_QUOTA_NAMES,
    SERVICE_QUOTAS_SERVICE_CODE,
    SERVICE_QUOTAS_SERVICE_NAME,
)
from .errors import ApiError
from .operations.request import ApiRequest
from .pagination import decode_token, encode_token, page
from .services import SERVICE_QUOTAS
from .state import ConnectState

__all__ = ["HANDLERS", "get_service_quota", "list_service_quotas", "quota_values"]

#: ``MaxResults`` of ListServiceQuotas: 1..100.
_LIST_MAX_RESULTS = 100
#: ``AppliedLevelEnum``: every quota served is applied at the account level.
_APPLIED_LEVELS = ("ACCOUNT", "RESOURCE", "ALL")


def quota_values(state: ConnectState) -> dict[str, float]:
    """The applied value of each quota served, by code."""
    return {PHONE_NUMBERS_QUOTA_CODE: float(state.quota_policy.phone_numbers)}


def _quota(state: ConnectState, code: str, value: float) -> dict[str, Any]:
    """Shape ``ServiceQuota``."""
    arn = (
        f"arn:{partition_of(state.region)}:servicequotas:{state.region}:{state.account_id}:"
        f"{SERVICE_QUOTAS_SERVICE_CODE}/{code}"
    )
    return {
        "ServiceCode": SERVICE_QUOTAS_SERVICE_CODE,
        "ServiceName": SERVICE_QUOTAS_SERVICE_NAME,
        "QuotaArn": arn,
        "QuotaCode": code,
        "QuotaName": SERVICE_QUOTA_NAMES[code],
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def _string(body: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise SERVICE_QUOTAS.error("IllegalArgumentException", f"{name} is required.")
        return None
    if not isinstance(value, str):
        raise SERVICE_QUOTAS.error("SerializationException", f"{name} must be a string.")
    return value


def _service_code(body: Mapping[str, Any]) -> str:
    code = _string(body, "ServiceCode", required=True)
    assert code is not None
    if code != SERVICE_QUOTAS_SERVICE_CODE:
        raise SERVICE_QUOTAS.error(
            "NoSuchResourceException",
            f"The request failed because the specified service does not exist: {code!r} (the "
            f"emulator serves {SERVICE_QUOTAS_SERVICE_CODE!r}).",
        )
    return code


def get_service_quota(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """GetServiceQuota: the applied value of one quota."""
    _service_code(request.body)
    code = _string(request.body, "QuotaCode", required=True)
    assert code is not None
    values = quota_values(state)
    if code not in values:
        raise SERVICE_QUOTAS.error(
            "NoSuchResourceException",
            f"The request failed because the specified quota does not exist: {code!r} for "
            f"service {SERVICE_QUOTAS_SERVICE_CODE!r}.",
        )
    return {"Quota": _quota(state, code, values[code])}


def list_service_quotas(state: ConnectState, request: ApiRequest) -> dict[str, Any]:
    """ListServiceQuotas: the applied quotas of ``connect``, by quota code."""
    body = request.body
    _service_code(body)
    wanted = _string(body, "QuotaCode")
    level = _string(body, "QuotaAppliedAtLevel")
    if level is not None and level not in _APPLIED_LEVELS:
        raise SERVICE_QUOTAS.error(
            "IllegalArgumentException",
            f"QuotaAppliedAtLevel {level!r} is not one of {', '.join(_APPLIED_LEVELS)}.",
        )
    max_results = body.get("MaxResults", _LIST_MAX_RESULTS)
    if isinstance(max_results, bool) or not isinstance(max_results, int):
        raise SERVICE_QUOTAS.error("SerializationException", "MaxResults must be an integer.")
    if not 1 <= max_results <= _LIST_MAX_RESULTS:
        raise SERVICE_QUOTAS.error(
            "IllegalArgumentException",
            f"MaxResults must be between 1 and {_LIST_MAX_RESULTS}, not {max_results}.",
        )
    fingerprint: dict[str, object] = {"quota": wanted, "level": level}
    token = _string(body, "NextToken")
    after = None
    if token is not None:
        try:
            # Shape ``NextToken`` is standard base64: ``^[a-zA-Z0-9/+]*={0,2}$``.
            urlsafe = token.replace("+", "-").replace("/", "_").rstrip("=")
            after = decode_token(urlsafe, request.operation, fingerprint)
        except ApiError:
            raise SERVICE_QUOTAS.error(
                "InvalidPaginationTokenException",
                "Invalid input was provided: the NextToken is not valid for this request.",
            ) from None
    values = quota_values(state)
    codes = sorted(
        code
        for code in values
        if (wanted is None or code == wanted) and level != "RESOURCE"  # all account-level
    )
    chunk, next_after = page(codes, lambda code: (code, ""), after=after, max_results=max_results)
    result: dict[str, Any] = {"Quotas": [_quota(state, code, values[code]) for code in chunk]}
    if next_after is not None:
        urlsafe = encode_token(request.operation, fingerprint, next_after)
        standard = urlsafe.replace("-", "+").replace("_", "/")
        result["NextToken"] = standard + "=" * (-len(standard) % 4)
    return result


HANDLERS: Final = {
    "GetServiceQuota": get_service_quota,
    "ListServiceQuotas": list_service_quotas,
}
