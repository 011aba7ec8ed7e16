"""The account's resources as frozen values: an instance, a traffic distribution
group, a claimed phone number.

``state.ConnectState`` holds them (and re-exports them); the operations read
them and put changed copies back (``dataclasses.replace``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Instance", "PhoneNumber", "TrafficDistributionGroup"]


@dataclass(frozen=True, kw_only=True)
class Instance:
    id: str
    arn: str
    alias: str | None = None


@dataclass(frozen=True, kw_only=True)
class TrafficDistributionGroup:
    """A traffic distribution group: a claim target of its (replicated) instance."""

    id: str
    arn: str
    name: str
    instance_id: str
    instance_arn: str
    description: str | None = None
    default: bool = False
    status: str = "ACTIVE"
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, kw_only=True)
class PhoneNumber:
    """A claimed phone number, as ``DescribePhoneNumber`` sees it."""

    id: str
    arn: str
    phone_number: str
    instance_id: str
    target_arn: str
    type: str
    country: str
    status: str
    status_message: str | None = None
    description: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flow_arn: str | None = None
    #: Describes left before an IN_PROGRESS claim completes (``None``: never).
    in_progress_describes: int | None = None
    #: ``SourcePhoneNumberArn``: the number was imported (ImportPhoneNumber).
    source_phone_number_arn: str | None = None

    @property
    def sort_key(self) -> tuple[str, str]:
        """List order, and the position a page token resumes after.

        Ordering by number (then id) rather than by position means a number
        released between two pages neither shifts nor repeats later numbers.
        """
        return (self.phone_number, self.id)
