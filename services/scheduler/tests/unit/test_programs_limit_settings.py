"""Calling limits: the organization's defaults from the environment, and the lower limit wins."""

from __future__ import annotations

import pytest

from callcast_scheduler.domain.calling_limits import CallingLimits, LimitSettings, effective_limits

pytestmark = pytest.mark.unit


def test_the_defaults_hold_when_the_environment_says_nothing() -> None:
    assert LimitSettings.from_env({}).org_defaults == CallingLimits(100, 10.0)
    assert LimitSettings.from_env({"CALLCAST_SCHEDULER_ORG_MAX_CPS": ""}).org_defaults == CallingLimits(100, 10.0)


def test_the_environment_sets_the_defaults() -> None:
    env = {"CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY": "250", "CALLCAST_SCHEDULER_ORG_MAX_CPS": "0.5"}
    assert LimitSettings.from_env(env).org_defaults == CallingLimits(250, 0.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY", "0"),
        ("CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY", "2.5"),
        ("CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY", "lots"),
        ("CALLCAST_SCHEDULER_ORG_MAX_CPS", "0"),
        ("CALLCAST_SCHEDULER_ORG_MAX_CPS", "-1"),
        ("CALLCAST_SCHEDULER_ORG_MAX_CPS", "100000"),
    ],
)
def test_a_bad_default_stops_the_service_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        LimitSettings.from_env({name: value})


def test_the_lower_of_the_program_and_organization_limit_wins() -> None:
    org = CallingLimits(100, 10.0)
    assert effective_limits(org, concurrency=10, calls_per_second=None) == CallingLimits(10, 10.0)
    assert effective_limits(org, concurrency=500, calls_per_second=2.5) == CallingLimits(100, 2.5)
    assert effective_limits(org, concurrency=None, calls_per_second=50.0) == CallingLimits(100, 10.0)
