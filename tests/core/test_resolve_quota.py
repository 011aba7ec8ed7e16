"""`quota.phone_numbers: auto`: the applied quota, or the fallback with a warning."""

from __future__ import annotations

from dataclasses import replace

from reconciler.app.service import resolve_quota
from reconciler.core.errors import AccessDeniedError

from .builders import desired


def auto(fallback: int = 8, reserve: int = 0):  # type: ignore[no-untyped-def]
    state = desired("+12065550100", phone_numbers=fallback, reserve=reserve)
    return replace(state, quota=replace(state.quota, auto=True))


def test_a_fixed_quota_is_left_alone() -> None:
    state = desired("+12065550100")
    assert resolve_quota(state, lambda region, account: 99) == (state, None)


def test_auto_takes_the_applied_value_of_the_targets_region() -> None:
    regions: list[str] = []
    state, warning = resolve_quota(auto(), lambda region, account: regions.append(region) or 25)
    assert warning is None and regions == ["us-east-1"]
    assert state.quota.phone_numbers == 25 and state.quota.limit == 50 and not state.quota.auto


def test_auto_falls_back_with_a_warning_when_the_read_fails() -> None:
    def denied(region: str, account: str) -> int:
        raise AccessDeniedError("GetServiceQuota failed: AccessDeniedException: no")

    state, warning = resolve_quota(auto(fallback=8), denied)
    assert state.quota.phone_numbers == 8
    assert warning is not None and "using quota.fallback = 8" in warning
    assert "AccessDeniedException" in warning


def test_a_reserve_above_the_applied_limit_blocks_every_release() -> None:
    state, warning = resolve_quota(auto(fallback=10, reserve=15), lambda region, account: 5)
    assert state.quota.limit == 10 and state.quota.reserve == 10
    assert warning is not None and "nothing can be released" in warning
