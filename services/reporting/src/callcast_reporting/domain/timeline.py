"""The call-event timeline of a report: which stream event becomes which ``CallEvent``.

| stream event        | ``type``                                         | timestamp        |
|---------------------|--------------------------------------------------|------------------|
| CallAttemptStarted  | ``initiated``                                    | occurredAt       |
| CallRinging         | ``ringing``                                      | occurredAt       |
| CallAnswered        | ``answer``                                       | answeredAt       |
| FlowNodeExecuted    | the node's type (``dial``, ``play``, ``dtmf``…)  | the node's ``at``|
| PromptPlayed        | ``playback`` (media facts of a node's prompt)    | occurredAt       |
| CallEarlyMedia      | ``early_media``                                  | occurredAt       |
| AmdCompleted        | ``amd``                                          | occurredAt       |
| DigitReceived       | ``digit``                                        | occurredAt       |
| RecordingSaved      | ``recording``                                    | occurredAt       |
| CallHungUp          | ``hangup``                                       | its ``at``       |
| CallEnded           | ``ended``                                        | terminatedAt     |

FlowNodeEntered and PromptStarted are live-progress events: the node's own entry (stamped when
it was entered) and ``playback`` already say what they say, so the timeline leaves them out.

Every ``data`` carries ``attemptId``; events about a node carry ``nodeContext`` {nodeId, nodeType,
nodeExecutionIndex}. Clients must tolerate types they do not know (additive evolution).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from callcast_contracts.envelope import Envelope, Event
from callcast_contracts.events import (
    AmdCompleted,
    CallAnswered,
    CallAttemptStarted,
    CallEarlyMedia,
    CallEnded,
    CallHungUp,
    CallRinging,
    DigitReceived,
    FlowNodeExecuted,
    PromptPlayed,
    RecordingSaved,
)

NODE_CONTEXT = "nodeContext"
PLAYBACK = "playback"


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    type: str
    timestamp: datetime
    data: dict[str, Any]


def node_context(node_id: str, node_type: str, node_execution_index: int | None) -> dict[str, Any]:
    return {"nodeId": node_id, "nodeType": node_type, "nodeExecutionIndex": node_execution_index}


def timeline_entry(env: Envelope[Event]) -> TimelineEntry | None:
    """The timeline entry of one call event; None for events that are not about a call."""
    e = env.data
    if isinstance(e, CallAttemptStarted):
        return TimelineEntry(
            "initiated",
            env.occurred_at,
            {
                "attemptId": e.attempt_id,
                "attemptNumber": e.attempt_number,
                "from": e.caller_id,
                "to": e.to,
                "flowId": e.flow_id,
                "flowName": e.flow_name,
                "flowVersion": e.flow_version,
            },
        )
    if isinstance(e, CallRinging):
        return TimelineEntry("ringing", env.occurred_at, {"attemptId": e.attempt_id, "sipStatus": e.sip_status})
    if isinstance(e, CallAnswered):
        return TimelineEntry("answer", e.answered_at, {"attemptId": e.attempt_id, "answeredBy": e.answered_by})
    if isinstance(e, FlowNodeExecuted):
        return TimelineEntry(
            e.node_type,
            e.at,
            {
                # The node's own facts first, so ours (below) win on a name clash.
                **e.data,
                "attemptId": e.attempt_id,
                NODE_CONTEXT: node_context(e.node_id, e.node_type, e.node_execution_index),
                "nodeLabel": e.node_label,
                "outputPath": e.output_path,
            },
        )
    if isinstance(e, PromptPlayed):
        return TimelineEntry(
            PLAYBACK,
            env.occurred_at,
            {
                "attemptId": e.attempt_id,
                NODE_CONTEXT: node_context(e.node_id, "play", e.node_execution_index),
                "items": e.items,
                "durationMs": e.duration_ms,
                "packetsSent": e.packets_sent,
                "packetsReceived": e.packets_received,
                "maxReceiveGapMs": e.max_receive_gap_ms,
                "maxSendLatenessMs": e.max_send_lateness_ms,
                "interrupted": e.interrupted,
            },
        )
    if isinstance(e, CallEarlyMedia):
        return TimelineEntry(
            "early_media", env.occurred_at, {"attemptId": e.attempt_id, "sipStatus": e.sip_status, "codec": e.codec}
        )
    if isinstance(e, AmdCompleted):
        return TimelineEntry(
            "amd",
            env.occurred_at,
            {
                "attemptId": e.attempt_id,
                NODE_CONTEXT: node_context(e.node_id, "dial", e.node_execution_index),
                "answeredBy": e.answered_by,
                "confidence": e.confidence,
                "reason": e.reason,
                "decisionMs": e.decision_ms,
                "words": e.words,
                "greetingMs": e.greeting_ms,
            },
        )
    if isinstance(e, DigitReceived):
        return TimelineEntry(
            "digit",
            env.occurred_at,
            {
                "attemptId": e.attempt_id,
                NODE_CONTEXT: node_context(e.node_id, "dtmf", e.node_execution_index),
                "digit": e.digit,
                "via": e.via,
                "afterMs": e.after_ms,
            },
        )
    if isinstance(e, RecordingSaved):
        return TimelineEntry(
            "recording",
            env.occurred_at,
            {
                "attemptId": e.attempt_id,
                NODE_CONTEXT: node_context(e.node_id, "record", e.node_execution_index),
                "recordingId": e.recording_id,
                "durationMs": e.duration_ms,
                "sizeBytes": e.size_bytes,
                "contentType": e.content_type,
                "endedBy": e.ended_by,
            },
        )
    if isinstance(e, CallHungUp):
        return TimelineEntry(
            "hangup",
            e.at,
            {
                "attemptId": e.attempt_id,
                "by": e.by,
                "cause": e.cause,
                "sipMethod": e.sip_method,
                "sipStatus": e.sip_status,
            },
        )
    if isinstance(e, CallEnded):
        return TimelineEntry(
            "ended",
            e.terminated_at,
            {
                "attemptId": e.attempt_id,
                "outcome": e.outcome,
                "outcomeReason": e.outcome_reason,
                "sipStatus": e.sip_status,
                "answeredBy": e.answered_by,
                "hangupBy": e.hangup_by,
                "durationMs": e.duration_ms,
            },
        )
    return None


def _node_entry_for(prompt: TimelineEntry, other: TimelineEntry) -> bool:
    """Whether ``other`` is the node entry the prompt was played for (same attempt, same node,
    and the same execution index when the prompt knows it)."""
    ctx, octx = prompt.data.get(NODE_CONTEXT), other.data.get(NODE_CONTEXT)
    if other.type == PLAYBACK or not isinstance(ctx, dict) or not isinstance(octx, dict):
        return False
    index = ctx.get("nodeExecutionIndex")
    return (
        other.data.get("attemptId") == prompt.data.get("attemptId")
        and octx.get("nodeId") == ctx.get("nodeId")
        and (index is None or octx.get("nodeExecutionIndex") == index)
    )


def complete_node_contexts(entries: Sequence[TimelineEntry]) -> list[TimelineEntry]:
    """Give each prompt (``playback``) the node context of the node it was played for: a play
    node or a dtmf node's prompt. The dialer records a node once it is done, so that is the first
    entry of the node after the prompt (else the last one before it)."""
    result = list(entries)
    for i, entry in enumerate(result):
        if entry.type != PLAYBACK:
            continue
        candidates = [*result[i + 1 :], *reversed(result[:i])]
        node = next((o for o in candidates if _node_entry_for(entry, o)), None)
        if node is not None:
            result[i] = replace(entry, data={**entry.data, NODE_CONTEXT: dict(node.data[NODE_CONTEXT])})
    return result
