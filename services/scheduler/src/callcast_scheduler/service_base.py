"""What every part of the scheduler shares: the runtime, the dispatcher's wake-up, subjects and names."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from callcast_contracts.events import ExecutionLaunched
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.logging import get_logger
from callcast_runtime.ordered_projection import OrderedProjection
from callcast_runtime.service import Runtime
from callcast_scheduler.domain.dispatching import Pace
from callcast_scheduler.domain.windows import PauseSchedule

log = get_logger(__name__)

ENROLL_CHUNK = 500
#: Jobs dispatched per execution per round: their appends and dial commands go out together.
DISPATCH_BATCH = 1000
#: Round interval when nothing is due sooner (a wake-up starts a round at once).
IDLE_ROUND_S = 0.25
#: How long an organization's calling limits are reused before being read again.
ORG_LIMITS_TTL_S = 1.0
DISPATCH_RETRY_AFTER = timedelta(seconds=2)
DISPATCH_RETRY_AFTER_MAX = timedelta(minutes=1)
CALLS_DURABLE = "scheduler-calls"


def _now() -> datetime:
    return datetime.now(UTC)


def execution_subject(org_id: str, execution_id: str) -> str:
    return subject(Context.PROGRAMS, org_id, Aggregate.EXECUTION, execution_id)


def job_subject(org_id: str, job_id: str) -> str:
    return subject(Context.PROGRAMS, org_id, Aggregate.JOB, job_id)


class SchedulerBase:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        #: The ordered views (contacts, flows, programs) by name; set when subscribers register.
        self.projections: dict[str, OrderedProjection] = {}
        self._wake = asyncio.Event()
        self._flow_cache: dict[tuple[str, str, int], FlowSnapshot] = {}
        #: Executions whose last dispatch failed: when to try again, and how many failures so far.
        self._retry_after: dict[str, tuple[datetime, int]] = {}
        # The dispatcher's memory (all of it rebuilt from events and tables after a restart).
        self._launched_cache: dict[str, ExecutionLaunched] = {}
        self._schedules: dict[tuple[str, str], PauseSchedule | None] = {}
        self._paces: dict[tuple[str, str], Pace] = {}
        self._org_limits_cache: dict[str, tuple[float, tuple[int, float]]] = {}
        self._caller_usage_cache: dict[str, dict[str, datetime]] = {}
        self._caller_usage_loaded: set[tuple[str, str]] = set()
        self._more_due = False
        #: Live executions: when this replica last evaluated their triggers (monotonic clock).
        self._live_evaluated: dict[str, float] = {}
        #: Counts since start (rounds, dispatched, conflicts, republished): logs and benchmarks.
        self.dispatch_stats: dict[str, int] = {"rounds": 0, "dispatched": 0, "conflicts": 0, "republished": 0}
        self._next_round_in = IDLE_ROUND_S

    # -- copies of other contexts are caught up -------------------------------------------------
    async def await_copies(self, timeout_s: float = 5.0) -> None:
        """Wait (bounded) until the contact and flow copies have applied every published event,
        so a launch right after an add-contacts or a flow save sees them."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        for name in ("contacts", "flows"):
            projection = self.projections.get(name)
            while projection is not None:
                try:
                    if await projection.caught_up(self.rt.js):
                        break
                except Exception:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    log.warning("copy still catching up", projection=name)
                    break
                await asyncio.sleep(0.05)

    async def projections_caught_up(self) -> bool:
        """Every view has applied what its stream held when asked (tests, readiness of a replay)."""
        for projection in self.projections.values():
            if not await projection.caught_up(self.rt.js):
                return False
        return True

    def wake(self) -> None:
        self._wake.set()
