"""A realistic event history for one job: attempt 1 is busy, attempt 2 answers and completes.

Shared by the unit tests (fed to the pure mapping) and the integration tests (appended to the
CALLS and PROGRAMS streams, as the dialer and the scheduler would).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, Event, envelope
from callcast_contracts.events import (
    AmdCompleted,
    AttemptDispatched,
    CallAnswered,
    CallAttemptStarted,
    CallEnded,
    CallHungUp,
    CallRinging,
    DigitReceived,
    ExecutionLaunched,
    FlowNodeExecuted,
    JobCompleted,
    JobsEnrolled,
    PromptPlayed,
    RetryScheduled,
)
from callcast_contracts.events.programs import EnrolledJob
from callcast_contracts.streams import CALLS, PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject

PHONE = "+212612345678"
CALLER_ID = "+212522000111"
FLOW_NAME = "Payment reminder"


@dataclass
class Appended:
    stream: str
    subject: str
    env: Envelope[Any]
    msg_id: str


@dataclass
class Scenario:
    org_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    execution_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    program_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    contact_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    flow_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    t0: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC))

    @property
    def job_id(self) -> str:
        return ids.job_id(self.execution_id, self.contact_id)

    def attempt_id(self, n: int) -> str:
        return ids.attempt_id(self.job_id, n)

    def at(self, seconds: float) -> datetime:
        return self.t0 + timedelta(seconds=seconds)

    # -- building blocks ----------------------------------------------------------------------
    def _on(self, context: Context, aggregate: Aggregate, aggregate_id: str, event: Event, at: float) -> Appended:
        stream = CALLS.name if context is Context.CALLS else PROGRAMS.name
        env = envelope(event, org_id=self.org_id, aggregate_id=aggregate_id, occurred_at=self.at(at))
        # Deterministic, like the real writers': appending the same item twice stores it once.
        msg_id = f"{aggregate_id}:{event.type_name()}:{getattr(event, 'node_id', '')}:{at}"
        return Appended(stream, subject(context, self.org_id, aggregate, aggregate_id), env, msg_id)

    def call(self, n: int, event: Event, at: float) -> Appended:
        return self._on(Context.CALLS, Aggregate.ATTEMPT, self.attempt_id(n), event, at)

    def job(self, event: Event, at: float) -> Appended:
        return self._on(Context.PROGRAMS, Aggregate.JOB, self.job_id, event, at)

    def execution(self, event: Event, at: float) -> Appended:
        return self._on(Context.PROGRAMS, Aggregate.EXECUTION, self.execution_id, event, at)

    def started(self, n: int, at: float) -> Appended:
        return self.call(
            n,
            CallAttemptStarted(
                attempt_id=self.attempt_id(n),
                attempt_number=n,
                job_id=self.job_id,
                execution_id=self.execution_id,
                program_id=self.program_id,
                contact_id=self.contact_id,
                to=PHONE,
                caller_id=CALLER_ID,
                flow_id=self.flow_id,
                flow_name=FLOW_NAME,
                flow_version=3,
                dialer_id="dialer-1",
            ),
            at,
        )

    def node(
        self, n: int, index: int, node_id: str, node_type: str, output: str | None, at: float, **data: Any
    ) -> Appended:
        return self.call(
            n,
            FlowNodeExecuted(
                attempt_id=self.attempt_id(n),
                node_id=node_id,
                node_type=node_type,
                node_label=node_id.replace("-", " ").title(),
                output_path=output,
                node_execution_index=index,
                at=self.at(at),
                data=data,
            ),
            at,
        )

    # -- the history ---------------------------------------------------------------------------
    def enrolment(self) -> list[Appended]:
        return [
            self.execution(
                ExecutionLaunched(
                    execution_id=self.execution_id,
                    program_id=self.program_id,
                    audience_id=str(uuid.uuid4()),
                    flow_id=self.flow_id,
                    flow_version=3,
                    caller_ids=[CALLER_ID],
                    retry_strategy={"type": "fixed_delay", "delayMinutes": 1, "maxRetries": 1},
                    concurrency=1,
                    total_contacts=1,
                    scheduled_start_at=self.t0,
                ),
                0,
            ),
            self.execution(
                JobsEnrolled(
                    execution_id=self.execution_id,
                    chunk=0,
                    jobs=[EnrolledJob(job_id=self.job_id, contact_id=self.contact_id, phone=PHONE)],
                ),
                0.1,
            ),
        ]

    def dispatched(self, n: int, at: float) -> Appended:
        return self.job(
            AttemptDispatched(
                job_id=self.job_id,
                execution_id=self.execution_id,
                attempt_id=self.attempt_id(n),
                attempt_number=n,
                caller_id=CALLER_ID,
            ),
            at,
        )

    def busy_attempt(self) -> list[Appended]:
        """Attempt 1: rings, then 486 Busy Here."""
        a1 = self.attempt_id(1)
        return [
            self.started(1, 1),
            self.call(1, CallRinging(attempt_id=a1, sip_status=180), 1.5),
            self.node(1, 1, "dial-1", "dial", "onBusy", 1),
            self.call(
                1,
                CallEnded(
                    attempt_id=a1,
                    job_id=self.job_id,
                    attempt_number=1,
                    outcome="busy",
                    outcome_reason="486 Busy Here",
                    sip_status=486,
                    dialed_at=self.at(1),
                    terminated_at=self.at(4),
                    node_execution_count=1,
                    flow_started_at=self.at(1),
                    flow_completed_at=self.at(4),
                ),
                4,
            ),
        ]

    def completed_attempt(self) -> list[Appended]:
        """Attempt 2, a minute later: answered by a human who presses 1, then the flow hangs up."""
        a2 = self.attempt_id(2)
        return [
            self.started(2, 60),
            self.call(2, CallRinging(attempt_id=a2, sip_status=180), 60.5),
            # AMD on: the answer says "unknown" and the detector's verdict follows.
            self.call(2, CallAnswered(attempt_id=a2, answered_by="unknown", answered_at=self.at(63)), 63),
            self.call(
                2,
                AmdCompleted(
                    attempt_id=a2,
                    node_id="dial-1",
                    node_execution_index=1,
                    answered_by="human",
                    confidence=0.8,
                    reason="human_greeting_then_silence",
                    decision_ms=1400,
                    words=1,
                    greeting_ms=600,
                    job_id=self.job_id,
                ),
                64.4,
            ),
            self.node(2, 1, "dial-1", "dial", "onAnswer", 60),
            self.call(
                2,
                PromptPlayed(
                    attempt_id=a2,
                    node_id="play-1",
                    items=[{"type": "audioFile", "audioId": "a-1"}],
                    duration_ms=4000,
                    packets_sent=200,
                    packets_received=198,
                    max_receive_gap_ms=40.0,
                    max_send_lateness_ms=1.5,
                ),
                67,
            ),
            self.node(2, 2, "play-1", "play", "onComplete", 63),
            self.call(
                2,
                DigitReceived(
                    attempt_id=a2, digit="1", via="rfc4733", node_id="menu-1", node_execution_index=3, after_ms=900
                ),
                68,
            ),
            self.node(2, 3, "menu-1", "dtmf", "branches.1", 67, digits="1"),
            self.node(2, 4, "set-1", "set_variable", None, 70),
            self.node(2, 5, "hangup-1", "hangup", None, 70),
            self.call(2, CallHungUp(attempt_id=a2, by="us", cause="flow_hangup", sip_status=200, at=self.at(71)), 71),
            self.call(
                2,
                CallEnded(
                    attempt_id=a2,
                    job_id=self.job_id,
                    attempt_number=2,
                    outcome="completed",
                    sip_status=200,
                    answered_by="human",
                    hangup_by="us",
                    dialed_at=self.at(60),
                    answered_at=self.at(63),
                    terminated_at=self.at(71),
                    duration_ms=8000,
                    final_variables={"choice": "1", "paid": True},
                    node_execution_count=5,
                    flow_started_at=self.at(60),
                    flow_completed_at=self.at(70.5),
                ),
                71,
            ),
        ]

    def retry_scheduled(self) -> Appended:
        return self.job(
            RetryScheduled(
                job_id=self.job_id,
                execution_id=self.execution_id,
                attempt_number=2,
                not_before=self.at(59),
                last_outcome="busy",
            ),
            4.5,
        )

    def job_completed(self) -> Appended:
        return self.job(
            JobCompleted(
                job_id=self.job_id, execution_id=self.execution_id, status="completed", outcome="completed", attempts=2
            ),
            72,
        )

    def history(self) -> list[Appended]:
        """Everything, in the order the services would append it."""
        return [
            *self.enrolment(),
            self.dispatched(1, 0.5),
            *self.busy_attempt(),
            self.retry_scheduled(),
            self.dispatched(2, 59),
            *self.completed_attempt(),
            self.job_completed(),
        ]


# -- what the report of that history must say ------------------------------------------------------
def iso(s: Scenario, seconds: float) -> str:
    return str(msgspec.to_builtins(s.at(seconds)))


def _node(s: Scenario, index: int, node_id: str, node_type: str, output: str | None, at: float) -> dict[str, Any]:
    return {
        "nodeId": node_id,
        "nodeType": node_type,
        "nodeLabel": node_id.replace("-", " ").title(),
        "outputPath": output,
        "timestamp": iso(s, at),
        "nodeExecutionIndex": index,
    }


def _node_event(s: Scenario, n: int, entry: dict[str, Any], **data: Any) -> dict[str, Any]:
    return {
        "type": entry["nodeType"],
        "timestamp": entry["timestamp"],
        "data": {
            **data,
            "attemptId": s.attempt_id(n),
            "nodeContext": {
                "nodeId": entry["nodeId"],
                "nodeType": entry["nodeType"],
                "nodeExecutionIndex": entry["nodeExecutionIndex"],
            },
            "nodeLabel": entry["nodeLabel"],
            "outputPath": entry["outputPath"],
        },
    }


def _initiated(s: Scenario, n: int, at: float) -> dict[str, Any]:
    return {
        "type": "initiated",
        "timestamp": iso(s, at),
        "data": {
            "attemptId": s.attempt_id(n),
            "attemptNumber": n,
            "from": CALLER_ID,
            "to": PHONE,
            "flowId": s.flow_id,
            "flowName": FLOW_NAME,
            "flowVersion": 3,
        },
    }


def expected_report(s: Scenario) -> dict[str, Any]:
    """``GET /call-report/{jobId}`` after the whole ``history()``, every field spelled out."""
    a1, a2 = s.attempt_id(1), s.attempt_id(2)
    path1 = [_node(s, 1, "dial-1", "dial", "onBusy", 1)]
    path2 = [
        _node(s, 1, "dial-1", "dial", "onAnswer", 60),
        _node(s, 2, "play-1", "play", "onComplete", 63),
        _node(s, 3, "menu-1", "dtmf", "branches.1", 67),
        _node(s, 4, "set-1", "set_variable", None, 70),
        _node(s, 5, "hangup-1", "hangup", None, 70),
    ]
    report: dict[str, Any] = {
        "jobId": s.job_id,
        "executionId": s.execution_id,
        "programId": s.program_id,
        "contactId": s.contact_id,
        "status": "completed",
        "outcome": "completed",
        "outcomeReason": None,
        "answeredBy": "human",
        "attempts": [
            {
                "attemptId": a1,
                "attemptNumber": 1,
                "status": "busy",
                "outcome": "busy",
                "outcomeReason": "486 Busy Here",
                "answeredBy": None,
                "sipStatus": 486,
                "from": CALLER_ID,
                "to": PHONE,
                "dialedAt": iso(s, 1),
                "answeredAt": None,
                "terminatedAt": iso(s, 4),
                "durationMs": None,
            },
            {
                "attemptId": a2,
                "attemptNumber": 2,
                "status": "completed",
                "outcome": "completed",
                "outcomeReason": None,
                "answeredBy": "human",
                "sipStatus": 200,
                "from": CALLER_ID,
                "to": PHONE,
                "dialedAt": iso(s, 60),
                "answeredAt": iso(s, 63),
                "terminatedAt": iso(s, 71),
                "durationMs": 8000,
            },
        ],
        "call": {
            "status": "completed",
            "direction": "outbound",
            "from": CALLER_ID,
            "to": PHONE,
            # The scheduler queued attempt 2 at 59 s; the dialer started it at 60 s.
            "createdAt": iso(s, 59),
            "dialedAt": iso(s, 60),
            "answeredAt": iso(s, 63),
            "terminatedAt": iso(s, 71),
            "durationMs": 8000,
            "media": {
                "promptsPlayed": 1,
                "playedMs": 4000,
                "packetsSent": 200,
                "packetsReceived": 198,
                "maxReceiveGapMs": 40.0,
                "maxSendLatenessMs": 1.5,
                "promptsInterrupted": 0,
            },
            "answeredBy": "human",
            "amd": {
                "answeredBy": "human",
                "confidence": 0.8,
                "reason": "human_greeting_then_silence",
                "decisionMs": 1400,
                "words": 1,
                "greetingMs": 600,
                "nodeId": "dial-1",
            },
            "recordings": [],
            "hangupBy": "us",
            "hangupCause": "flow_hangup",
        },
        "flowExecution": {
            "flowId": s.flow_id,
            "flowName": FLOW_NAME,
            "flowVersion": 3,
            "executionPath": path2,
            "finalVariables": {"choice": "1", "paid": True},
            "nodeExecutionCount": 5,
            "flowStartedAt": iso(s, 60),
            "flowCompletedAt": iso(s, 70.5),
        },
        "events": [
            _initiated(s, 1, 1),
            {"type": "ringing", "timestamp": iso(s, 1.5), "data": {"attemptId": a1, "sipStatus": 180}},
            _node_event(s, 1, path1[0]),
            {
                "type": "ended",
                "timestamp": iso(s, 4),
                "data": {
                    "attemptId": a1,
                    "outcome": "busy",
                    "outcomeReason": "486 Busy Here",
                    "sipStatus": 486,
                    "answeredBy": None,
                    "hangupBy": None,
                    "durationMs": None,
                },
            },
            _initiated(s, 2, 60),
            {"type": "ringing", "timestamp": iso(s, 60.5), "data": {"attemptId": a2, "sipStatus": 180}},
            {"type": "answer", "timestamp": iso(s, 63), "data": {"attemptId": a2, "answeredBy": "unknown"}},
            {
                "type": "amd",
                "timestamp": iso(s, 64.4),
                "data": {
                    "attemptId": a2,
                    "nodeContext": {"nodeId": "dial-1", "nodeType": "dial", "nodeExecutionIndex": 1},
                    "answeredBy": "human",
                    "confidence": 0.8,
                    "reason": "human_greeting_then_silence",
                    "decisionMs": 1400,
                    "words": 1,
                    "greetingMs": 600,
                },
            },
            {
                "type": "digit",
                "timestamp": iso(s, 68),
                "data": {
                    "attemptId": a2,
                    "nodeContext": {"nodeId": "menu-1", "nodeType": "dtmf", "nodeExecutionIndex": 3},
                    "digit": "1",
                    "via": "rfc4733",
                    "afterMs": 900,
                },
            },
            {
                "type": "hangup",
                "timestamp": iso(s, 71),
                "data": {"attemptId": a2, "by": "us", "cause": "flow_hangup", "sipMethod": "BYE", "sipStatus": 200},
            },
            _node_event(s, 2, path2[0]),
            {
                "type": "playback",
                "timestamp": iso(s, 67),
                "data": {
                    "attemptId": a2,
                    # The dialer records the node after its prompt: the report takes the node's context.
                    "nodeContext": {"nodeId": "play-1", "nodeType": "play", "nodeExecutionIndex": 2},
                    "items": [{"type": "audioFile", "audioId": "a-1"}],
                    "durationMs": 4000,
                    "packetsSent": 200,
                    "packetsReceived": 198,
                    "maxReceiveGapMs": 40.0,
                    "maxSendLatenessMs": 1.5,
                    "interrupted": False,
                },
            },
            _node_event(s, 2, path2[1]),
            _node_event(s, 2, path2[2], digits="1"),
            _node_event(s, 2, path2[3]),
            _node_event(s, 2, path2[4]),
            {
                "type": "ended",
                "timestamp": iso(s, 71),
                "data": {
                    "attemptId": a2,
                    "outcome": "completed",
                    "outcomeReason": None,
                    "sipStatus": 200,
                    "answeredBy": "human",
                    "hangupBy": "us",
                    "durationMs": 8000,
                },
            },
        ],
    }
    # The report lists each attempt's events by time (ties keep stream order).
    numbers = {a1: 1, a2: 2}
    report["events"] = sorted(
        report["events"],
        key=lambda e: (numbers[e["data"]["attemptId"]], datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))),
    )
    return report
