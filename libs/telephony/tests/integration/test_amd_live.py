"""detect_answering_machine on real RTP over loopback: one RtpSession speaks a clip, the other listens."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from callcast_telephony.amd import AmdConfig, detect_answering_machine
from callcast_telephony.amd.bench import classify_clip
from callcast_telephony.amd.corpus import CorpusClip, example_recipe, generate_corpus
from callcast_telephony.rtp.session import RtpSession

pytestmark = pytest.mark.integration

needs_tools = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="espeak-ng and sox are needed: `uv run just tools`",
)


@pytest_asyncio.fixture(loop_scope="session")
async def pair() -> AsyncIterator[tuple[RtpSession, RtpSession]]:
    """(callee, dialer): the callee sends to the dialer, which runs AMD."""
    callee, dialer = RtpSession(), RtpSession()
    await callee.open()
    await dialer.open()
    callee.set_remote("127.0.0.1", dialer.local_port, codec="PCMU")
    dialer.set_remote("127.0.0.1", callee.local_port, codec="PCMU")
    yield callee, dialer
    callee.close()
    dialer.close()


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CorpusClip]:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.skip("espeak-ng and sox are needed: `uv run just tools`")
    clips = generate_corpus(recipes=[example_recipe("human"), example_recipe("machine")],
                            corpus_dir=tmp_path_factory.mktemp("amd"))  # fmt: skip
    return {clip.label: clip for clip in clips}


@needs_tools
@pytest.mark.parametrize("label", ["human", "machine"])
async def test_live_audio_gets_the_offline_decision(
    pair: tuple[RtpSession, RtpSession], examples: dict[str, CorpusClip], label: str
) -> None:
    callee, dialer = pair
    clip = examples[label]
    offline = classify_clip(clip, AmdConfig())
    speaking = asyncio.ensure_future(callee.play(clip.ulaw()))
    try:
        live = await detect_answering_machine(dialer, AmdConfig())
    finally:
        callee.stop_playback()
        await speaking
    assert live.answered_by == offline.answered_by == label
    assert live.reason == offline.reason
    assert abs(live.decision_ms - offline.decision_ms) <= 100  # packet timing shifts a slot or two
    assert dialer._listeners == []


async def test_no_packets_at_all_is_initial_silence(pair: tuple[RtpSession, RtpSession]) -> None:
    _, dialer = pair
    result = await detect_answering_machine(dialer, AmdConfig(initialSilenceMs=400))
    assert (result.answered_by, result.reason, result.decision_ms) == ("unknown", "initial_silence", 400)
    assert dialer._listeners == []


@needs_tools
async def test_alaw_calls_are_decoded_as_alaw(
    pair: tuple[RtpSession, RtpSession], examples: dict[str, CorpusClip]
) -> None:
    callee, dialer = pair
    callee.set_remote("127.0.0.1", dialer.local_port, codec="PCMA")
    dialer.set_remote("127.0.0.1", callee.local_port, codec="PCMA")
    clip = examples["machine"]
    offline = classify_clip(clip, AmdConfig())
    speaking = asyncio.ensure_future(callee.play(clip.ulaw(), "PCMU"))  # sent transcoded to A-law
    try:
        live = await detect_answering_machine(dialer, AmdConfig())
    finally:
        callee.stop_playback()
        await speaking
    assert (live.answered_by, live.reason) == (offline.answered_by, offline.reason)
    assert abs(live.decision_ms - offline.decision_ms) <= 100


async def test_cancelling_removes_the_listener(pair: tuple[RtpSession, RtpSession]) -> None:
    _, dialer = pair
    task = asyncio.ensure_future(detect_answering_machine(dialer, AmdConfig()))
    await asyncio.sleep(0.15)
    assert len(dialer._listeners) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert dialer._listeners == []


async def test_only_g711_is_accepted(pair: tuple[RtpSession, RtpSession]) -> None:
    with pytest.raises(ValueError, match=r"G\.711"):
        await detect_answering_machine(pair[1], AmdConfig(), codec="opus")
