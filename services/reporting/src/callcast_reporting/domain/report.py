"""The call report (``GET /call-report/{jobId}``) and the call rows (``GET /calls``).

Field names and shapes follow Gomobile's call-report types (digest §13): ``CallDetails``,
``FlowExecutionDetails``, ``NodeExecutionPathEntry``, ``CallEvent``. Fields beyond those
(``attempts[].status``, ``call.media``, ``executionPath[].nodeExecutionIndex`` …) are additive.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from callcast_reporting.domain.records import AttemptRecord, EventRecord, JobRecord
from callcast_reporting.domain.timeline import TimelineEntry, complete_node_contexts


class _Camel(msgspec.Struct, kw_only=True, rename="camel"):
    pass


class AttemptReport(_Camel, kw_only=True):
    attempt_id: str
    attempt_number: int
    status: str
    outcome: str | None
    outcome_reason: str | None
    answered_by: str | None
    sip_status: int | None
    from_number: str | None = msgspec.field(name="from")
    to: str | None
    dialed_at: datetime | None
    answered_at: datetime | None
    terminated_at: datetime | None
    duration_ms: int | None


class CallDetails(_Camel, kw_only=True):
    status: str
    direction: str = "outbound"
    from_number: str | None = msgspec.field(name="from")
    to: str | None
    created_at: datetime
    dialed_at: datetime | None
    answered_at: datetime | None
    terminated_at: datetime | None
    duration_ms: int | None
    #: Totals over the attempt's prompts (promptsPlayed, playedMs, packetsSent, …); {} before any.
    media: dict[str, Any]
    #: human | machine | unknown (AMD off, undecided, or not answered yet).
    answered_by: str | None = None
    #: Answering machine detection: answeredBy, confidence (0–1), reason, decisionMs, words,
    #: greetingMs; null when the dial node had AMD off or the call was not answered.
    amd: dict[str, Any] | None = None
    #: The callee's recordings made by record nodes (recordingId, durationMs, contentType, …);
    #: the audio is at ``GET /recordings/{recordingId}``.
    recordings: list[dict[str, Any]] = []
    #: us | callee, and why (bye, flow_hangup, flow_finished, rtp_timeout, dialer_shutdown, …).
    hangup_by: str | None = None
    hangup_cause: str | None = None


class NodeExecutionPathEntry(_Camel, kw_only=True):
    node_id: str
    node_type: str
    node_label: str | None = None
    output_path: str | None = None
    timestamp: datetime
    node_execution_index: int | None = None


class FlowExecutionDetails(_Camel, kw_only=True):
    flow_id: str
    flow_name: str | None
    flow_version: int | None
    execution_path: list[NodeExecutionPathEntry]
    final_variables: dict[str, Any]
    node_execution_count: int
    flow_started_at: datetime | None
    flow_completed_at: datetime | None


class CallEvent(_Camel, kw_only=True):
    type: str
    timestamp: datetime
    data: dict[str, Any]


class CallReport(_Camel, kw_only=True):
    job_id: str
    execution_id: str | None
    program_id: str | None
    contact_id: str | None
    status: str
    outcome: str | None
    outcome_reason: str | None
    answered_by: str | None
    attempts: list[AttemptReport]
    #: The latest attempt's call; null while the job has no attempt yet.
    call: CallDetails | None
    #: The latest attempt's walk of the flow; null until that attempt started.
    flow_execution: FlowExecutionDetails | None
    events: list[CallEvent]


class CallRow(_Camel, kw_only=True):
    """One call attempt in ``GET /calls``."""

    id: str
    job_id: str
    execution_id: str | None
    program_id: str | None
    contact_id: str | None
    attempt_number: int
    from_number: str | None = msgspec.field(name="from")
    to: str | None
    status: str
    outcome: str | None
    outcome_reason: str | None
    answered_by: str | None
    sip_status: int | None
    dialed_at: datetime | None
    answered_at: datetime | None
    terminated_at: datetime | None
    duration_ms: int | None
    created_at: datetime


def attempt_report(a: AttemptRecord) -> AttemptReport:
    return AttemptReport(
        attempt_id=a.attempt_id,
        attempt_number=a.attempt_number,
        status=a.status,
        outcome=a.outcome,
        outcome_reason=a.outcome_reason,
        answered_by=a.answered_by,
        sip_status=a.sip_status,
        from_number=a.from_number,
        to=a.to_number,
        dialed_at=a.dialed_at,
        answered_at=a.answered_at,
        terminated_at=a.terminated_at,
        duration_ms=a.duration_ms,
    )


def call_details(a: AttemptRecord, job: JobRecord) -> CallDetails:
    return CallDetails(
        status=a.status,
        from_number=a.from_number,
        to=a.to_number or job.phone,
        created_at=a.created_at,
        dialed_at=a.dialed_at,
        answered_at=a.answered_at,
        terminated_at=a.terminated_at,
        duration_ms=a.duration_ms,
        media=a.media,
        answered_by=a.answered_by,
        amd=a.amd,
        recordings=[_public_recording(r) for r in a.recordings],
        hangup_by=a.hangup_by,
        hangup_cause=a.hangup_cause,
    )


def _public_recording(r: dict[str, Any]) -> dict[str, Any]:
    # Where the object lives inside NATS is ours to move; clients fetch by recordingId.
    return {k: v for k, v in r.items() if k not in ("bucket", "objectName")}


def flow_execution(a: AttemptRecord) -> FlowExecutionDetails | None:
    if a.flow_id is None:
        return None
    path = msgspec.convert(a.execution_path, list[NodeExecutionPathEntry])
    path.sort(key=lambda p: p.node_execution_index if p.node_execution_index is not None else 0)
    return FlowExecutionDetails(
        flow_id=a.flow_id,
        flow_name=a.flow_name,
        flow_version=a.flow_version,
        execution_path=path,
        final_variables=a.final_variables,
        node_execution_count=a.node_execution_count or len(path),
        flow_started_at=a.flow_started_at,
        flow_completed_at=a.flow_completed_at,
    )


def build_call_report(job: JobRecord, attempts: Sequence[AttemptRecord], events: Sequence[EventRecord]) -> CallReport:
    """The report of one job; ``events`` in time order per attempt, ``attempts`` in any order."""
    ordered = sorted(attempts, key=lambda a: a.attempt_number)
    latest = ordered[-1] if ordered else None
    numbers = {a.attempt_id: a.attempt_number for a in ordered}
    # Attempts in order, each attempt's events by time (stream order breaks ties). A node's event
    # is stored when the node finishes but is stamped when it started (a dial node starts before
    # the ringing and the answer it waited for), so stream order alone would not read as a timeline.
    in_order = sorted(events, key=lambda e: (numbers.get(e.attempt_id, 0), e.occurred_at, e.seq))
    timeline = complete_node_contexts([TimelineEntry(e.type, e.occurred_at, e.data) for e in in_order])
    return CallReport(
        job_id=job.job_id,
        execution_id=job.execution_id,
        program_id=job.program_id,
        contact_id=job.contact_id,
        status=job.status,
        outcome=job.outcome,
        outcome_reason=job.outcome_reason,
        answered_by=job.answered_by,
        attempts=[attempt_report(a) for a in ordered],
        call=call_details(latest, job) if latest else None,
        flow_execution=flow_execution(latest) if latest else None,
        events=[CallEvent(type=t.type, timestamp=t.timestamp, data=t.data) for t in timeline],
    )


def call_row(a: AttemptRecord) -> CallRow:
    return CallRow(
        id=a.attempt_id,
        job_id=a.job_id,
        execution_id=a.execution_id,
        program_id=a.program_id,
        contact_id=a.contact_id,
        attempt_number=a.attempt_number,
        from_number=a.from_number,
        to=a.to_number,
        status=a.status,
        outcome=a.outcome,
        outcome_reason=a.outcome_reason,
        answered_by=a.answered_by,
        sip_status=a.sip_status,
        dialed_at=a.dialed_at,
        answered_at=a.answered_at,
        terminated_at=a.terminated_at,
        duration_ms=a.duration_ms,
        created_at=a.created_at,
    )
