"""Request and response bodies of the program executions API (digest §11.1, §11.2)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callcast_runtime.api import ApiModel, ApiResponse


class PauseExecutionRequest(ApiModel):
    """``PATCH .../pause`` takes no body; an empty object is accepted, anything in it is not."""


class ResumeExecutionRequest(ApiModel):
    #: Replace the execution's rules (``[]`` removes them); absent keeps them.
    auto_pause_rules: list[Any] | None = None


class CancelExecutionRequest(ApiModel):
    #: Callcast extension: also end the calls in progress (outcome ``cancelled``). Default false:
    #: calls in progress continue (digest §11.1).
    end_live_calls: bool = False


class ContactStatusCounts(ApiResponse):
    """Contacts per per-contact status (digest §11.2 ContactMetrics); they add up to
    ``totalContacts`` (contacts not enrolled yet count as ``pending``)."""

    pending: int
    queued: int
    calling: int
    pending_retry: int
    completed: int
    failed: int
    skipped: int


class ExecutionForecast(ApiResponse):
    """Callcast extension: when the execution should be done, from the remaining contacts, the
    limits, the pause windows and the retry settings; and how many contacts ``stopAt`` will cut
    off. ``estimatedCompletionAt`` is null when the windows keep it closed beyond the horizon."""

    estimated_completion_at: datetime | None
    contacts_at_risk_of_stop: int
    warnings: list[str]


class ExecutionResponse(ApiResponse):
    id: str
    program_id: str
    organization_id: str
    audience_id: str | None
    flow_id: str
    flow_version: int
    #: As stored: scheduled | running | paused | paused_no_credits | paused_threshold | completed |
    #: stopped | cancelled.
    status: str
    #: Computed (digest §11.2): ``paused`` reads ``paused_manual``; ``running`` inside a pause
    #: window reads ``paused_window``.
    effective_status: str
    total_contacts: int
    contacts_completed: int
    #: Retries used up, plus the contacts a cancel or ``stopAt`` skipped.
    contacts_failed: int
    #: Includes the retry queue.
    contacts_pending: int
    #: Queued or dialing.
    contacts_in_progress: int
    contact_statuses: ContactStatusCounts
    scheduled_start_at: datetime
    scheduled_stop_at: datetime | None
    actual_start_at: datetime | None
    actual_end_at: datetime | None
    auto_pause_rules: list[dict[str, Any]] | None
    #: ``manual`` or ``threshold`` while paused; with ``pausedNodeId`` for a rule's pause.
    pause_reason: str | None
    paused_node_id: str | None
    #: The IANA zone the pause windows are read in (snapshotted at launch).
    timezone: str
    pause_windows: dict[str, Any] | None
    forecast: ExecutionForecast | None
    created_at: datetime
    updated_at: datetime


class ExecutionContactResponse(ApiResponse):
    """One contact of an execution (its job): per-contact status and attempts so far."""

    job_id: str
    contact_id: str
    phone: str
    status: str
    attempts: int
    last_outcome: str | None
    outcome_reason: str | None
    next_attempt_at: datetime | None
    updated_at: datetime
