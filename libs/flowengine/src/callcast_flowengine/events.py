"""Results the driver feeds back to the engine (``FlowRun.resume``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialResult:
    #: answered | busy | no_answer | rejected | failed
    status: str
    #: human | machine | unknown (AMD could not tell, or was off)
    answered_by: str = "human"
    reason: str | None = None


@dataclass(frozen=True)
class PlayCompleted:
    pass


@dataclass(frozen=True)
class DigitsCollected:
    """The keys pressed, without the finish key. ``timeout``: nothing was entered in time;
    ``invalid``: the driver refused the entry (the engine also reads a key press no digit branch
    takes as invalid, when the node has branches and no ``onSuccess``)."""

    digits: str | None
    #: success | timeout | invalid
    result: str = "success"


@dataclass(frozen=True)
class RecordCompleted:
    """``complete``: something was recorded (the recording stops at silence or at the maximum
    duration); ``timeout``: the callee said nothing before the silence timeout (no recording)."""

    recording_id: str | None
    #: complete | timeout
    result: str = "complete"


@dataclass(frozen=True)
class CalleeHungUp:
    pass


@dataclass(frozen=True)
class ActionFailed:
    reason: str


CallEvent = DialResult | PlayCompleted | DigitsCollected | RecordCompleted | CalleeHungUp | ActionFailed
