"""Whether an execution may start a call now, and until when that answer holds.

The dispatcher asks before each round and sleeps until ``until`` when it may not call: the
answer cannot change earlier (a window ends, the next window starts, ``startAt`` or ``stopAt``
comes). ``stopAt`` wins over everything: at and after it no call starts, ever.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from callcast_scheduler.domain.windows import PauseSchedule


class GateState(StrEnum):
    NOT_STARTED = "not_started"
    OPEN = "open"
    PAUSED_WINDOW = "paused_window"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Gate:
    state: GateState
    #: When the state may change next; None when it never will (STOPPED, or OPEN for good).
    until: datetime | None


def _earliest(*instants: datetime | None) -> datetime | None:
    present = [t for t in instants if t is not None]
    return min(present) if present else None


def calling_gate(
    now: datetime, *, start_at: datetime | None, stop_at: datetime | None, schedule: PauseSchedule | None
) -> Gate:
    """``now`` and the bounds are timezone-aware instants."""
    if stop_at is not None and now >= stop_at:
        return Gate(GateState.STOPPED, None)
    if start_at is not None and now < start_at:
        return Gate(GateState.NOT_STARTED, start_at)
    if schedule is not None and schedule.is_paused(now):
        # The window may outlast stopAt: the gate changes (to STOPPED) at whichever comes first.
        return Gate(GateState.PAUSED_WINDOW, _earliest(schedule.next_open(now), stop_at))
    next_pause = schedule.next_pause(now) if schedule is not None else None
    return Gate(GateState.OPEN, _earliest(next_pause, stop_at))
