"""Pacing on absolute deadlines: late wake-ups never accumulate into drift."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from callcast_telephony.rtp import g711
from callcast_telephony.rtp.pacing import FramePacer, frame_deadline
from callcast_telephony.rtp.packet import parse_rtp
from callcast_telephony.rtp.session import RtpSession

pytestmark = pytest.mark.unit


class LateClock:
    """A monotonic clock whose sleeps always overshoot, like a busy event loop."""

    def __init__(self, oversleep: float) -> None:
        self.now = 5000.0
        self.oversleep = oversleep

    def __call__(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.now += delay + self.oversleep


def test_deadline_is_start_plus_n_frames_without_accumulated_float_error() -> None:
    t0 = 123456.789
    assert frame_deadline(t0, 500) == t0 + 10.0
    assert frame_deadline(t0, 0) == t0


async def test_late_wakeups_do_not_accumulate() -> None:
    clock = LateClock(oversleep=0.0015)
    pacer = FramePacer(clock=clock, sleep=clock.sleep)
    t0 = pacer.start()
    for n in range(500):  # 10 s of audio
        await pacer.wait_for_frame(n)
        clock.now += 0.0004  # the work of sending a packet
    last_deadline = t0 + 499 * 0.020
    # A "sleep 20 ms per frame" loop would end 500 x 1.9 ms = 950 ms late; we end ~2 ms late.
    assert clock.now - last_deadline == pytest.approx(0.0019, abs=1e-6)
    assert pacer.lateness.maximum == pytest.approx(0.0015, abs=1e-6)
    assert pacer.resyncs == 0


async def test_a_long_stall_re_anchors_instead_of_bursting() -> None:
    clock = LateClock(oversleep=0.0)
    pacer = FramePacer(clock=clock, sleep=clock.sleep, max_lag=0.1)
    t0 = pacer.start()
    for n in range(10):
        await pacer.wait_for_frame(n)
    clock.now += 0.5  # the loop was blocked for half a second
    late = await pacer.wait_for_frame(10)
    assert late == pytest.approx(0.48, abs=1e-6)  # frame 10 was due 20 ms after frame 9
    assert pacer.resyncs == 1
    sent_at = []
    for n in range(11, 14):
        await pacer.wait_for_frame(n)
        sent_at.append(clock.now)
    # after the stall frames are 20 ms apart again, not sent back-to-back
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent_at)] == [0.02, 0.02]
    assert sent_at[0] > t0 + 11 * 0.020


class RecordingTransport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))

    def close(self) -> None:
        pass


async def test_play_frames_marks_the_first_packet_and_pads_the_last() -> None:
    session = RtpSession("127.0.0.1", ptime=0.002)
    transport = RecordingTransport()
    session._transport = transport  # type: ignore[assignment]
    session.set_remote("127.0.0.1", 4000, codec="PCMU")
    stats = await session.play(b"\x10" * 400)  # 2.5 frames
    packets = [parse_rtp(data) for data, _ in transport.sent]
    assert stats.frames_sent == 3
    assert stats.completed
    assert [p.marker for p in packets] == [True, False, False]
    assert [len(p.payload) for p in packets] == [160, 160, 160]
    assert packets[-1].payload[80:] == b"\xff" * 80  # μ-law silence
    assert [(p.sequence - packets[0].sequence) % 65536 for p in packets] == [0, 1, 2]
    assert [p.timestamp - packets[0].timestamp for p in packets] == [0, 160, 320]
    assert len({p.ssrc for p in packets}) == 1


async def test_play_transcodes_to_the_negotiated_codec_and_keeps_the_clock_running() -> None:
    session = RtpSession("127.0.0.1", ptime=0.002)
    transport = RecordingTransport()
    session._transport = transport  # type: ignore[assignment]
    session.set_remote("127.0.0.1", 4000, codec="PCMA")
    ulaw = bytes(range(160))
    await session.play(ulaw, "PCMU")
    first = parse_rtp(transport.sent[0][0])
    assert first.payload_type == 8
    assert first.payload == g711.transcode(ulaw, "PCMU", "PCMA")
    session._last_send = (session._last_send or 0.0) - 1.0  # pretend a 1 s pause
    await session.play(ulaw, "PCMU")
    second = parse_rtp(transport.sent[1][0])
    assert second.marker  # a new talkspurt
    assert second.timestamp - first.timestamp == pytest.approx(8000, abs=160)


async def test_stop_playback_ends_a_play_early() -> None:
    session = RtpSession("127.0.0.1", ptime=0.01)
    transport = RecordingTransport()
    session._transport = transport  # type: ignore[assignment]
    session.set_remote("127.0.0.1", 4000)
    play = asyncio.ensure_future(session.play(b"\xff" * 160 * 100))
    await asyncio.sleep(0.05)
    session.stop_playback()
    stats = await play
    assert not stats.completed
    assert 0 < stats.frames_sent < 100
