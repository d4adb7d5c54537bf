"""How events change an attempt record, whatever order the two streams arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from reporting_scenario import CALLER_ID, PHONE, Scenario

from callcast_contracts.events import AttemptDispatched, CallAnswered, PromptPlayed
from callcast_reporting.domain import projection as p
from callcast_reporting.domain.media import add_prompt
from callcast_reporting.domain.records import JobRecord

pytestmark = pytest.mark.unit

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def job(s: Scenario) -> JobRecord:
    facts = p.JobFacts(execution_id=s.execution_id, contact_id=s.contact_id, phone=PHONE)
    return p.job_with_facts(p.new_job(s.org_id, s.job_id, T0), facts, T0)


def test_a_call_status_never_moves_back() -> None:
    s = Scenario()
    started = p.attempt_started(None, job(s), s.started(1, 1).env.data, T0)
    answer = CallAnswered(attempt_id=started.attempt_id, answered_by="human", answered_at=T0)
    answered = p.attempt_answered(started, answer)
    assert p.attempt_ringing(answered, T0).status == "in_progress"


def test_a_late_dispatch_fills_gaps_without_undoing_the_call() -> None:
    s = Scenario()
    started = p.attempt_started(None, job(s), s.started(1, 1).env.data, s.at(1))
    dispatched = AttemptDispatched(
        job_id=s.job_id, execution_id=s.execution_id, attempt_id=s.attempt_id(1), attempt_number=1, caller_id="+1"
    )
    after = p.attempt_dispatched(started, job(s), dispatched, s.at(0.5))
    assert (after.status, after.from_number, after.to_number) == ("dialing", CALLER_ID, PHONE)
    assert after.created_at == s.at(0.5)


def test_a_late_start_moves_a_queued_attempt_to_dialing_with_the_dialer_facts() -> None:
    s = Scenario()
    dispatched = AttemptDispatched(
        job_id=s.job_id, execution_id=s.execution_id, attempt_id=s.attempt_id(1), attempt_number=1, caller_id="+1"
    )
    queued = p.attempt_dispatched(None, job(s), dispatched, s.at(0.5))
    assert (queued.status, queued.from_number, queued.to_number) == ("queued", "+1", PHONE)
    started = p.attempt_started(queued, job(s), s.started(1, 1).env.data, s.at(1))
    assert (started.status, started.from_number, started.flow_version, started.dialed_at) == (
        "dialing",
        CALLER_ID,
        3,
        s.at(1),
    )


def test_nodes_are_appended_to_the_execution_path_in_order() -> None:
    s = Scenario()
    a = p.attempt_started(None, job(s), s.started(2, 60).env.data, s.at(60))
    for item in s.completed_attempt()[3:]:
        if item.env.type == "FlowNodeExecuted":
            a = p.attempt_node_executed(a, item.env.data)
    assert [e["nodeId"] for e in a.execution_path] == ["dial-1", "play-1", "menu-1", "set-1", "hangup-1"]
    assert a.node_execution_count == 5


def prompt(ms: int, gap: float | None, interrupted: bool = False) -> PromptPlayed:
    return PromptPlayed(
        attempt_id="a",
        node_id="p",
        items=[],
        duration_ms=ms,
        packets_sent=ms // 20,
        packets_received=ms // 20 - 1,
        max_receive_gap_ms=gap,
        max_send_lateness_ms=ms / 1000,
        interrupted=interrupted,
    )


def test_media_stats_add_up_over_prompts_and_keep_the_worst_gaps() -> None:
    media = add_prompt(add_prompt({}, prompt(2000, None)), prompt(1000, 60.0, interrupted=True))
    assert media == {
        "promptsPlayed": 2,
        "playedMs": 3000,
        "packetsSent": 150,
        "packetsReceived": 148,
        "maxReceiveGapMs": 60.0,
        "maxSendLatenessMs": 2.0,
        "promptsInterrupted": 1,
    }


def test_the_dialer_node_count_wins_over_ours_when_the_call_ends() -> None:
    s = Scenario()
    a = p.attempt_started(None, job(s), s.started(1, 1).env.data, s.at(1))
    ended = p.attempt_ended(a, s.busy_attempt()[-1].env.data)
    assert (ended.status, ended.outcome, ended.sip_status, ended.node_execution_count) == ("busy", "busy", 486, 1)
    assert ended.terminated_at - ended.dialed_at == timedelta(seconds=3)  # type: ignore[operator]
