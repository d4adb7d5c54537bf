"""Calling limits: how many calls may be up at once and how many may start per second.

A program may carry its own limits (``concurrency``, ``callsPerSecond``) and its organization has
limits too (``/api/calling-limits``); the lower one wins. Organizations that never set theirs have
the service's defaults (environment, read by ``LimitSettings.from_env``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: The largest values the API accepts, per program and per organization. Generous on purpose:
#: the benchmarks lift the limits to measure dispatch (≥ 5,000 dial commands/s).
MAX_CONCURRENCY = 100_000
MAX_CALLS_PER_SECOND = 10_000.0

DEFAULT_ORG_CONCURRENCY = 100
DEFAULT_ORG_CALLS_PER_SECOND = 10.0


@dataclass(frozen=True, slots=True)
class CallingLimits:
    max_concurrent_calls: int
    max_calls_per_second: float


@dataclass(frozen=True, slots=True)
class LimitSettings:
    """``CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY`` (default 100) and
    ``CALLCAST_SCHEDULER_ORG_MAX_CPS`` (default 10): the limits of an organization that set none."""

    org_defaults: CallingLimits = CallingLimits(DEFAULT_ORG_CONCURRENCY, DEFAULT_ORG_CALLS_PER_SECOND)

    def __post_init__(self) -> None:
        d = self.org_defaults
        if not 1 <= d.max_concurrent_calls <= MAX_CONCURRENCY:
            raise ValueError(f"CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY must be from 1 to {MAX_CONCURRENCY}")
        if not 0 < d.max_calls_per_second <= MAX_CALLS_PER_SECOND:
            raise ValueError(f"CALLCAST_SCHEDULER_ORG_MAX_CPS must be above 0 and at most {MAX_CALLS_PER_SECOND:g}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LimitSettings:
        def number(name: str, default: float) -> float:
            raw = environ.get(f"CALLCAST_SCHEDULER_{name}")
            if raw in (None, ""):
                return default
            try:
                return float(raw)
            except ValueError:
                raise ValueError(f"CALLCAST_SCHEDULER_{name} must be a number, got {raw!r}") from None

        concurrency = number("ORG_MAX_CONCURRENCY", DEFAULT_ORG_CONCURRENCY)
        if concurrency != int(concurrency):
            raise ValueError("CALLCAST_SCHEDULER_ORG_MAX_CONCURRENCY must be a whole number")
        return cls(CallingLimits(int(concurrency), number("ORG_MAX_CPS", DEFAULT_ORG_CALLS_PER_SECOND)))


def effective_limits(org: CallingLimits, *, concurrency: int | None, calls_per_second: float | None) -> CallingLimits:
    """The lower of the program's and the organization's limit, each (None: no program limit)."""
    return CallingLimits(
        min(org.max_concurrent_calls, concurrency) if concurrency is not None else org.max_concurrent_calls,
        min(org.max_calls_per_second, calls_per_second) if calls_per_second is not None else org.max_calls_per_second,
    )
