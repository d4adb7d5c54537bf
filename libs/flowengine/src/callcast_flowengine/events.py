"""Results the driver feeds back to the engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialResult:
    #: answered | busy | no_answer | rejected | failed
    status: str
    answered_by: str = "human"  # human | machine | unknown
    reason: str | None = None


@dataclass(frozen=True)
class PlayCompleted:
    pass


@dataclass(frozen=True)
class DigitsCollected:
    digits: str | None
    #: success | timeout | invalid
    result: str = "success"


@dataclass(frozen=True)
class RecordCompleted:
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
