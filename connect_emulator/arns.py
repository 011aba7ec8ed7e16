"""Amazon Resource Names of the Connect resources the emulator serves.

Layouts, from the Connect service authorization reference::

    instance      arn:{partition}:connect:{region}:{account}:instance/{instance_id}
    phone number  arn:{partition}:connect:{region}:{account}:phone-number/{phone_number_id}
    contact flow  arn:{partition}:connect:{region}:{account}:instance/{instance_id}/contact-flow/{f}

Parsing returns ``None`` for anything malformed; the caller decides which error
that is (a ``SeedError`` for a seed, an ``InvalidParameterException`` for a
request), because only the caller knows whose fault it is.
"""

from __future__ import annotations

from dataclasses import dataclass

_SERVICE = "connect"


@dataclass(frozen=True, kw_only=True)
class Arn:
    """The five fields of an ARN; ``resource`` keeps its slashes."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def resource_parts(self) -> tuple[str, ...]:
        return tuple(self.resource.split("/"))


def partition_of(region: str) -> str:
    """The partition a region belongs to, as the ARNs AWS issues there spell it."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_arn(text: str) -> Arn | None:
    """Split ``text`` into its ARN fields, or ``None`` if it is not an ARN."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    _, partition, service, region, account, resource = parts
    if not (partition and service and resource):
        return None
    return Arn(
        partition=partition, service=service, region=region, account=account, resource=resource
    )


def instance_arn(region: str, account: str, instance_id: str) -> str:
    return f"arn:{partition_of(region)}:{_SERVICE}:{region}:{account}:instance/{instance_id}"


def traffic_distribution_group_arn(region: str, account: str, tdg_id: str) -> str:
    return (
        f"arn:{partition_of(region)}:{_SERVICE}:{region}:{account}:"
        f"traffic-distribution-group/{tdg_id}"
    )


def phone_number_arn(region: str, account: str, phone_number_id: str) -> str:
    return (
        f"arn:{partition_of(region)}:{_SERVICE}:{region}:{account}:phone-number/{phone_number_id}"
    )


def contact_flow_arn(region: str, account: str, instance_id: str, flow_id: str) -> str:
    return f"{instance_arn(region, account, instance_id)}/contact-flow/{flow_id}"


def _connect_resource(text: str, region: str, account: str) -> tuple[str, ...] | None:
    """The resource path of a Connect ARN in this region and account, else ``None``."""
    arn = parse_arn(text)
    if arn is None:
        return None
    if (arn.partition, arn.service, arn.region, arn.account) != (
        partition_of(region),
        _SERVICE,
        region,
        account,
    ):
        return None
    return arn.resource_parts()


def instance_id_from_arn(text: str, region: str, account: str) -> str | None:
    """The instance id of an instance ARN of this account and region, else ``None``."""
    parts = _connect_resource(text, region, account)
    if parts is None or len(parts) != 2 or parts[0] != "instance" or not parts[1]:
        return None
    return parts[1]


def phone_number_id_from_arn(text: str, region: str, account: str) -> str | None:
    """The id of a phone-number ARN of this account and region, else ``None``."""
    parts = _connect_resource(text, region, account)
    if parts is None or len(parts) != 2 or parts[0] != "phone-number" or not parts[1]:
        return None
    return parts[1]


def contact_flow_from_arn(text: str, region: str, account: str) -> tuple[str, str] | None:
    """``(instance_id, flow_id)`` of a contact-flow ARN of this account and region."""
    parts = _connect_resource(text, region, account)
    if (
        parts is None
        or len(parts) != 4
        or parts[0] != "instance"
        or parts[2] != "contact-flow"
        or not parts[1]
        or not parts[3]
    ):
        return None
    return parts[1], parts[3]
