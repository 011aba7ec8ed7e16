"""The Connect inventory adapter: listing, describing and releasing phone numbers.

Costs, per target (DESIGN.md, "Performance targets"): ceil(n / 1000) calls of
ListPhoneNumbersV2; one DescribePhoneNumber per number the plan would release,
never one per managed number (a Terraform-style refresh would describe every
number); for their flows, one BatchGetFlowAssociation per 100 of them and, only
when one has a flow, at most ceil(a / 1000) ListFlowAssociations pages of its
instance (``ConnectInventory.flows``). tests/inventory/test_call_budget.py
counts them.

Clients come from ``reconciler.aws.clients`` (per account and region, with the
target's role or profile); every botocore error is mapped by
``reconciler.aws.errors.map_error``.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import botocore
import botocore.config
import botocore.exceptions

from reconciler.aws.clients import ClientFactory, client_factory, shared_sessions
from reconciler.aws.errors import map_error
from reconciler.aws.reading import ReadProgress, ReadStopped, parallel
from reconciler.core.errors import (
    NotFoundError,
    PermanentAwsError,
)
from reconciler.core.inventory import NumberState
from reconciler.core.inventory import with_flows as fill_flows
from reconciler.core.model import Inventory, LiveNumber, NumberStatus, Target, TargetAccess
from reconciler.core.pacing import Pacer
from reconciler.desired import normalize_number

__all__ = ["ConnectInventory"]

PAGE_SIZE = 1000  # MaxResult1000: the largest page ListPhoneNumbersV2 allows
BATCH_SIZE = 100  # resourceArnListMaxLimit100: BatchGetFlowAssociation's ResourceIds
_VOICE_PHONE_NUMBER = "VOICE_PHONE_NUMBER"
# Threads of one read: targets (and instances) listed side by side, and describes a
# few at once. Each call waits for its operation's token (Pacer), so more threads
# do not mean more requests per second; these few hide the round trips. At most
# _WORKERS + _DESCRIBE_WORKERS at once, under botocore's 10 pooled connections.
_WORKERS = 4
_DESCRIBE_WORKERS = 4


class ConnectInventory:
    """``InventoryReader`` over the real Connect API (or the bundled emulator).

    Calls of different operations run at once, each paced to its own operation's
    bucket (AWS throttles each API separately): the targets' listings side by side
    (the pages of one target follow each other, by NextToken), then the describes
    beside the flow lookups. ``progress`` counts what was read, for a front door.
    """

    def __init__(
        self,
        *,
        pacer: Pacer | None = None,
        clients: ClientFactory | None = None,
        progress: ReadProgress | None = None,
        access: Mapping[str, TargetAccess] | None = None,
    ):
        self._pacer = pacer or Pacer()
        self._pacer.reports_answers()  # _after_attempt reports each answer
        self._make_client = clients or client_factory()
        # The credentials of each account whose targets name a role or profile
        # (DesiredState.access_by_account); other accounts use the default ones.
        self._access = dict(access or {})
        self._sessions = shared_sessions()
        self._clients: dict[tuple[str | None, str], Any] = {}
        self._named: dict[str, str] = {}  # account -> the first target listed in it
        self._lock = threading.Lock()
        self.progress = progress or ReadProgress()

    def _client(self, region: str, account: str | None = None) -> Any:
        """The Connect client of (account, region), with the account's credentials.
        Clients are built one at a time (a role is assumed once per account)."""
        access = self._access.get(account) if account is not None else None
        key = (account if access is not None else None, region)
        with self._lock:  # reads run in threads: one client per key all the same
            client = self._clients.get(key)
            if client is None:
                if access is None:
                    client = self._make_client(region)
                else:
                    assert account is not None  # access is looked up by account
                    target = self._named.get(account, f"of account {account}")
                    session = self._sessions.session(access, target=target, region=region)
                    client = self._make_client(region, session)
                # Pace every HTTP attempt, retries included: AWS counts them all, per
                # account: each account's calls take its own buckets.
                scope = account or ""
                client.meta.events.register(
                    "before-send.connect", functools.partial(self._before_send, scope)
                )
                client.meta.events.register(
                    "needs-retry.connect", functools.partial(self._after_attempt, scope)
                )
                self._clients[key] = client
        return client

    def _before_send(self, scope: str, event_name: str, **_: Any) -> None:
        self._pacer.acquire(event_name.rsplit(".", 1)[-1], scope)

    def _after_attempt(self, scope: str, event_name: str, response: Any = None, **_: Any) -> None:
        # Returns None: botocore's own retry handler decides; we only listen.
        operation = event_name.rsplit(".", 1)[-1]
        self._pacer.opened(operation, scope)
        if response is not None and getattr(response[0], "status_code", None) == 429:
            self._pacer.throttled(operation, scope)

    def _call(
        self, region: str, operation: str, account: str | None = None, **params: Any
    ) -> dict[str, Any]:
        client = self._client(region, account)
        method = getattr(client, botocore.xform_name(operation))
        try:
            result: dict[str, Any] = method(**params)
        except Exception as exc:
            raise map_error(exc, operation, service="connect") from exc
        return result

    def _pages(
        self,
        region: str,
        operation: str,
        items: str,
        stop: threading.Event,
        account: str | None = None,
        **params: Any,
    ) -> Iterator[list[dict[str, Any]]]:
        """Each page's items, one call per page (NextToken); ends early once ``stop``
        is set (another part of the read failed)."""
        token: str | None = None
        while not stop.is_set():
            more = {"NextToken": token} if token else {}
            page = self._call(region, operation, account, **params, **more)
            yield list(page.get(items, []))
            token = page.get("NextToken")
            if not token:
                return
        raise ReadStopped(f"{operation} stopped: another part of the read failed")

    def list_numbers(
        self,
        targets: Sequence[Target],
        *,
        with_flows: bool = True,
        on_page: Callable[[Sequence[LiveNumber]], None] | None = None,
    ) -> Inventory:
        """Every number claimed to ``targets``: ceil(n / 1000) ListPhoneNumbersV2 calls
        per target, targets side by side. ``with_flows`` also lists every flow
        association of their instances (ceil(a / 1000) ListFlowAssociations calls
        each, beside the listing); without it each number's ``flows`` is empty:
        for readers that read flows only where needed (``flows``) or not at all."""
        stop = threading.Event()
        instances = (
            {(t.region, t.resource_id, t.account_id) for t in targets if t.kind == "instance"}
            if with_flows
            else set()
        )
        listings: list[Callable[[], Any]] = [
            functools.partial(self._listing, target, stop, on_page) for target in targets
        ]
        flow_lists: list[Callable[[], Any]] = [
            functools.partial(self._associations, region, instance, stop, account)
            for region, instance, account in sorted(instances)
        ]
        self.progress.count(targets=len(targets))
        for target in targets:
            self._named.setdefault(target.account_id, target.arn)
        results = parallel(listings + flow_lists, workers=_WORKERS, stop=stop)
        listed: list[list[LiveNumber]] = results[: len(listings)]
        numbers = [n for rows in listed for n in rows]
        if not with_flows:
            return Inventory(targets=tuple(t.arn for t in targets), numbers=tuple(numbers))
        flows: dict[str, set[str]] = defaultdict(set)
        for found in results[len(listings) :]:
            _merge(flows, found)
        # Instances met in the listing that are not targets (numbers of a traffic
        # distribution group): their associations too.
        more = sorted(
            {
                (
                    Target(arn=n.target_arn).region,
                    n.instance_id,
                    Target(arn=n.target_arn).account_id,
                )
                for n in numbers
                if n.instance_id
            }
            - instances
        )
        calls = [functools.partial(self._associations, r, i, stop, a) for r, i, a in more]
        for found in parallel(calls, workers=_WORKERS, stop=stop):
            _merge(flows, found)
        inventory = Inventory(targets=tuple(t.arn for t in targets), numbers=tuple(numbers))
        return fill_flows(inventory, flows)

    def _listing(
        self,
        target: Target,
        stop: threading.Event,
        on_page: Callable[[Sequence[LiveNumber]], None] | None = None,
    ) -> list[LiveNumber]:
        """One target's numbers. Each page is read into numbers (normalized), and handed
        to ``on_page``, while the next page waits for its token: that work is off the
        paced path."""
        numbers: list[LiveNumber] = []
        for page in self._pages(
            target.region,
            "ListPhoneNumbersV2",
            "ListPhoneNumbersSummaryList",
            stop,
            target.account_id,
            TargetArn=target.arn,
            MaxResults=PAGE_SIZE,
        ):
            read = [_live(s, target.arn, {}) for s in page]
            numbers.extend(read)
            if on_page is not None:
                on_page(read)
            self.progress.count(pages=1, numbers=len(page))
        self.progress.count(targets_done=1)
        return numbers

    def _association_pages(
        self, region: str, instance_id: str, stop: threading.Event, account: str | None = None
    ) -> Iterator[list[tuple[str, str]]]:
        """ListFlowAssociations of one instance, page by page: (number ARN, flow ARN)."""
        for page in self._pages(
            region,
            "ListFlowAssociations",
            "FlowAssociationSummaryList",
            stop,
            account,
            InstanceId=instance_id,
            ResourceType=_VOICE_PHONE_NUMBER,
            MaxResults=PAGE_SIZE,
        ):
            self.progress.count(flow_calls=1)
            yield [
                (item["ResourceId"], item["FlowId"])
                for item in page
                if item.get("ResourceId") and item.get("FlowId")
            ]

    def _associations(
        self, region: str, instance_id: str, stop: threading.Event, account: str | None = None
    ) -> list[tuple[str, str]]:
        pages = self._association_pages(region, instance_id, stop, account)
        return [pair for page in pages for pair in page]

    def flows(
        self, candidates: Sequence[LiveNumber], kept: frozenset[str]
    ) -> Mapping[str, tuple[str, ...]]:
        """Flows of the candidates and, where flow impact needs them, of other numbers.

        Per instance: BatchGetFlowAssociation for the candidates, 100 a call
        (``BATCH_SIZE``). Only if one of them has a flow, ListFlowAssociations of
        that instance, page by page, until every such flow is seen on a number of
        ``kept`` (it then loses no last number) or the pages end (every number
        that has it is then known): at most ceil(a / 1000) pages, often one.
        """
        groups: dict[tuple[str, str, str], list[LiveNumber]] = defaultdict(list)
        for n in candidates:
            target = Target(arn=n.target_arn)
            instance = n.instance_id or (target.resource_id if target.kind == "instance" else None)
            if instance is not None:  # no instance, no flow to look up
                groups[(target.region, instance, target.account_id)].append(n)
        stop = threading.Event()
        calls = [
            functools.partial(self._instance_flows, region, instance, numbers, kept, stop, account)
            for (region, instance, account), numbers in sorted(groups.items())
        ]
        flows: dict[str, set[str]] = defaultdict(set)
        for found in parallel(calls, workers=_WORKERS, stop=stop):
            _merge(flows, found)
        return {arn: tuple(sorted(f)) for arn, f in flows.items()}

    def _instance_flows(
        self,
        region: str,
        instance_id: str,
        numbers: Sequence[LiveNumber],
        kept: frozenset[str],
        stop: threading.Event,
        account: str | None = None,
    ) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        arns = list(dict.fromkeys(n.phone_number_arn for n in numbers))
        for start in range(0, len(arns), BATCH_SIZE):
            if stop.is_set():
                raise ReadStopped("BatchGetFlowAssociation stopped: another read failed")
            answer = self._call(
                region,
                "BatchGetFlowAssociation",
                account,
                InstanceId=instance_id,
                ResourceIds=arns[start : start + BATCH_SIZE],
                ResourceType=_VOICE_PHONE_NUMBER,
            )
            self.progress.count(flow_calls=1)
            found.extend(
                (item["ResourceId"], item["FlowId"])
                for item in answer.get("FlowAssociationSummaryList", [])
                if item.get("ResourceId") and item.get("FlowId")
            )
        unproven = {flow for _, flow in found}  # flows that may lose their last number
        if not unproven:
            return found  # no candidate has a flow: nothing to list
        for page in self._association_pages(region, instance_id, stop, account):
            found.extend(page)
            unproven -= {flow for arn, flow in page if arn in kept}
            if not unproven:
                break
        return found

    def describe(self, numbers: Sequence[LiveNumber]) -> Mapping[str, NumberState | None]:
        """One DescribePhoneNumber per number, a few at once (paced all the same)."""
        self.progress.count(lookups=len(numbers))

        def state(n: LiveNumber) -> NumberState | None:
            where = Target(arn=n.target_arn)
            current = self.lookup(n.phone_number_id, region=where.region, account=where.account_id)
            self.progress.count(looked_up=1)
            if current is None or current.status is None:
                return None
            return NumberState(
                status=current.status, message=current.status_message, tags=current.tags or ()
            )

        calls = [functools.partial(state, n) for n in numbers]
        found = parallel(calls, workers=_DESCRIBE_WORKERS)
        return {n.phone_number_id: s for n, s in zip(numbers, found, strict=True)}

    def lookup(
        self, phone_number_id: str, *, region: str, account: str | None = None
    ) -> LiveNumber | None:
        """The current state of one number (DescribePhoneNumber); None if it is gone.
        ``account``: the number's account (its credentials); None, the default ones."""
        try:
            answer = self._call(
                region, "DescribePhoneNumber", account, PhoneNumberId=phone_number_id
            )
        except NotFoundError:
            return None
        summary = answer.get("ClaimedPhoneNumberSummary", {})
        status = summary.get("PhoneNumberStatus", {})
        try:
            value = NumberStatus(status.get("Status", ""))
        except ValueError:
            value = NumberStatus.FAILED
        number = _live(summary, "", {})
        return replace(number, status=value, status_message=status.get("Message"))

    def traffic_distribution_groups(self, instances: Sequence[Target]) -> list[tuple[str, str]]:
        """(TDG ARN, name) of each traffic distribution group of ``instances``, read
        with ListTrafficDistributionGroups (instanceId, at most 10 a page) in each
        instance's region; for ``init``, which offers them as targets."""
        found: list[tuple[str, str]] = []
        stop = threading.Event()
        for target in instances:
            if target.kind != "instance":
                continue
            for page in self._pages(
                target.region,
                "ListTrafficDistributionGroups",
                "TrafficDistributionGroupSummaryList",
                stop,
                target.account_id,
                InstanceId=target.resource_id,
                MaxResults=10,
            ):
                found.extend((g["Arn"], g.get("Name", "")) for g in page if g.get("Arn"))
        return found

    def release(
        self,
        phone_number_id: str,
        *,
        region: str,
        client_token: str,
        account: str | None = None,
    ) -> None:
        """ReleasePhoneNumber with an idempotency token (irreversible)."""
        self._call(
            region,
            "ReleasePhoneNumber",
            account,
            PhoneNumberId=phone_number_id,
            ClientToken=client_token,
        )

    def update_metadata(
        self,
        phone_number_id: str,
        *,
        region: str,
        description: str,
        client_token: str,
        account: str | None = None,
    ) -> None:
        """UpdatePhoneNumberMetadata: the description in place, at no quota cost."""
        self._call(
            region,
            "UpdatePhoneNumberMetadata",
            account,
            PhoneNumberId=phone_number_id,
            PhoneNumberDescription=description,
            ClientToken=client_token,
        )

    def tag(
        self,
        phone_number_arn: str,
        tags: Mapping[str, str],
        *,
        region: str,
        account: str | None = None,
    ) -> None:
        """TagResource: add or overwrite these tags only (no client token in the API; the
        same call again sets the same values). In place, at no quota cost."""
        self._call(region, "TagResource", account, resourceArn=phone_number_arn, tags=dict(tags))

    def untag(
        self,
        phone_number_arn: str,
        keys: Sequence[str],
        *,
        region: str,
        account: str | None = None,
    ) -> None:
        """UntagResource: remove these tag keys only (an absent key is no error)."""
        self._call(
            region, "UntagResource", account, resourceArn=phone_number_arn, tagKeys=list(keys)
        )


def _merge(flows: dict[str, set[str]], pairs: Iterable[tuple[str, str]]) -> None:
    for arn, flow in pairs:
        flows[arn].add(flow)


def _live(
    summary: dict[str, Any], target_arn: str, flows: Mapping[str, Iterable[str]]
) -> LiveNumber:
    raw = summary.get("PhoneNumber", "")
    try:
        number = normalize_number(raw)
    except ValueError as exc:
        # Never guess: a number we cannot compare with numbers.yaml could be
        # released by mistake, so the whole read fails instead.
        raise PermanentAwsError(
            f"ListPhoneNumbersV2 returned {raw!r} ({summary.get('PhoneNumberId')}), which is not "
            f"a valid phone number ({exc}); refusing to plan against it",
            operation="ListPhoneNumbersV2",
        ) from exc
    arn = summary.get("PhoneNumberArn", "")
    return LiveNumber(
        phone_number=number,
        phone_number_id=summary["PhoneNumberId"],
        phone_number_arn=arn,
        target_arn=summary.get("TargetArn") or target_arn,
        instance_id=summary.get("InstanceId"),
        country_code=summary.get("PhoneNumberCountryCode"),
        number_type=summary.get("PhoneNumberType"),
        description=summary.get("PhoneNumberDescription"),
        flows=tuple(sorted(flows.get(arn, ()))),
        source_phone_number_arn=summary.get("SourcePhoneNumberArn") or None,
        # DescribePhoneNumber answers Tags; ListPhoneNumbersV2 does not (None: not read).
        tags=tuple(sorted(summary["Tags"].items())) if "Tags" in summary else None,
    )
