"""Execution statuses and the actions that move between them (digest §11.1), plus the computed
effective status of the reports (digest §11.2).

Table (anything not listed answers InvalidTransition):

=================== ================================================================
from                actions → to
=================== ================================================================
scheduled           start → running; pause → paused; stop → stopped; cancel → cancelled
running             pause → paused; pause_threshold → paused_threshold;
                    pause_no_credits → paused_no_credits; complete → completed;
                    stop → stopped; cancel → cancelled
paused, paused_*    resume → running; complete → completed; stop → stopped;
                    cancel → cancelled
completed, stopped, none: final (cancelled "cannot be resumed")
cancelled
=================== ================================================================

Decisions beyond the digest's diagram:

- A ``scheduled`` execution can be paused (hold a campaign before its ``startAt``) and cancelled.
  Resuming it gives ``running``: the calling gate still holds every call until ``startAt``, and
  :func:`effective_status` reports it as ``scheduled`` while ``before_start`` is true.
- ``stop`` (``stopAt`` reached) applies to every non-final status: ``stopAt`` is a hard end, a
  paused or not-yet-started execution ends then too.
- ``complete`` is accepted while paused: calls in progress go on during a pause, so the last
  contact can finish then.
- Pausing an execution that is already paused (any ``paused*``), resuming one that is not paused,
  or an auto-pause rule firing while paused, are refused: the caller answers 409 or ignores it.
"""

from __future__ import annotations

from typing import Final

SCHEDULED: Final = "scheduled"
RUNNING: Final = "running"
PAUSED: Final = "paused"
PAUSED_THRESHOLD: Final = "paused_threshold"
PAUSED_NO_CREDITS: Final = "paused_no_credits"
COMPLETED: Final = "completed"
STOPPED: Final = "stopped"
CANCELLED: Final = "cancelled"

#: Stored statuses (the OpenAPI enum, digest §11.1).
STATUSES: Final = (SCHEDULED, RUNNING, PAUSED, PAUSED_THRESHOLD, PAUSED_NO_CREDITS, COMPLETED, STOPPED, CANCELLED)
TERMINAL: Final = frozenset({COMPLETED, STOPPED, CANCELLED})
PAUSED_STATUSES: Final = frozenset({PAUSED, PAUSED_THRESHOLD, PAUSED_NO_CREDITS})

#: Computed statuses of the reports (digest §11.2): stored ``paused`` reads ``paused_manual``.
PAUSED_MANUAL: Final = "paused_manual"
PAUSED_WINDOW: Final = "paused_window"
EFFECTIVE_STATUSES: Final = (
    SCHEDULED,
    RUNNING,
    PAUSED_MANUAL,
    PAUSED_WINDOW,
    PAUSED_NO_CREDITS,
    PAUSED_THRESHOLD,
    COMPLETED,
    STOPPED,
    CANCELLED,
)

#: Actions, with the participle the 409 message uses ("cannot be paused").
ACTIONS: Final = {
    "start": "started",
    "pause": "paused",
    "pause_threshold": "paused by an auto-pause rule",
    "pause_no_credits": "paused for lack of credits",
    "resume": "resumed",
    "complete": "completed",
    "stop": "stopped",
    "cancel": "cancelled",
}

_ENDINGS: Final = {"stop": STOPPED, "cancel": CANCELLED}
_PAUSED_MOVES: Final = {"resume": RUNNING, "complete": COMPLETED, **_ENDINGS}
_TABLE: Final[dict[str, dict[str, str]]] = {
    SCHEDULED: {"start": RUNNING, "pause": PAUSED, **_ENDINGS},
    RUNNING: {
        "pause": PAUSED,
        "pause_threshold": PAUSED_THRESHOLD,
        "pause_no_credits": PAUSED_NO_CREDITS,
        "complete": COMPLETED,
        **_ENDINGS,
    },
    PAUSED: _PAUSED_MOVES,
    PAUSED_THRESHOLD: _PAUSED_MOVES,
    PAUSED_NO_CREDITS: _PAUSED_MOVES,
    COMPLETED: {},
    STOPPED: {},
    CANCELLED: {},
}


class InvalidTransition(Exception):
    """``action`` is not allowed from ``status``. The HTTP layer answers it with
    ``execution_status_conflict(e.status, e.action_done)`` (409 ``ExecutionStatusConflictError``)."""

    def __init__(self, status: str, action: str) -> None:
        self.status = status
        self.action = action
        self.action_done = ACTIONS.get(action, action)
        super().__init__(f"An execution in status {status} cannot be {self.action_done}")


def _check(status: str, action: str) -> dict[str, str]:
    # Unknown names are programming errors, not conflicts a client could cause.
    if action not in ACTIONS:
        raise ValueError(f"unknown execution action {action!r}")
    moves = _TABLE.get(status)
    if moves is None:
        raise ValueError(f"unknown execution status {status!r}")
    return moves


def transition(status: str, action: str) -> str:
    """The status after ``action``; InvalidTransition when the table does not allow it."""
    target = _check(status, action).get(action)
    if target is None:
        raise InvalidTransition(status, action)
    return target


def can(status: str, action: str) -> bool:
    return action in _check(status, action)


def allowed_actions(status: str) -> frozenset[str]:
    if status not in _TABLE:
        raise ValueError(f"unknown execution status {status!r}")
    return frozenset(_TABLE[status])


def effective_status(status: str, *, window_paused: bool, before_start: bool = False) -> str:
    """The status the reports show (digest §11.2): ``paused`` → ``paused_manual``; ``running``
    inside a pause window → ``paused_window``; ``running`` before ``startAt`` (a scheduled
    execution paused and resumed early) → ``scheduled``. Other statuses read as stored."""
    if status == PAUSED:
        return PAUSED_MANUAL
    if status == RUNNING:
        if before_start:
            return SCHEDULED
        if window_paused:
            return PAUSED_WINDOW
    return status
