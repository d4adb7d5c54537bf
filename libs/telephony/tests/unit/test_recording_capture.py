"""Recording the callee on its own clock: end conditions, holes, trimming (fake clock, fake session)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Iterable

import numpy as np
import pytest

from callcast_telephony.media import Recording, record_callee
from callcast_telephony.rtp import g711
from callcast_telephony.rtp.packet import RtpPacket

pytestmark = pytest.mark.unit

FRAME = 0.020
T0 = 1000.0


def tone_frame(n: int, hz: float = 400.0, amplitude: int = 6000) -> np.ndarray:
    t = (np.arange(160) + 160 * n) / 8000
    return (np.sin(2 * math.pi * hz * t) * amplitude).astype(np.int16)


def ulaw_frame(n: int) -> bytes:
    return g711.ulaw_encode(tone_frame(n))


SILENT_ULAW = bytes([0xFF]) * 160


class FakeSession:
    """The listener API of an RtpSession, fed from a list of (arrival, packet) as the clock moves."""

    def __init__(self, packets: Iterable[tuple[float, RtpPacket]] = (), codec: str = "PCMU") -> None:
        self.codec = codec
        self.closed = False
        self.listeners: list[Callable[[RtpPacket, float], None]] = []
        self.pending = sorted(packets, key=lambda p: p[0])
        self.now = T0
        self.at: dict[float, Callable[[], None]] = {}

    def add_audio_listener(self, listener: Callable[[RtpPacket, float], None]) -> None:
        self.listeners.append(listener)

    def remove_audio_listener(self, listener: Callable[[RtpPacket, float], None]) -> None:
        self.listeners.remove(listener)

    def clock(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay
        for when in sorted(self.at):
            if when <= self.now:
                self.at.pop(when)()
        while self.pending and self.pending[0][0] <= self.now:
            arrival, packet = self.pending.pop(0)
            for listener in list(self.listeners):
                listener(packet, arrival)
        await asyncio.sleep(0)


def packets(
    frames: Iterable[int],
    payload: Callable[[int], bytes] = ulaw_frame,
    *,
    first_arrival: float = T0 + 0.021,
    ssrc: int = 0x1234,
    ts0: int = 4_000_000_000,  # wraps past 2**32 within a few seconds
    jitter: Callable[[int], float] = lambda n: 0.0,
    pt: int = 0,
) -> list[tuple[float, RtpPacket]]:
    """Frame n sent on time: it arrives at first_arrival + n x 20 ms (+ jitter), timestamp ts0 + 160 n."""
    return [
        (
            first_arrival + n * FRAME + jitter(n),
            RtpPacket(pt, n & 0xFFFF, (ts0 + 160 * n) & 0xFFFFFFFF, ssrc, payload(n)),
        )
        for n in frames
    ]


async def record(session: FakeSession, **options: object) -> Recording:
    return await record_callee(
        session,  # type: ignore[arg-type]  # options are typed by record_callee itself
        clock=session.clock,
        wall_clock=lambda: 1_700_000_000.0,
        sleep=session.sleep,
        **options,  # type: ignore[arg-type]
    )


def frame_of(rec: Recording, n: int) -> np.ndarray:
    return rec.samples()[160 * n : 160 * (n + 1)]


async def test_max_duration_ends_a_continuous_message_at_exactly_that_length() -> None:
    session = FakeSession(packets(range(200)))
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=2.0)
    assert rec.ended_by == "max_duration"
    assert rec.duration_ms == rec.captured_ms == 1000
    assert len(rec.pcm) == 8000 * 2
    assert rec.speech_ms == 1000
    # Frame n of the recording is frame n the callee sent (it started in our first frame).
    for n in (0, 1, 25, 49):
        assert np.array_equal(frame_of(rec, n), g711.ulaw_decode(ulaw_frame(n)))
    assert rec.frames_missing == 0
    assert session.listeners == []


async def test_lost_packets_become_silence_in_their_place_without_compressing_time() -> None:
    lost = set(range(10, 20))
    session = FakeSession(packets(n for n in range(100) if n not in lost))
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=None)
    assert rec.ended_by == "max_duration"
    assert rec.duration_ms == 1000
    assert rec.frames_missing == 10
    for n in range(50):
        expected = np.zeros(160, np.int16) if n in lost else g711.ulaw_decode(ulaw_frame(n))
        assert np.array_equal(frame_of(rec, n), expected), n
    assert rec.speech_ms == 40 * 20


async def test_a_callee_who_stops_sending_still_times_out_on_silence() -> None:
    session = FakeSession(packets(range(25)))  # 0.5 s of speech, then nothing at all arrives
    rec = await record(session, max_duration_s=10.0, silence_timeout_s=1.0)
    assert rec.ended_by == "silence"
    assert rec.speech_ms == 500
    assert rec.captured_ms == 500 + 1000
    assert rec.duration_ms == 500 + 200  # trailing silence trimmed, 200 ms kept
    assert not rec.samples()[25 * 160 :].any()


async def test_trailing_silence_packets_end_the_message_and_are_trimmed() -> None:
    payload = lambda n: ulaw_frame(n) if n < 60 else SILENT_ULAW  # noqa: E731
    session = FakeSession(packets(range(500), payload))
    rec = await record(session, max_duration_s=10.0, silence_timeout_s=2.0, keep_silence_ms=100)
    assert rec.ended_by == "silence"
    assert rec.captured_ms == 1200 + 2000
    assert rec.duration_ms == 1200 + 100
    assert rec.frames_missing == 0


async def test_a_pause_shorter_than_the_timeout_does_not_end_the_message() -> None:
    payload = lambda n: SILENT_ULAW if 20 <= n < 60 else ulaw_frame(n)  # noqa: E731  # 0.8 s pause
    session = FakeSession(packets(range(100), payload))
    rec = await record(session, max_duration_s=5.0, silence_timeout_s=1.0, keep_silence_ms=0)
    assert rec.ended_by == "silence"
    assert rec.duration_ms == 2000  # speech resumed after the pause and lasted to frame 99
    assert rec.speech_ms == 60 * 20


async def test_leading_silence_for_the_whole_timeout_ends_with_silence_and_no_speech() -> None:
    session = FakeSession(packets(range(500), lambda n: SILENT_ULAW))
    rec = await record(session, max_duration_s=30.0, silence_timeout_s=3.0)
    assert rec.ended_by == "silence"
    assert not rec.heard_speech
    assert rec.captured_ms == 3000
    assert rec.duration_ms == 200


async def test_quiet_noise_below_the_threshold_is_silence() -> None:
    quiet = lambda n: g711.ulaw_encode(tone_frame(n, amplitude=300))  # noqa: E731  # mean |x| ~ 190
    session = FakeSession(packets(range(500), quiet))
    rec = await record(session, max_duration_s=30.0, silence_timeout_s=1.0)
    assert (rec.ended_by, rec.speech_ms) == ("silence", 0)
    session = FakeSession(packets(range(500), quiet))
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=1.0, silence_threshold=100)
    assert (rec.ended_by, rec.speech_ms) == ("max_duration", 1000)


async def test_jittered_packets_land_by_timestamp_not_by_arrival() -> None:
    # Every other packet is 35 ms late (arrives after its successor): order and place come from
    # the RTP timestamp, and judgement waits long enough that none counts as missing.
    session = FakeSession(packets(range(100), jitter=lambda n: 0.035 if n % 2 else 0.0))
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=0.04)
    assert rec.ended_by == "max_duration"
    assert rec.frames_missing == 0
    for n in range(50):
        assert np.array_equal(frame_of(rec, n), g711.ulaw_decode(ulaw_frame(n))), n


async def test_a_callee_starting_late_is_placed_when_it_starts() -> None:
    session = FakeSession(packets(range(100), first_arrival=T0 + 0.3 + 0.021))
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=None)
    assert not rec.samples()[: 15 * 160].any()
    assert np.array_equal(frame_of(rec, 15), g711.ulaw_decode(ulaw_frame(0)))
    assert rec.frames_missing == 15


async def test_a_timestamp_jump_re_anchors_on_arrival() -> None:
    first = packets(range(10))
    jumped = packets(range(10, 50), ts0=123)  # the sender restarted its RTP clock
    session = FakeSession(first + jumped)
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=None)
    assert rec.frames_missing == 0
    assert np.array_equal(frame_of(rec, 30), g711.ulaw_decode(ulaw_frame(30)))


async def test_stop_event_ends_the_recording_within_a_frame() -> None:
    session = FakeSession(packets(range(500)))
    stop = asyncio.Event()
    session.at[T0 + 0.5] = stop.set
    rec = await record(session, max_duration_s=10.0, silence_timeout_s=5.0, stop=stop)
    assert rec.ended_by == "stopped"
    assert 500 <= rec.captured_ms <= 520
    assert session.listeners == []


async def test_a_closed_session_ends_the_recording() -> None:
    session = FakeSession(packets(range(500)))

    def close() -> None:
        session.closed = True

    session.at[T0 + 0.4] = close
    rec = await record(session, max_duration_s=10.0, silence_timeout_s=5.0)
    assert rec.ended_by == "closed"
    assert 400 <= rec.captured_ms <= 420


async def test_cancellation_propagates_and_removes_the_listener() -> None:
    session = FakeSession(packets(range(500)))
    task = asyncio.create_task(record(session, max_duration_s=10.0, silence_timeout_s=5.0))
    for _ in range(5):
        await asyncio.sleep(0)
    assert len(session.listeners) == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert session.listeners == []


async def test_alaw_callee_is_decoded_as_alaw() -> None:
    alaw = lambda n: g711.alaw_encode(tone_frame(n))  # noqa: E731
    session = FakeSession(packets(range(100), alaw, pt=8), codec="PCMA")
    rec = await record(session, max_duration_s=0.5, silence_timeout_s=None)
    assert rec.codec == "PCMA"
    assert np.array_equal(frame_of(rec, 7), g711.alaw_decode(alaw(7)))


async def test_a_stalled_event_loop_catches_up_without_losing_time() -> None:
    session = FakeSession(packets(range(100)))
    real_sleep = session.sleep

    async def stalling_sleep(delay: float) -> None:
        await real_sleep(delay + (0.3 if session.now < T0 + 0.1 else 0.0))  # one 300 ms stall

    session.sleep = stalling_sleep  # type: ignore[method-assign]
    rec = await record(session, max_duration_s=1.0, silence_timeout_s=None)
    assert rec.captured_ms == 1000
    assert rec.frames_missing == 0


@pytest.mark.parametrize(("max_s", "silence_s"), [(0.0, 1.0), (-1.0, None), (1.0, 0.0)])
async def test_nonsense_limits_are_refused(max_s: float, silence_s: float | None) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        await record(FakeSession(), max_duration_s=max_s, silence_timeout_s=silence_s)
