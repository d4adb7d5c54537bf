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


class CallEarlyMedia(Event, frozen=True, kw_only=True):
    """The callee's side sent media before answering (183 Session Progress with SDP): ringback
    tones or carrier announcements, heard on the RTP stream from here on."""

    attempt_id: str
    sip_status: int
    codec: str | None = None
    job_id: str | None = None


class CallAnswered(Event, frozen=True, kw_only=True):
    attempt_id: str
    answered_by: str  # human | machine | unknown
    answered_at: datetime


class AmdCompleted(Event, frozen=True, kw_only=True):
    """Answering machine detection decided who answered, from the audio received after the answer.

    ``reason`` is a stable snake_case code (e.g. ``long_greeting``, ``max_words``,
    ``human_greeting_then_silence``, ``max_analysis_time``); ``confidence`` is in [0, 1];
    ``decision_ms`` counts from the answer.
    """

    attempt_id: str
    node_id: str
    node_execution_index: int | None = None
    answered_by: str  # human | machine | unknown
    confidence: float
    reason: str
    decision_ms: int
    words: int = 0
    greeting_ms: int = 0
    job_id: str | None = None


class FlowNodeEntered(Event, frozen=True, kw_only=True):
    """The call reached a node that acts on the call (dial, play, dtmf, record, hangup); its
    FlowNodeExecuted follows when it is left, with the output it took."""

    attempt_id: str
    node_id: str
    node_type: str
    node_execution_index: int
    at: datetime
    job_id: str | None = None


class PromptStarted(Event, frozen=True, kw_only=True):
    """The first packet of a node's prompt is about to leave; PromptPlayed follows when it ends."""

    attempt_id: str
    node_id: str
    node_execution_index: int | None = None
    items: list[dict[str, Any]] = []
    job_id: str | None = None


class DigitReceived(Event, frozen=True, kw_only=True):
    """One key the callee pressed, as the node that collected it took it."""

    attempt_id: str
    digit: str
    via: str | None  # rfc4733 | sip_info
    node_id: str
    node_execution_index: int | None = None
    #: From when the node began listening; negative when pressed during an earlier prompt.
    after_ms: int | None = None
    job_id: str | None = None


class RecordingSaved(Event, frozen=True, kw_only=True):
    """A record node's audio (the callee's side) is stored as WAV in the NATS object store, where
    every service can fetch it by ``bucket``/``object_name``."""

    attempt_id: str
    node_id: str
    node_execution_index: int | None = None
    recording_id: str
    bucket: str
    object_name: str
    content_type: str = "audio/wav"
    duration_ms: int
    size_bytes: int
    sha256: str
    #: Why the recording stopped: max_duration | silence | stopped (callee hung up) | ...
    ended_by: str
    job_id: str | None = None


class CallHungUp(Event, frozen=True, kw_only=True):
    """The call's media and dialog ended: who ended it, and the SIP reason."""

    attempt_id: str
    by: str  # us | callee
    #: What ended it: ``bye`` (the callee's BYE), ``flow_hangup``, ``flow_finished``,
    #: ``rtp_timeout``, ``cancelled``, ``dialer_shutdown``, ``error``.
    cause: str
    #: The SIP exchange that ended the dialog, e.g. ``BYE`` (+ the answer to ours, ``200``).
    sip_method: str = "BYE"
    sip_status: int | None = None
    at: datetime
    job_id: str | None = None


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


class CallStillLive(Event, frozen=True, kw_only=True):
    """The dialer that owns this attempt still has the call up (a heartbeat).

    Appended only when the attempt has had no other event for a heartbeat period, so a quiet call
    (a long prompt) still shows a recent event. A dialer that receives a redelivered dial command
    for a started, unended attempt settles it as ``dialer_lost`` only when the attempt's last
    event is older than the lease; read models need not project it.
    """

    attempt_id: str
    dialer_id: str
    job_id: str | None = None
