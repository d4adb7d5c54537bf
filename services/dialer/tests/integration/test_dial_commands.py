"""The dialer against a real NATS JetStream and a real SIP callee (SIPp): exactly-once dialling."""

from __future__ import annotations

import asyncio

import pytest
from dialer_test_kit import play_flow
from litestar.testing import AsyncTestClient
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import CallAttemptStarted, CallEnded, DialRequested, PromptPlayed
from callcast_contracts.streams import CALLS, DIAL_COMMANDS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_dialer.adapters.audio_store import AUDIO_BUCKET
from callcast_dialer.bootstrap import build_spec
from callcast_runtime.messaging import EventStore
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings
from callcast_stack.sipp import SippCallee

pytestmark = pytest.mark.integration

#: The longest hole tolerated in SIPp's echo of our stream: its echo thread alone stalls for up to
#: ~100 ms on a busy 2-core machine (docs/benchmarks.md). Frame counts are checked exactly; this
#: only catches a stream that stopped.
ECHO_STALL_MS = 250


ORG = "0b5f6a52-3a70-4a38-9a53-0c6cc3a5e001"
PROMPT_FRAMES = 50  # one second of audio


async def _command(js, audio_id: str) -> tuple[str, DialRequested]:  # type: ignore[no-untyped-def]
    attempt = ids.new_id()
    cmd = DialRequested(
        attempt_id=attempt,
        attempt_number=1,
        job_id=ids.new_id(),
        execution_id=None,
        program_id=None,
        contact_id=ids.new_id(),
        to="+212600000001",
        caller_id="+212500000000",
        flow=play_flow(audio_id),
        contact={"firstName": "Test"},
    )
    return attempt, cmd


async def _put_audio(js, frames: int) -> str:  # type: ignore[no-untyped-def]
    try:
        bucket = await js.object_store(AUDIO_BUCKET)
    except Exception:
        from nats.js.api import ObjectStoreConfig

        bucket = await js.create_object_store(AUDIO_BUCKET, config=ObjectStoreConfig(bucket=AUDIO_BUCKET))
    audio_id = ids.new_id()
    await bucket.put(f"{ORG}/{audio_id}.ulaw", bytes([0xFF]) * (160 * frames))
    return audio_id


async def _dial_queue_drained(js, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """The dialer took and acknowledged every command (so the second copy was handled)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        info = await js.consumer_info(DIAL_COMMANDS.name, "dialer")
        if info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.consumer_seq >= 2:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the dialer did not handle both copies of the command")


async def _wait_ended(events: EventStore, attempt: str, timeout: float = 20.0) -> list:  # type: ignore[type-arg]
    subj = subject(Context.CALLS, ORG, Aggregate.ATTEMPT, attempt)
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        history = await events.load(CALLS.name, subj)
        if history and isinstance(history[-1].envelope.data, CallEnded):
            return history
        await asyncio.sleep(0.2)
    raise AssertionError(f"attempt {attempt} did not end")


async def test_redelivered_dial_command_dials_once(
    nats_url: str,
    callee: SippCallee,
    js: JetStreamContext,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    host, port = callee.address
    monkeypatch.setenv("NATS_URL", nats_url)
    monkeypatch.setenv("CALLCAST_SIP_TRUNK", f"{host}:{port}")
    app = create_app(build_spec(), load_settings("dialer"))
    events = EventStore(js)
    audio_id = await _put_audio(js, PROMPT_FRAMES)
    attempt, cmd = await _command(js, audio_id)
    env = envelope(cmd, org_id=ORG, aggregate_id=attempt)
    dial_subject = subject(Context.DIAL, ORG, Aggregate.ATTEMPT, attempt)
    async with AsyncTestClient(app):
        await events.append(dial_subject, env, msg_id=f"dial-{attempt}")
        history = await _wait_ended(events, attempt)
        # The same command again, as if the duplicate window had passed (another msg-id).
        await events.append(dial_subject, env, msg_id=f"dial-{attempt}-again")
        await _dial_queue_drained(js)
        again = await events.load(CALLS.name, subject(Context.CALLS, ORG, Aggregate.ATTEMPT, attempt))

    assert [e.envelope.type for e in again] == [e.envelope.type for e in history]
    assert isinstance(history[0].envelope.data, CallAttemptStarted)
    ended = history[-1].envelope.data
    assert isinstance(ended, CallEnded)
    assert ended.outcome == "completed", ended.outcome_reason
    played = [e.envelope.data for e in history if isinstance(e.envelope.data, PromptPlayed)]
    assert len(played) == 1
    assert played[0].packets_sent == PROMPT_FRAMES
    assert abs(played[0].packets_received - PROMPT_FRAMES) <= 1
    assert played[0].max_receive_gap_ms is not None
    assert played[0].max_receive_gap_ms <= ECHO_STALL_MS
    counts = await callee.wait_for_counts(successful=1)
    assert counts.total == 1, "SIPp saw more than one call for one attempt"
