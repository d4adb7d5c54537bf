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
