"""The status and outcome vocabularies of reports (Gomobile's, plus the in-flight call states)."""

from __future__ import annotations

from typing import Final

#: A job as the call report shows it.
JOB_QUEUED: Final = "queued"
JOB_ACTIVE: Final = "active"
JOB_COMPLETED: Final = "completed"
JOB_FAILED: Final = "failed"
JOB_STATUSES: Final = (JOB_QUEUED, JOB_ACTIVE, JOB_COMPLETED, JOB_FAILED)

#: A call attempt before it ends; once ended its status is its outcome.
CALL_QUEUED: Final = "queued"
CALL_DIALING: Final = "dialing"
CALL_RINGING: Final = "ringing"
CALL_IN_PROGRESS: Final = "in_progress"
CALL_LIVE_STATUSES: Final = frozenset({CALL_DIALING, CALL_RINGING, CALL_IN_PROGRESS})

#: Call outcomes the FAQ documents. Reports pass through any other value a dialer sends (clients
#: tolerate unknown enum values); the list only bounds the ``outcome`` filter of ``GET /calls``.
OUTCOMES: Final = (
    "completed",
    "no_answer",
    "busy",
    "rejected",
    "voicemail",
    "failed",
    "cancelled",
    "user_hangup",
)
