"""What the dispatcher may do with a job, decided from the job aggregate's last event.

The dispatcher picks due jobs from its projection, which can lag behind (or, during a rebuild,
be replaying) the job's events. The job's own event stream is the truth: an attempt is dispatched
only when the job's last event says that attempt is the next one, so a stale projection never
dispatches an attempt twice, nor one for a finished job.
"""

from __future__ import annotations

from enum import Enum

from callcast_contracts.envelope import Event
from callcast_contracts.events import AttemptDispatched, ExecutionCompleted, RetryScheduled


class DispatchStep(Enum):
    #: Append ``AttemptDispatched`` for the attempt, then publish its dial command.
    DISPATCH = "dispatch"
    #: ``AttemptDispatched`` is stored but the projection missed it (a crash before the commit):
    #: publish the dial command again (deduplicated, and the dialer's gate dials once) and
    #: mark the job dispatched.
    REPUBLISH = "republish"
    #: The projection is behind the job (already dispatched further, or completed): leave it.
    SKIP = "skip"


def dispatch_step(last_event: Event | None, attempt_number: int) -> DispatchStep:
    """The step for dispatching attempt ``attempt_number`` of a job whose last event is given."""
    if last_event is None:
        return DispatchStep.DISPATCH if attempt_number == 1 else DispatchStep.SKIP
    if isinstance(last_event, RetryScheduled) and last_event.attempt_number == attempt_number:
        return DispatchStep.DISPATCH
    if isinstance(last_event, AttemptDispatched) and last_event.attempt_number == attempt_number:
        return DispatchStep.REPUBLISH
    return DispatchStep.SKIP


def execution_already_completed(last_event: Event | None) -> bool:
    return isinstance(last_event, ExecutionCompleted)


#: A contact whose snapshot carries one of these (top level or custom attribute) set to a true
#: value is opted out: a launch leaves it out of the audience snapshot. The contact contract has
#: no opt-out field yet; these are the spellings an organization's import is likely to use.
OPT_OUT_FIELDS = ("optedOut", "opted_out", "optOut", "opt_out", "doNotCall", "do_not_call")
OPT_OUT_TRUE_VALUES = ("true", "yes", "1")


class Pace:
    """Calls-per-second pacing (a token bucket): at most ``rate`` starts per second on average,
    bursts of at most ``burst`` (one round's worth), never more."""

    def __init__(self, rate: float, *, burst_seconds: float = 0.25, now: float) -> None:
        self.rate = rate
        self._burst_seconds = burst_seconds
        self.burst = max(1.0, rate * burst_seconds)
        self._tokens = self.burst
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now

    def available(self, now: float) -> int:
        self._refill(now)
        return int(self._tokens)

    def take(self, count: int, now: float) -> None:
        self._refill(now)
        self._tokens -= count

    def seconds_until_next(self, now: float) -> float:
        """How long until one more start is allowed (0 when one is allowed now)."""
        self._refill(now)
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def set_rate(self, rate: float) -> None:
        if rate != self.rate:
            self.rate = rate
            self.burst = max(1.0, rate * self._burst_seconds)
            self._tokens = min(self._tokens, self.burst)
