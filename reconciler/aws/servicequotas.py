"""The applied phone-number quota, from Service Quotas (``quota.phone_numbers: auto``).

Service ``connect``, quota ``L-8F812903`` ("Phone numbers per instance"). One of
the AWS adapters allowed to import boto3; errors are mapped by
``reconciler.aws.errors.map_error``. Reading can fail for ordinary reasons (no
``servicequotas:GetServiceQuota`` permission, a partition without the API):
the caller then uses the file's ``fallback`` and says so.
"""

from __future__ import annotations

from typing import Any

from reconciler.aws.clients import account_client
from reconciler.aws.errors import map_error
from reconciler.core.errors import AwsError
from reconciler.core.model import TargetAccess

__all__ = ["PHONE_NUMBERS_QUOTA", "read_phone_number_quota"]

PHONE_NUMBERS_QUOTA = ("connect", "L-8F812903")


def read_phone_number_quota(
    region: str, *, client: Any = None, access: TargetAccess | None = None, target: str = ""
) -> int:
    """The applied value of the phone-number quota in ``region``, read with the
    credentials of the account (``access``: a target's role or profile; Service Quotas
    answers for the caller's account). Raises AwsError."""
    service, code = PHONE_NUMBERS_QUOTA
    try:
        if client is None:
            client = account_client("service-quotas", region, access, target=target)
        answer = client.get_service_quota(ServiceCode=service, QuotaCode=code)
        value = answer["Quota"]["Value"]
    except AwsError:
        raise
    except Exception as exc:
        raise map_error(exc, "GetServiceQuota", service="service-quotas") from exc
    if not isinstance(value, (int, float)) or value < 1:
        raise map_error(ValueError(f"unexpected quota value {value!r}"), "GetServiceQuota")
    return int(value)
