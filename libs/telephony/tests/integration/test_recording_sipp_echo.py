"""Recording a real call: SIPp answers with ``-rtp_echo``, so what we record must be what we played."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from callcast_stack.sipp import SippCallee
from callcast_telephony.media import Recording, beep_ulaw, record_callee
from callcast_telephony.rtp import g711
from callcast_telephony.sip import SipCall, SipUserAgent

pytestmark = pytest.mark.integration

PHRASE = "Please leave your message after the tone. Press the pound key when you are done."


@pytest.fixture(scope="module")
def spoken_prompt(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A real spoken phrase as 8 kHz μ-law (espeak-ng, then sox without dither: reproducible)."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is required (apt-get install {tool}; `uv run just tools` installs it)", pytrace=False)
    folder = tmp_path_factory.mktemp("prompt")
    wav, ulaw = folder / "phrase.wav", folder / "phrase.ulaw"
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(wav), PHRASE], check=True, capture_output=True)
    subprocess.run(
        ["sox", str(wav), "-r", "8000", "-c", "1", "-e", "mu-law", "-t", "raw", "-D", str(ulaw)],
        check=True,
        capture_output=True,
    )
    data = ulaw.read_bytes()
    return data[: len(data) // 160 * 160]  # whole frames: play() pads nothing, lengths compare exactly


@pytest_asyncio.fixture(loop_scope="session")
async def echo_callees(tmp_path: Path) -> AsyncIterator[dict[str, SippCallee]]:
    callees = {
        "PCMU": SippCallee("answer", log_dir=tmp_path / "pcmu"),
        "PCMA": SippCallee("answer", log_dir=tmp_path / "pcma", codec="PCMA"),
    }
    for callee in callees.values():
        (tmp_path / callee.codec.lower()).mkdir()
        await callee.start()
    yield callees
    for callee in callees.values():
        await callee.stop()


async def answered_call(ua: SipUserAgent) -> SipCall:
    result = await ua.invite("+212600000001", "+212500000000", ring_timeout=5)
    assert result.outcome == "answered", result
    assert result.call is not None
    return result.call


def align(reference: np.ndarray, recorded: np.ndarray) -> tuple[int, float]:
    """Where ``reference`` starts in ``recorded`` (FFT cross-correlation) and the normalised
    correlation of the aligned windows."""
    ref = reference.astype(np.float64)
    rec = recorded.astype(np.float64)
    size = 1 << (len(ref) + len(rec)).bit_length()
    xcorr = np.fft.irfft(np.fft.rfft(rec, size) * np.conj(np.fft.rfft(ref, size)), size)
    lag = int(np.argmax(xcorr[: len(rec)]))
    window = rec[lag : lag + len(ref)]
    if len(window) < len(ref):
        window = np.pad(window, (0, len(ref) - len(window)))
    corr = float(np.dot(ref, window) / (np.linalg.norm(ref) * np.linalg.norm(window)))
    return lag, corr


def last_audible_frame(samples: np.ndarray, threshold: int = 256) -> int:
    frames = np.abs(samples[: len(samples) // 160 * 160].astype(np.int32)).reshape(-1, 160).mean(axis=1)
    return int(np.flatnonzero(frames >= threshold)[-1])


async def record_while_playing(call: SipCall, prompt: bytes) -> Recording:
    """What the flow's record node does: beep, then record while (here) the callee talks back."""
    await call.play(beep_ulaw(), "PCMU")
    recording = asyncio.create_task(
        record_callee(call.rtp, max_duration_s=30.0, silence_timeout_s=1.5, stop=call.remote_hangup)
    )
    await call.play(prompt, "PCMU")
    return await recording


@pytest.mark.parametrize("codec", ["PCMU", "PCMA"])
async def test_our_recording_of_the_echo_matches_the_prompt(
    echo_callees: dict[str, SippCallee], spoken_prompt: bytes, codec: str
) -> None:
    callee = echo_callees[codec]
    async with SipUserAgent(local_host="127.0.0.1", trunk=callee.address, user_agent="Callcast/test") as ua:
        call = await answered_call(ua)
        assert call.codec == codec
        rec = await record_while_playing(call, spoken_prompt)
        await call.hangup()

    assert rec.ended_by == "silence"
    assert rec.codec == codec
    # What went out on the wire, decoded as the callee's codec: the echo carries those bytes back.
    on_the_wire = g711.decode(codec, g711.transcode(spoken_prompt, "PCMU", codec))
    lag, corr = align(on_the_wire, rec.samples())
    assert corr > 0.99, corr
    assert lag <= 25 * 160  # the echo comes back within a frame or two on loopback (more on a busy machine)
    # The phrase ends in espeak's own quiet tail, which the recording trims like any silence.
    audible_ms = last_audible_frame(on_the_wire) * 20 + 20
    window = rec.samples()[lag : lag + len(on_the_wire)]
    assert len(window) >= audible_ms * 8
    assert np.array_equal(window, on_the_wire[: len(window)]), "the echo is bit-exact G.711: any change is ours"
    if codec == "PCMA":  # and within one G.711 round trip of the μ-law prompt we played
        played = g711.ulaw_decode(spoken_prompt)[: len(window)]
        assert np.max(np.abs(window.astype(np.int32) - played)) <= 1024
    # Same length ±1 frame: the lag, the audible phrase, and 200 ms kept of the trailing silence.
    assert abs(rec.duration_ms - (lag // 8 + audible_ms + 200)) <= 20, (rec.duration_ms, lag, audible_ms)
    assert rec.captured_ms >= lag // 8 + audible_ms + 1500
    prompt_frames = len(spoken_prompt) // 160
    assert rec.packets_received >= prompt_frames - 2  # SIPp echoes every packet (±2)
    # Holes are only before the first echo and after the phrase, when nothing is sent at all.
    assert rec.frames_missing <= rec.captured_ms // 20 - prompt_frames + 2


async def test_a_callee_hanging_up_stops_the_recording(tmp_path: Path, spoken_prompt: bytes) -> None:
    callee = SippCallee("answer_then_bye", log_dir=tmp_path, pause_ms=1500)
    async with callee, SipUserAgent(local_host="127.0.0.1", trunk=callee.address) as ua:
        call = await answered_call(ua)
        rec = await record_while_playing(call, spoken_prompt)
        await call.hangup()
    assert rec.ended_by in {"stopped", "closed"}
    assert rec.heard_speech
    assert rec.captured_ms < 1500  # the BYE came 1.5 s after the answer; the beep took 0.5 s
