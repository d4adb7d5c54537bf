"""The rows of the read model as the domain sees them. The projection functions turn one record
into the next; the repositories only load and save them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class ExecutionRecord(msgspec.Struct, kw_only=True, frozen=True):
    execution_id: str
    org_id: str
    program_id: str
    flow_id: str | None
    launched_at: datetime


class JobRecord(msgspec.Struct, kw_only=True, frozen=True):
    job_id: str
    org_id: str
    execution_id: str | None = None
    program_id: str | None = None
    contact_id: str | None = None
    phone: str | None = None
    #: Derived by ``summarize_job``: queued | active | completed | failed.
    status: str
    outcome: str | None = None
    outcome_reason: str | None = None
    answered_by: str | None = None
    attempts: int = 0
    latest_attempt_id: str | None = None
    #: What the scheduler's JobCompleted said; None while the job may still try again.
    final_status: str | None = None
    final_outcome: str | None = None
    final_attempts: int | None = None
    completed_at: datetime | None = None
    #: The attempt a RetryScheduled announced; the job waits for it.
    retry_attempt_number: int | None = None
    created_at: datetime
    updated_at: datetime


class AttemptRecord(msgspec.Struct, kw_only=True, frozen=True):
    attempt_id: str
    org_id: str
    job_id: str
    attempt_number: int
    execution_id: str | None = None
    program_id: str | None = None
    contact_id: str | None = None
    from_number: str | None = None
    to_number: str | None = None
    #: queued | dialing | ringing | in_progress, then the outcome once the call ended.
    status: str
    outcome: str | None = None
    outcome_reason: str | None = None
    answered_by: str | None = None
    hangup_by: str | None = None
    sip_status: int | None = None
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    terminated_at: datetime | None = None
    duration_ms: int | None = None
    flow_id: str | None = None
    flow_name: str | None = None
    flow_version: int | None = None
    execution_path: list[dict[str, Any]] = []
    final_variables: dict[str, Any] = {}
    node_execution_count: int = 0
    flow_started_at: datetime | None = None
    flow_completed_at: datetime | None = None
    media: dict[str, Any] = {}
    #: The answering machine detection of the call (answeredBy, confidence, reason, decisionMs).
    amd: dict[str, Any] | None = None
    #: The record nodes' recordings (recordingId, nodeId, durationMs, …), in order.
    recordings: list[dict[str, Any]] = []
    #: Why the call was hung up (CallHungUp.cause: bye, flow_hangup, rtp_timeout, …).
    hangup_cause: str | None = None
    created_at: datetime
    updated_at: datetime


class EventRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One timeline row of a call attempt (``call_events``)."""

    attempt_id: str
    seq: int
    org_id: str
    job_id: str
    type: str
    occurred_at: datetime
    data: dict[str, Any]
