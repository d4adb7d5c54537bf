"""Cancelling an execution, against a real NATS JetStream and SIPp: its live calls end with the
outcome ``cancelled`` (answered ones get our BYE, ringing ones our CANCEL), other executions'
calls go on, and its commands still queued end ``cancelled`` without a call."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from dialer_test_kit import (
    ORG,
    dialer,
    ended_of,
    history,
    play_flow,
    put_prompt,
    sipp_callee,
    wait_answered,
    wait_ended,
    wait_for_event,
)
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import (
    CallAttemptStarted,
    CallEnded,
    CallHungUp,
    CallRinging,
    DialRequested,
    ExecutionCancelled,
    ExecutionStopped,
)
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_runtime.messaging import EventStore
from callcast_stack.sipp import SippCallee

pytestmark = pytest.mark.integration

SETTINGS = DialerSettings(max_calls=4, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=5.0)


async def queue_call(events: EventStore, execution_id: str, flow: FlowSnapshot) -> str:
    attempt = ids.new_id()
    cmd = DialRequested(
        attempt_id=attempt,
        attempt_number=1,
        job_id=ids.new_id(),
        execution_id=execution_id,
        program_id=ids.new_id(),
        contact_id=ids.new_id(),
        to="+212600000007",
        caller_id="+212500000007",
        flow=flow,
        contact={},
    )
    await events.append(
        subject(Context.DIAL, ORG, Aggregate.ATTEMPT, attempt),
        envelope(cmd, org_id=ORG, aggregate_id=attempt),
        msg_id=f"dial-{attempt}",
    )
    return attempt


async def cancel(events: EventStore, execution_id: str, *, end_live_calls: bool = True) -> None:
    await events.append(
        subject(Context.PROGRAMS, ORG, Aggregate.EXECUTION, execution_id),
        envelope(
            ExecutionCancelled(execution_id=execution_id, reason="by test", end_live_calls=end_live_calls),
            org_id=ORG,
            aggregate_id=execution_id,
        ),
        msg_id=f"execution-{execution_id}-cancelled",
    )


async def test_cancelling_an_execution_ends_its_answered_call_cancelled_and_spares_the_others(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    events = EventStore(js)
    long_prompt, short_prompt = await put_prompt(js, seconds=30.0), await put_prompt(js, seconds=4.0)
    doomed, spared = ids.new_id(), ids.new_id()
    async with (
        sipp_callee(tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-cancel"),
    ):
        cancelled_call = await queue_call(events, doomed, play_flow(long_prompt))
        other_call = await queue_call(events, spared, play_flow(short_prompt))
        await wait_answered(events, cancelled_call)
        await wait_answered(events, other_call)
        await cancel(events, doomed)
        cancelled_history = await wait_ended(events, cancelled_call, timeout=10.0)
        other_history = await wait_ended(events, other_call, timeout=20.0)
        counts = await callee.wait_for_counts(successful=2)

    [end] = ended_of(cancelled_history)
    assert (end.outcome, end.outcome_reason, end.hangup_by) == ("cancelled", "execution cancelled: by test", "us")
    assert end.duration_ms is not None
    assert end.duration_ms < 15_000  # cut short: the prompt alone is 30 s
    [hung_up] = [e.envelope.data for e in cancelled_history if isinstance(e.envelope.data, CallHungUp)]
    assert (hung_up.by, hung_up.cause, hung_up.sip_status) == ("us", "cancelled", 200)
    assert isinstance(cancelled_history[-1].envelope.data, CallEnded)
    assert [e.outcome for e in ended_of(other_history)] == ["completed"]
    assert (counts.successful, counts.failed) == (2, 0)  # both calls ended with a proper BYE


async def test_a_cancellation_that_keeps_live_calls_lets_the_answered_call_finish_its_flow(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    events = EventStore(js)
    execution = ids.new_id()
    flow = play_flow(await put_prompt(js, seconds=3.0))
    async with (
        sipp_callee(tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-cancel-keep"),
    ):
        attempt = await queue_call(events, execution, flow)
        await wait_answered(events, attempt)
        await cancel(events, execution, end_live_calls=False)
        found = await wait_ended(events, attempt, timeout=20.0)
        late = await queue_call(events, execution, flow)  # pulled after the cancellation
        late_found = await wait_ended(events, late, timeout=10.0)

    [end] = ended_of(found)
    assert end.outcome == "completed"  # digest §11.1: calls in progress continue
    [late_end] = ended_of(late_found)
    assert late_end.outcome == "cancelled"
    assert late_end.answered_at is None


async def test_a_ringing_call_of_a_cancelled_execution_is_cancelled_with_sip_cancel(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    events = EventStore(js)
    execution = ids.new_id()
    flow = play_flow(await put_prompt(js, seconds=1.0))  # its dial rings for at most 5 s
    async with (
        SippCallee("ring_no_answer", log_dir=tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-cancel-ringing"),
    ):
        attempt = await queue_call(events, execution, flow)
        await wait_for_event(events, attempt, CallRinging)
        await cancel(events, execution)
        found = await wait_ended(events, attempt, timeout=10.0)
        # The scenario succeeds only when our CANCEL came (200 to it, 487 ACKed).
        counts = await callee.wait_for_counts(successful=1)

    [end] = ended_of(found)
    assert (end.outcome, end.outcome_reason) == ("cancelled", "execution cancelled: by test")
    assert end.answered_at is None
    assert (counts.successful, counts.failed) == (1, 0)


async def test_a_queued_command_of_a_cancelled_execution_ends_cancelled_without_a_call(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    events = EventStore(js)
    execution = ids.new_id()
    audio = await put_prompt(js, seconds=1.0)
    async with (
        sipp_callee(tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-cancel-queued") as running,
    ):
        await cancel(events, execution)
        for _ in range(100):
            if execution in running.handler.cancelled_executions:
                break
            await asyncio.sleep(0.05)
        assert execution in running.handler.cancelled_executions
        attempt = await queue_call(events, execution, play_flow(audio))
        found = await wait_ended(events, attempt, timeout=10.0)
        counts = callee.counts()

    assert [type(e.envelope.data) for e in await history(events, attempt)] == [CallAttemptStarted, CallEnded]
    [end] = ended_of(found)
    assert end.outcome == "cancelled"
    assert end.outcome_reason == "execution cancelled: by test (before the call was placed)"
    assert counts.created == 0  # never dialled


async def test_a_queued_command_of_a_stopped_execution_ends_cancelled_without_a_call(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    events = EventStore(js)
    execution = ids.new_id()
    audio = await put_prompt(js, seconds=1.0)
    async with (
        sipp_callee(tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-stopped-queued") as running,
    ):
        await events.append(
            subject(Context.PROGRAMS, ORG, Aggregate.EXECUTION, execution),
            envelope(ExecutionStopped(execution_id=execution), org_id=ORG, aggregate_id=execution),
            msg_id=f"execution-{execution}-stopped",
        )
        for _ in range(100):
            if execution in running.handler.cancelled_executions:
                break
            await asyncio.sleep(0.05)
        attempt = await queue_call(events, execution, play_flow(audio))
        found = await wait_ended(events, attempt, timeout=10.0)
        counts = callee.counts()

    [end] = ended_of(found)
    assert end.outcome == "cancelled"
    assert end.outcome_reason == "execution cancelled: execution stopped (stopAt) (before the call was placed)"
    assert counts.created == 0


async def test_a_dialer_starting_after_a_cancellation_never_dials_the_commands_left_queued(
    nats_url: str, tmp_path: Path, js: JetStreamContext
) -> None:
    # The execution was cancelled while its command waited and no dialer ran: the dialer that
    # starts catches up with recent cancellations before it pulls a command.
    events = EventStore(js)
    execution = ids.new_id()
    attempt = await queue_call(events, execution, play_flow(await put_prompt(js, seconds=1.0)))
    await cancel(events, execution)
    async with (
        sipp_callee(tmp_path) as callee,
        dialer(nats_url=nats_url, callee=callee, settings=SETTINGS, instance_id="dialer-cancel-lookback"),
    ):
        found = await wait_ended(events, attempt, timeout=15.0)
        counts = callee.counts()

    [end] = ended_of(found)
    assert (end.outcome, end.outcome_reason) == (
        "cancelled",
        "execution cancelled: by test (before the call was placed)",
    )
    assert counts.created == 0
