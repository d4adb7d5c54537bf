"""The call-event stream: ``calls.<org>.attempt.<attemptId>``, written by the dialer only.

The first event of an attempt (CallAttemptStarted) is appended with expected subject sequence 0:
that append is the exactly-once gate for dialling. CallEnded is always the last event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callcast_contracts.envelope import Event


class CallAttemptStarted(Event, frozen=True, kw_only=True):
    attempt_id: str
    attempt_number: int
    job_id: str
    execution_id: str | None
    program_id: str | None
    contact_id: str
    to: str
    caller_id: str
    flow_id: str
    flow_name: str
    flow_version: int
    dialer_id: str


class CallRinging(Event, frozen=True, kw_only=True):
    attempt_id: str
    sip_status: int


class CallAnswered(Event, frozen=True, kw_only=True):
    attempt_id: str
    answered_by: str  # human | machine | unknown
    answered_at: datetime


class FlowNodeExecuted(Event, frozen=True, kw_only=True):
    attempt_id: str
    node_id: str
    node_type: str
    node_label: str | None = None
    output_path: str | None = None
    node_execution_index: int
    at: datetime
    data: dict[str, Any] = {}


class PromptPlayed(Event, frozen=True, kw_only=True):
    """Media facts of one play node: what we sent and what came back from the far end."""

    attempt_id: str
    node_id: str
    items: list[dict[str, Any]]
    duration_ms: int
    packets_sent: int
    packets_received: int
    max_receive_gap_ms: float | None
    max_send_lateness_ms: float
    interrupted: bool = False
    #: The play node's ``nodeExecutionIndex`` (as in its FlowNodeExecuted), so reports can give
    #: the prompt its node context; None from dialers that predate the field.
    node_execution_index: int | None = None


class CallEnded(Event, frozen=True, kw_only=True):
    attempt_id: str
    job_id: str
    attempt_number: int
    outcome: str  # completed | no_answer | busy | rejected | failed | voicemail | user_hangup ...
    outcome_reason: str | None = None
    sip_status: int | None = None
    answered_by: str | None = None
    hangup_by: str | None = None  # us | callee | None
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    terminated_at: datetime
    duration_ms: int | None = None
    final_variables: dict[str, Any] = {}
    node_execution_count: int = 0
    flow_started_at: datetime | None = None
    flow_completed_at: datetime | None = None
