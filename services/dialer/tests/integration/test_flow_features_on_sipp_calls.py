"""The dialer service (real NATS JetStream, SIPp callees) running flows with spoken numbers and
key presses: dial commands in, call events out, a stand-in flow responder for the clips."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import wave
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import nats
import numpy as np
import pytest
from dialer_flow_stand_in import StandInFlowService, audio_bucket, ulaw_of
from litestar.testing import AsyncTestClient
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_contracts.envelope import Event, envelope
from callcast_contracts.events import (
    AmdCompleted,
    CallAnswered,
    CallEnded,
    CallHungUp,
    DialRequested,
    DigitReceived,
    FlowNodeEntered,
    FlowNodeExecuted,
    PromptPlayed,
    RecordingSaved,
)
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import ALL_STREAMS, CALLS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_dialer.adapters.recording_store import RecordingStore
from callcast_dialer.bootstrap import build_spec
from callcast_runtime.messaging import EventStore, ensure_streams
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings
from callcast_stack.sipp import SippCallee
from callcast_telephony.amd.corpus import ClipRecipe, Segment, render_clip

pytestmark = pytest.mark.integration

#: The longest hole tolerated in SIPp's echo of our stream: its echo thread alone stalls for up to
#: ~100 ms on a busy 2-core machine (docs/benchmarks.md). Frame counts are checked exactly; this
#: only catches a stream that stopped.
ECHO_STALL_MS = 250


ORG = "0192f0c1-5a1e-7000-8000-0000000a5e02"
WELCOME_FRAMES, FORTY_FRAMES, TWO_FRAMES = 40, 25, 15


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    connection = await nats.connect(nats_url)
    await ensure_streams(connection.jetstream(), ALL_STREAMS)
    yield connection
    await connection.close()


@pytest.fixture
async def js(nc: NatsClient) -> JetStreamContext:
    return nc.jetstream()


@pytest.fixture
async def flow_service(nc: NatsClient, js: JetStreamContext) -> AsyncIterator[StandInFlowService]:
    service = await StandInFlowService(nc, js).start()
    await service.add_clip("fr", "40", ulaw_of(0x40, FORTY_FRAMES))
    await service.add_clip("fr", "2", ulaw_of(0x02, TWO_FRAMES))
    yield service
    await service.stop()


@pytest.fixture
async def welcome_audio(js: JetStreamContext) -> str:
    audio_id = ids.new_id()
    await (await audio_bucket(js)).put(f"{ORG}/{audio_id}.ulaw", ulaw_of(0x77, WELCOME_FRAMES))
    return audio_id


DialerFor = Callable[[SippCallee], AbstractAsyncContextManager[None]]


@pytest.fixture
def dialer_for(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> DialerFor:
    """The dialer service, its trunk pointed at a callee, running for the ``async with`` block."""

    @asynccontextmanager
    async def run(callee: SippCallee) -> AsyncIterator[None]:
        host, port = callee.address
        monkeypatch.setenv("NATS_URL", nats_url)
        monkeypatch.setenv("CALLCAST_SIP_TRUNK", f"{host}:{port}")
        async with AsyncTestClient(create_app(build_spec(), load_settings("dialer"))):
            yield

    return run


async def run_call(js: JetStreamContext, nodes: list[dict[str, Any]], contact: dict[str, Any]) -> list[Event]:
    """Send one dial command; the attempt's events once it has ended."""
    attempt = ids.new_id()
    cmd = DialRequested(
        attempt_id=attempt,
        attempt_number=1,
        job_id=ids.new_id(),
        execution_id=None,
        program_id=None,
        contact_id=ids.new_id(),
        to="+212600000042",
        caller_id="+212500000042",
        flow=FlowSnapshot(
            flow_id=ids.new_id(),
            version=1,
            name="features",
            graph_hash="sha256:test",
            start_node_id="dial-1",
            nodes=nodes,
        ),
        contact=contact,
    )
    events = EventStore(js)
    await events.append(
        subject(Context.DIAL, ORG, Aggregate.ATTEMPT, attempt),
        envelope(cmd, org_id=ORG, aggregate_id=attempt),
        msg_id=f"dial-{attempt}",
    )
    calls = subject(Context.CALLS, ORG, Aggregate.ATTEMPT, attempt)
    for _ in range(300):
        history = await events.load(CALLS.name, calls)
        if history and isinstance(history[-1].envelope.data, CallEnded):
            return [h.envelope.data for h in history]
        await asyncio.sleep(0.1)
    raise AssertionError(f"attempt {attempt} did not end within 30 s")


def sent_by_sipp(messages: str) -> list[str]:
    """The start line of every SIP message SIPp sent (its ``-trace_msg`` log)."""
    blocks = messages.split("message sent")[1:]
    return [block.split(":", 1)[1].strip().splitlines()[0] for block in blocks]


def path_of(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.node_id, e.output_path) for e in events if isinstance(e, FlowNodeExecuted)]


def ended(events: list[Event]) -> CallEnded:
    last = events[-1]
    assert isinstance(last, CallEnded)
    return last


DIAL = {"id": "dial-1", "type": "dial", "config": {"timeout": 5000, "enableAMD": False},
        "outputs": {"onAnswer": "play-1"}}  # fmt: skip
HANGUP = {"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}}
AMOUNT = {"type": "number", "value": {"type": "customAttribute", "name": "amount_due"}, "language": "fr"}


async def test_a_number_follows_the_audio_file_in_one_gapless_stream(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService, welcome_audio: str
) -> None:
    play = {"id": "play-1", "type": "play", "outputs": {"onComplete": "hangup-1"},
            "config": {"items": [{"type": "audioFile", "audioId": welcome_audio}, AMOUNT]}}  # fmt: skip
    async with SippCallee("answer", log_dir=tmp_path, rtp_echo=True) as callee, dialer_for(callee):
        events = await run_call(js, [DIAL, play, HANGUP], {"customAttributes": {"amount_due": 42}})
        counts = await callee.wait_for_counts(successful=1)

    assert ended(events).outcome == "completed", ended(events).outcome_reason
    assert path_of(events) == [("dial-1", "onAnswer"), ("play-1", "onComplete"), ("hangup-1", None)]
    [prompt] = [e for e in events if isinstance(e, PromptPlayed)]
    assert prompt.items == [
        {"type": "audioFile", "audioId": welcome_audio},
        {"type": "number", "value": 42, "language": "fr", "keys": ["40", "2"]},
    ]
    assert prompt.node_execution_index == 2
    # One talkspurt: every frame of the file and both clips, echoed back with no hole between parts.
    assert prompt.packets_sent == WELCOME_FRAMES + FORTY_FRAMES + TWO_FRAMES
    assert abs(prompt.packets_received - prompt.packets_sent) <= 1
    assert prompt.max_receive_gap_ms is not None
    assert prompt.max_receive_gap_ms <= ECHO_STALL_MS
    assert prompt.interrupted is False
    assert (counts.successful, counts.failed) == (1, 0)


async def test_a_number_without_clips_fails_the_play_node_and_its_on_error_output_is_taken(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService, welcome_audio: str
) -> None:
    ninety_one = {"type": "number", "value": 91, "language": "fr"}  # 80 11: no clip for either
    play = {"id": "play-1", "type": "play", "config": {"items": [ninety_one]},
            "outputs": {"onComplete": "hangup-1", "onError": "sorry-1"}}  # fmt: skip
    sorry = {"id": "sorry-1", "type": "play", "outputs": {"onComplete": "hangup-1"},
             "config": {"items": [{"type": "audioFile", "audioId": welcome_audio}]}}  # fmt: skip
    async with SippCallee("answer", log_dir=tmp_path) as callee, dialer_for(callee):
        events = await run_call(js, [DIAL, play, sorry, HANGUP], {})

    assert ended(events).outcome == "completed", ended(events).outcome_reason
    assert path_of(events) == [
        ("dial-1", "onAnswer"), ("play-1", "onError"), ("sorry-1", "onComplete"), ("hangup-1", None),
    ]  # fmt: skip
    assert [e.node_id for e in events if isinstance(e, PromptPlayed)] == ["sorry-1"]


async def test_without_an_error_output_the_call_fails_with_the_reason(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService
) -> None:
    play = {"id": "play-1", "type": "play", "outputs": {"onComplete": "hangup-1"},
            "config": {"items": [{"type": "number", "value": 91, "language": "fr"}]}}  # fmt: skip
    async with SippCallee("answer", log_dir=tmp_path) as callee, dialer_for(callee):
        events = await run_call(js, [DIAL, play, HANGUP], {})
        counts = await callee.wait_for_counts(successful=1)

    end = ended(events)
    assert end.outcome == "failed"
    assert end.outcome_reason == (
        "play-1: cannot play the prompt: item 1 (number 91 (fr)): no fr dictionary has a clip for '80', '11'"
    )
    assert end.hangup_by == "us"
    assert (counts.successful, counts.failed) == (1, 0)  # the call was hung up properly


@pytest.mark.skipif(os.geteuid() != 0, reason="SIPp's play_dtmf sends through raw sockets (root)")
async def test_a_key_sent_as_rfc4733_after_the_prompt_takes_its_branch(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService, welcome_audio: str
) -> None:
    play = {"id": "play-1", "type": "play", "outputs": {"onComplete": "dtmf-1"},
            "config": {"items": [{"type": "audioFile", "audioId": welcome_audio}]}}  # fmt: skip
    dtmf = {"id": "dtmf-1", "type": "dtmf",
            "config": {"mode": "single_digit", "timeoutMs": 10000, "variable": "choice", "maxRetries": 0},
            "outputs": {"branches": {"1": "hangup-1"}, "onTimeout": "hangup-2"}}  # fmt: skip
    hangup_2 = {"id": "hangup-2", "type": "hangup", "config": {}, "outputs": {}}
    # The callee presses 1 two seconds after answering: after the 0.8 s prompt, while we listen.
    async with (
        SippCallee("dtmf", log_dir=tmp_path, dtmf_digits="1", pause_ms=2000, trace_messages=True) as callee,
        dialer_for(callee),
    ):
        events = await run_call(js, [DIAL, play, dtmf, HANGUP, hangup_2], {})
        counts = await callee.wait_for_counts(successful=1)

    end = ended(events)
    assert end.outcome == "completed", end.outcome_reason
    assert path_of(events) == [
        ("dial-1", "onAnswer"), ("play-1", "onComplete"), ("dtmf-1", "branches.1"), ("hangup-1", None),
    ]  # fmt: skip
    assert end.final_variables == {"choice": "1"}
    [dtmf_node] = [e for e in events if isinstance(e, FlowNodeExecuted) and e.node_id == "dtmf-1"]
    facts = dtmf_node.data
    assert (facts["digits"], facts["result"], facts["attempts"]) == ("1", "success", 1)
    [key] = facts["keysReceived"]
    assert (key["digit"], key["via"]) == ("1", "rfc4733")
    assert key["afterMs"] > 0  # pressed while the node listened, not during the prompt
    # The key came over RTP: SIPp sent SIP responses only (180, 200 to the INVITE, 200 to our BYE), no INFO.
    assert sent_by_sipp(callee.messages()) == ["SIP/2.0 180 Ringing", "SIP/2.0 200 OK", "SIP/2.0 200 OK"]
    assert (counts.successful, counts.failed) == (1, 0)


def kinds(events: list[Event]) -> list[str]:
    """Each event's type, with the node it is about where it has one."""
    return [f"{type(e).__name__}:{e.node_id}" if hasattr(e, "node_id") else type(e).__name__ for e in events]


async def test_every_step_of_a_call_leaves_its_event_on_the_attempt_in_order(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService, welcome_audio: str
) -> None:
    play = {"id": "play-1", "type": "play", "outputs": {"onComplete": "set-1"},
            "config": {"items": [{"type": "audioFile", "audioId": welcome_audio}]}}  # fmt: skip
    set_variable = {"id": "set-1", "type": "set_variable", "outputs": {"default": "hangup-1"},
                    "config": {"variable": "heard", "value": {"type": "literal", "value": True}}}  # fmt: skip
    async with SippCallee("answer", log_dir=tmp_path) as callee, dialer_for(callee):
        events = await run_call(js, [DIAL, play, set_variable, HANGUP], {})

    assert kinds(events) == [
        "CallAttemptStarted",
        "FlowNodeEntered:dial-1",
        "CallRinging",
        "CallAnswered",
        "FlowNodeExecuted:dial-1",
        "FlowNodeEntered:play-1",
        "PromptStarted:play-1",
        "PromptPlayed:play-1",
        "FlowNodeExecuted:play-1",
        "FlowNodeEntered:set-1",
        "FlowNodeExecuted:set-1",
        "FlowNodeEntered:hangup-1",
        "FlowNodeExecuted:hangup-1",
        "CallHungUp",
        "CallEnded",
    ]
    entered = [e for e in events if isinstance(e, FlowNodeEntered)]
    assert [e.node_execution_index for e in entered] == [1, 2, 3, 4]
    assert {e.job_id for e in entered} == {ended(events).job_id}
    [hung_up] = [e for e in events if isinstance(e, CallHungUp)]
    assert (hung_up.by, hung_up.cause, hung_up.sip_status) == ("us", "flow_hangup", 200)
    assert ended(events).outcome == "completed"
    assert ended(events).final_variables == {"heard": True}


async def test_the_callee_hanging_up_during_a_prompt_ends_the_call_as_user_hangup(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService
) -> None:
    long_audio = ids.new_id()
    await (await audio_bucket(js)).put(f"{ORG}/{long_audio}.ulaw", ulaw_of(0x55, 250))  # 5 s
    play = {"id": "play-1", "type": "play", "outputs": {"onComplete": "hangup-1"},
            "config": {"items": [{"type": "audioFile", "audioId": long_audio}]}}  # fmt: skip
    async with SippCallee("answer_then_bye", log_dir=tmp_path, pause_ms=1500) as callee, dialer_for(callee):
        events = await run_call(js, [DIAL, play, HANGUP], {})
        counts = await callee.wait_for_counts(successful=1)

    end = ended(events)
    assert (end.outcome, end.hangup_by) == ("user_hangup", "callee")
    assert end.outcome_reason == "the callee hung up at play-1"
    [prompt] = [e for e in events if isinstance(e, PromptPlayed)]
    assert prompt.interrupted is True
    assert 0 < prompt.packets_sent < 250  # stopped when the BYE came, ~1.5 s in
    [hung_up] = [e for e in events if isinstance(e, CallHungUp)]
    assert (hung_up.by, hung_up.cause, hung_up.sip_status) == ("callee", "bye", None)
    assert path_of(events) == [("dial-1", "onAnswer"), ("play-1", None)]
    assert (counts.successful, counts.failed) == (1, 0)


@pytest.mark.skipif(os.geteuid() != 0, reason="SIPp's play_dtmf sends through raw sockets (root)")
async def test_a_key_pressed_during_a_dtmf_prompt_stops_the_prompt_and_is_the_answer(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService
) -> None:
    menu_audio = ids.new_id()
    await (await audio_bucket(js)).put(f"{ORG}/{menu_audio}.ulaw", ulaw_of(0x66, 300))  # a 6 s menu
    dtmf = {"id": "dtmf-1", "type": "dtmf",
            "config": {"mode": "single_digit", "timeoutMs": 5000, "maxRetries": 0, "variable": "choice",
                       "prompt": [{"type": "audioFile", "audioId": menu_audio}]},
            "outputs": {"branches": {"1": "hangup-1"}, "onTimeout": "hangup-2"}}  # fmt: skip
    dial = {**DIAL, "outputs": {"onAnswer": "dtmf-1"}}
    hangup_2 = {"id": "hangup-2", "type": "hangup", "config": {}, "outputs": {}}
    # The callee presses 1 one and a half seconds into the menu.
    async with (
        SippCallee("dtmf", log_dir=tmp_path, dtmf_digits="1", pause_ms=1500) as callee,
        dialer_for(callee),
    ):
        events = await run_call(js, [dial, dtmf, HANGUP, hangup_2], {})

    end = ended(events)
    assert end.outcome == "completed", end.outcome_reason
    assert path_of(events) == [("dial-1", "onAnswer"), ("dtmf-1", "branches.1"), ("hangup-1", None)]
    [prompt] = [e for e in events if isinstance(e, PromptPlayed)]
    assert prompt.interrupted is True
    assert prompt.packets_sent < 250  # far from the menu's 300 frames
    [digit] = [e for e in events if isinstance(e, DigitReceived)]
    assert (digit.digit, digit.via, digit.node_id) == ("1", "rfc4733", "dtmf-1")
    assert digit.after_ms is not None
    assert digit.after_ms <= 0  # pressed during the prompt, before listening began
    assert end.final_variables == {"choice": "1"}


def spoken(label: Literal["human", "machine"], *segments: Segment, workdir: Path) -> bytes:
    """μ-law audio a SIPp callee streams after answering, synthesized with espeak-ng."""
    recipe = ClipRecipe(
        clip_id=f"dialer-{label}",
        label=label,
        kind="test",
        language="fr",
        segments=segments,
        noise="white",
        snr_db=30.0,
        gain_db=0.0,
        noise_seed=7,
    )
    audio, _ = render_clip(recipe, workdir)
    return audio


def speaking_callee(tmp_path: Path, audio: bytes) -> SippCallee:
    return SippCallee(
        "answer_with_greeting",
        log_dir=tmp_path,
        files={"greeting.ulaw": audio},
        keys={"rtp_stream": "greeting.ulaw,1,0"},
    )


AMD_FLOW = [
    {"id": "dial-1", "type": "dial", "config": {"timeout": 5000, "enableAMD": True},
     "outputs": {"onAnswer": "human-1", "onVoicemail": "machine-1"}},
    {"id": "human-1", "type": "hangup", "config": {}, "outputs": {}},
    {"id": "machine-1", "type": "hangup", "config": {}, "outputs": {}},
]  # fmt: skip


@pytest.mark.parametrize(
    ("label", "segments", "answered_by", "output", "outcome"),
    [
        (
            "human",
            (Segment("silence", ms=400), Segment("speech", text="Allô ?", voice="fr", rate=160, pitch=50)),
            "human",
            "onAnswer",
            "completed",
        ),
        (
            "machine",
            (
                Segment("silence", ms=300),
                Segment(
                    "speech",
                    text="Bonjour, vous êtes bien sur la messagerie de Karim. Je ne suis pas disponible pour le "
                    "moment, laissez-moi un message après le bip et je vous rappellerai.",
                    voice="fr",
                    rate=170,
                    pitch=45,
                ),
            ),
            "machine",
            "onVoicemail",
            "voicemail",
        ),
    ],
)
async def test_answering_machine_detection_sends_machines_to_on_voicemail_and_people_to_on_answer(
    tmp_path: Path,
    dialer_for: DialerFor,
    js: JetStreamContext,
    flow_service: StandInFlowService,
    label: Literal["human", "machine"],
    segments: tuple[Segment, ...],
    answered_by: str,
    output: str,
    outcome: str,
) -> None:
    audio = spoken(label, *segments, workdir=tmp_path)
    async with speaking_callee(tmp_path, audio) as callee, dialer_for(callee):
        events = await run_call(js, AMD_FLOW, {})

    end = ended(events)
    assert (end.outcome, end.answered_by) == (outcome, answered_by), end.outcome_reason
    assert path_of(events)[0] == ("dial-1", output)
    [answered] = [e for e in events if isinstance(e, CallAnswered)]
    assert answered.answered_by == "unknown"  # AMD still listening when the answer is recorded
    [amd] = [e for e in events if isinstance(e, AmdCompleted)]
    assert (amd.answered_by, amd.node_id, amd.node_execution_index) == (answered_by, "dial-1", 1)
    assert 0 < amd.confidence <= 1
    assert 0 < amd.decision_ms <= 5000  # decided within the analysis window
    assert amd.reason
    # The verdict comes between the answer and the dial node's output.
    names = kinds(events)
    assert names.index("CallAnswered") < names.index("AmdCompleted:dial-1") < names.index("FlowNodeExecuted:dial-1")


async def test_a_record_node_stores_what_the_callee_said_as_a_wav_every_service_can_fetch(
    tmp_path: Path, dialer_for: DialerFor, js: JetStreamContext, flow_service: StandInFlowService
) -> None:
    # The callee waits for our beep, speaks for a couple of seconds, then stays silent.
    message = spoken(
        "human",
        Segment("silence", ms=1200),
        Segment("speech", text="Bonjour, je rappellerai demain matin vers dix heures.", voice="fr", rate=150, pitch=50),
        workdir=tmp_path,
    )
    record = {"id": "record-1", "type": "record",
              "outputs": {"onComplete": "hangup-1", "onTimeout": "hangup-2"},
              "config": {"maxDurationSec": 15, "silenceTimeoutSec": 2, "beep": True,
                         "variable": "message"}}  # fmt: skip
    hangup_2 = {"id": "hangup-2", "type": "hangup", "config": {}, "outputs": {}}
    dial = {**DIAL, "outputs": {"onAnswer": "record-1"}}
    async with speaking_callee(tmp_path, message) as callee, dialer_for(callee):
        events = await run_call(js, [dial, record, HANGUP, hangup_2], {})

    end = ended(events)
    assert end.outcome == "completed", end.outcome_reason
    assert path_of(events) == [("dial-1", "onAnswer"), ("record-1", "onComplete"), ("hangup-1", None)]
    [saved] = [e for e in events if isinstance(e, RecordingSaved)]
    assert end.final_variables == {"message": saved.recording_id}
    assert saved.ended_by == "silence"
    # The message (~3 s of speech after the beep) plus at most the silence that ended it.
    assert 2000 <= saved.duration_ms <= 6000
    stored = await RecordingStore(js).open(ORG, saved.recording_id)
    assert stored is not None
    assert hashlib.sha256(stored).hexdigest() == saved.sha256
    with wave.open(io.BytesIO(stored)) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert abs(wav.getnframes() / 8 - saved.duration_ms) <= 20
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    assert np.abs(pcm.astype(np.int32)).mean() > 100  # speech, not silence
    assert await RecordingStore(js).open("another-org", saved.recording_id) is None


async def test_a_call_whose_media_stops_without_a_bye_ends_as_failed_rtp_timeout(
    tmp_path: Path,
    dialer_for: DialerFor,
    js: JetStreamContext,
    flow_service: StandInFlowService,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The callee says one word, then its RTP stops for good while we wait for a key.
    monkeypatch.setenv("CALLCAST_DIALER_RTP_TIMEOUT_S", "2")
    hello = spoken("human", Segment("silence", ms=200), Segment("speech", text="Oui ?", voice="fr"), workdir=tmp_path)
    dtmf = {"id": "dtmf-1", "type": "dtmf", "config": {"mode": "single_digit", "timeoutMs": 60000, "maxRetries": 0},
            "outputs": {"onSuccess": "hangup-1", "onTimeout": "hangup-1"}}  # fmt: skip
    dial = {**DIAL, "outputs": {"onAnswer": "dtmf-1"}}
    async with speaking_callee(tmp_path, hello[: 160 * 50]) as callee, dialer_for(callee):  # 1 s of audio
        events = await run_call(js, [dial, dtmf, HANGUP], {})
        counts = await callee.wait_for_counts(successful=1)

    end = ended(events)
    assert (end.outcome, end.outcome_reason) == ("failed", "dtmf-1: rtp_timeout: no media from the callee for 2.0 s")
    [hung_up] = [e for e in events if isinstance(e, CallHungUp)]
    assert (hung_up.by, hung_up.cause) == ("us", "rtp_timeout")
    # Ended about two seconds after the last packet, long before the dtmf node's 60 s.
    assert end.duration_ms is not None
    assert end.duration_ms < 10_000
    assert (counts.successful, counts.failed) == (1, 0)  # our BYE closed the call properly
