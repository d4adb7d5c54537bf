"""The event → report mapping, driven through the real handlers with an in-memory repository."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reporting_fakes import Feeder, InMemoryReportRepository
from reporting_scenario import CALLER_ID, PHONE, Appended, Scenario, expected_report

from callcast_contracts.streams import CALLS, PROGRAMS

pytestmark = pytest.mark.unit


async def report_after(*batches: list[Appended], scenario: Scenario) -> dict:  # type: ignore[type-arg]
    repo = InMemoryReportRepository()
    feeder = Feeder(repo)
    for batch in batches:
        await feeder.feed(batch)
    return repo.report(scenario.job_id)


async def test_report_of_a_busy_then_completed_job_lists_both_attempts_and_the_last_call() -> None:
    s = Scenario()
    assert await report_after(s.history(), scenario=s) == expected_report(s)


async def test_enrolled_job_is_queued_with_no_call_yet() -> None:
    s = Scenario()
    report = await report_after(s.enrolment(), scenario=s)
    assert report["status"] == "queued"
    assert (report["executionId"], report["programId"], report["contactId"]) == (
        s.execution_id,
        s.program_id,
        s.contact_id,
    )
    assert report["attempts"] == []
    assert report["call"] is None
    assert report["flowExecution"] is None
    assert report["events"] == []


async def test_dispatched_attempt_is_a_queued_call_before_the_dialer_starts() -> None:
    s = Scenario()
    report = await report_after(s.enrolment(), [s.dispatched(1, 0.5)], scenario=s)
    assert report["status"] == "queued"
    assert [(a["attemptNumber"], a["status"]) for a in report["attempts"]] == [(1, "queued")]
    assert report["call"]["status"] == "queued"
    assert (report["call"]["from"], report["call"]["to"]) == (CALLER_ID, PHONE)
    assert report["flowExecution"] is None


async def test_job_is_active_while_its_latest_call_rings_and_runs() -> None:
    s = Scenario()
    attempt = s.busy_attempt()
    ringing = await report_after(s.enrolment(), [s.dispatched(1, 0.5)], attempt[:2], scenario=s)
    assert (ringing["status"], ringing["call"]["status"], ringing["outcome"]) == ("active", "ringing", None)
    answered = await report_after(s.completed_attempt()[:3], scenario=s)
    assert (answered["status"], answered["call"]["status"]) == ("active", "in_progress")
    assert answered["call"]["answeredAt"] == answered["events"][-1]["timestamp"]


async def test_ended_call_keeps_the_job_active_until_the_scheduler_decides() -> None:
    s = Scenario()
    report = await report_after(s.enrolment(), [s.dispatched(1, 0.5)], s.busy_attempt(), scenario=s)
    assert (report["status"], report["outcome"], report["outcomeReason"]) == ("active", "busy", "486 Busy Here")
    assert report["flowExecution"]["executionPath"][0]["outputPath"] == "onBusy"


async def test_job_waits_queued_with_the_last_outcome_once_a_retry_is_scheduled() -> None:
    s = Scenario()
    first = [*s.enrolment(), s.dispatched(1, 0.5), *s.busy_attempt()]
    waiting = await report_after(first, [s.retry_scheduled()], scenario=s)
    assert (waiting["status"], waiting["outcome"], waiting["attempts"][0]["status"]) == ("queued", "busy", "busy")
    retry = await report_after(first, [s.retry_scheduled(), s.dispatched(2, 59)], scenario=s)
    assert (retry["status"], retry["outcome"], len(retry["attempts"])) == ("queued", None, 2)
    assert retry["call"]["status"] == "queued"
    assert retry["flowExecution"] is None


async def test_test_call_without_execution_is_settled_by_its_call() -> None:
    s = Scenario()
    calls = s.completed_attempt()
    started = calls[0].env.data
    calls[0].env = msgspec.structs.replace(
        calls[0].env, data=msgspec.structs.replace(started, execution_id=None, program_id=None)
    )
    report = await report_after(calls, scenario=s)
    assert (report["status"], report["outcome"], report["executionId"]) == ("completed", "completed", None)


async def test_the_scheduler_verdict_decides_the_final_status_even_when_it_arrives_first() -> None:
    s = Scenario()
    early_verdict = [item for item in s.history() if item.stream == PROGRAMS.name]
    calls = [item for item in s.history() if item.stream == CALLS.name]
    report = await report_after(early_verdict, calls, scenario=s)
    assert report == expected_report(s)


async def test_dialer_events_before_the_scheduler_events_give_the_same_report() -> None:
    s = Scenario()
    calls = [item for item in s.history() if item.stream == CALLS.name]
    programs = [item for item in s.history() if item.stream == PROGRAMS.name]
    assert await report_after(calls, programs, scenario=s) == expected_report(s)


@st.composite
def interleavings(draw: st.DrawFn, s: Scenario) -> list[Appended]:
    """Any merge of the two streams that keeps each stream's own order (as two consumers see it)."""
    calls = [item for item in s.history() if item.stream == CALLS.name]
    programs = [item for item in s.history() if item.stream == PROGRAMS.name]
    picks = draw(st.permutations([CALLS.name] * len(calls) + [PROGRAMS.name] * len(programs)))
    queues = {CALLS.name: iter(calls), PROGRAMS.name: iter(programs)}
    return [next(queues[stream]) for stream in picks]


SCENARIO = Scenario()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=interleavings(SCENARIO))
async def test_any_interleaving_of_the_two_streams_gives_the_same_report(order: list[Appended]) -> None:
    assert await report_after(order, scenario=SCENARIO) == expected_report(SCENARIO)


async def test_each_ended_attempt_publishes_one_outcome_even_when_replayed() -> None:
    s = Scenario()
    repo = InMemoryReportRepository()
    await Feeder(repo).feed(s.history())
    # A rebuild empties the view but keeps the publication ledger.
    rebuilt = InMemoryReportRepository()
    rebuilt.claimed = repo.claimed
    await Feeder(rebuilt).feed(s.history())
    assert rebuilt.report(s.job_id) == repo.report(s.job_id)
    assert rebuilt.published == []
    subjects = {subject for subject, _, _ in repo.published}
    assert subjects == {f"outcomes.{s.org_id}.job.{s.job_id}"}
    assert [msg_id for _, _, msg_id in repo.published] == [
        f"outcome-{s.attempt_id(1)}",
        f"outcome-{s.attempt_id(2)}",
    ]
    busy, completed = (env.data for _, env, _ in repo.published)
    assert (busy.attempt_number, busy.outcome, busy.outcome_reason, busy.to) == (1, "busy", "486 Busy Here", PHONE)
    assert (completed.outcome, completed.answered_by, completed.duration_ms) == ("completed", "human", 8000)
    assert (completed.execution_id, completed.program_id, completed.contact_id) == (
        s.execution_id,
        s.program_id,
        s.contact_id,
    )
