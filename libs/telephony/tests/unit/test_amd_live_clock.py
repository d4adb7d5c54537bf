"""detect_answering_machine's clock logic with a simulated clock and packet schedule (no sockets)."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from callcast_telephony.amd import AmdConfig, AmdDetector, AmdResult, detect_answering_machine
from callcast_telephony.rtp import g711
from callcast_telephony.rtp.packet import RtpPacket

pytestmark = pytest.mark.unit

# Broadband, loud: voice to the energy rule, and no steady tone (a pure tone would be a beep).
VOICE = g711.ulaw_encode((np.random.default_rng(7).standard_normal(160) * 3000).astype(np.int16))
QUIET = bytes([g711.ULAW_SILENCE]) * 160


class SimulatedLine:
    """A clock, a sleep that advances it, and packets released at their scheduled times."""

    def __init__(self, schedule: list[tuple[float, bytes]]) -> None:
        self.now = 100.0
        self.codec = "PCMU"
        self.sleeps = 0
        self._listeners: list[Any] = []
        self._pending = sorted(((self.now + at, payload) for at, payload in schedule), key=lambda p: p[0])
        self._sequence = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps += 1
        self.now += delay
        while self._pending and self._pending[0][0] <= self.now:
            _, payload = self._pending.pop(0)
            packet = RtpPacket(payload_type=0, sequence=self._sequence, timestamp=0, ssrc=1, payload=payload)
            self._sequence += 1
            for listener in list(self._listeners):
                listener(packet, self.now)
        await asyncio.sleep(0)

    def add_audio_listener(self, listener: Any) -> None:
        self._listeners.append(listener)

    def remove_audio_listener(self, listener: Any) -> None:
        self._listeners.remove(listener)


def offline(frames: list[bytes], config: AmdConfig) -> AmdResult:
    detector = AmdDetector(config, voice="energy")
    for frame in frames:
        if (result := detector.feed(g711.ulaw_decode(frame))) is not None:
            return result
    while detector.result is None:
        detector.feed_silence()
    return detector.result


async def live(line: SimulatedLine, config: AmdConfig) -> AmdResult:
    return await detect_answering_machine(
        line,
        config,
        voice="energy",
        clock=line.clock,
        sleep=line.sleep,  # type: ignore[arg-type]
    )


HUMAN = [QUIET] * 20 + [VOICE] * 15 + [QUIET] * 100  # 400 ms, "yes?", then line noise


async def test_packets_on_time_give_the_offline_decision() -> None:
    line = SimulatedLine([(0.02 * (n + 1), frame) for n, frame in enumerate(HUMAN)])
    result = await live(line, AmdConfig())
    assert result == offline(HUMAN, AmdConfig())
    assert (result.answered_by, result.decision_ms) == ("human", 400 + 300 + 800)


async def test_jitter_within_the_allowance_changes_nothing() -> None:
    # Packets arrive in bursts of three, each burst when its last packet was due (40 ms late at most).
    line = SimulatedLine([(0.06 * (n // 3 + 1), frame) for n, frame in enumerate(HUMAN)])
    assert await live(line, AmdConfig()) == offline(HUMAN, AmdConfig())


async def test_a_far_end_that_stops_sending_still_gets_decided() -> None:
    spoken = [QUIET] * 5 + [VOICE] * 10  # then nothing at all: the clock supplies the silence
    line = SimulatedLine([(0.02 * (n + 1), frame) for n, frame in enumerate(spoken)])
    result = await live(line, AmdConfig())
    assert (result.answered_by, result.decision_ms) == ("human", 100 + 200 + 800)


async def test_no_packets_wakes_about_every_100_ms_until_initial_silence() -> None:
    line = SimulatedLine([])
    result = await live(line, AmdConfig())
    assert (result.reason, result.decision_ms) == ("initial_silence", 2500)
    assert 25 <= line.sleeps <= 28  # batches of five slots, not one wake-up per packet time
    assert line._listeners == []


async def test_a_sender_running_ahead_does_not_build_up_delay() -> None:
    # 300 frames delivered in the first second: the backlog is analysed at once, not queued.
    frames = [VOICE] * 300
    line = SimulatedLine([(0.0033 * (n + 1), frame) for n, frame in enumerate(frames)])
    result = await live(line, AmdConfig(greetingMs=30_000, maximumWordLengthMs=3000))
    assert (result.reason, result.decision_ms) == ("long_word", 3000)
    assert line.now - 100.0 < 1.5
