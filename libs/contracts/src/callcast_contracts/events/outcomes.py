"""Public outcome events for external consumers: ``outcomes.<org>.job.<jobId>``.

This is the subject family third parties subscribe to; it is documented in ``proto/``.
"""

from __future__ import annotations

from datetime import datetime

from callcast_contracts.envelope import Event


class CallOutcomeReported(Event, frozen=True, kw_only=True):
    """An attempt of a job ended (one event per attempt). Whether the job tries again is the
    scheduler's decision, published as RetryScheduled or JobCompleted on programs.<org>.job.<jobId>."""

    job_id: str
    attempt_id: str
    attempt_number: int
    execution_id: str | None
    program_id: str | None
    contact_id: str
    to: str
    outcome: str
    outcome_reason: str | None = None
    answered_by: str | None = None
    duration_ms: int | None = None
    terminated_at: datetime
