"""Recording real RTP over UDP: a test socket sends paced G.711 into an RtpSession, with a gap."""

from __future__ import annotations

import asyncio
import math
import socket
from collections.abc import AsyncIterator

import numpy as np
import pytest
import pytest_asyncio

from callcast_telephony.media import record_callee
from callcast_telephony.rtp import RtpSession, g711
from callcast_telephony.rtp.pacing import FramePacer
from callcast_telephony.rtp.packet import pack_rtp

pytestmark = pytest.mark.integration


def chirp(frames: int) -> np.ndarray:
    """A rising tone: every frame differs, so a frame in the wrong place shows."""
    t = np.arange(frames * 160) / 8000
    return (np.cos(2 * math.pi * (300 * t + 200 * t * t)) * 8000).astype(np.int16)


class RtpSender:
    """A far end on a plain UDP socket, pacing its packets on absolute deadlines."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.sent = 0

    async def send(self, target: tuple[str, int], ulaw: bytes, *, skip: range = range(0), codec_pt: int = 0) -> None:
        pacer = FramePacer()
        pacer.start()
        for n in range(len(ulaw) // 160):
            await pacer.wait_for_frame(n)
            if n in skip:
                continue  # lost in the network: the timestamp still advances
            packet = pack_rtp(
                payload_type=codec_pt,
                sequence=n,
                timestamp=(0xFFFFF000 + 160 * n) & 0xFFFFFFFF,
                ssrc=0xCAFE,
                payload=ulaw[160 * n : 160 * (n + 1)],
                marker=n == 0,
            )
            self.sock.sendto(packet, target)
            self.sent += 1

    def close(self) -> None:
        self.sock.close()


@pytest_asyncio.fixture(loop_scope="session")
async def media() -> AsyncIterator[tuple[RtpSession, RtpSender]]:
    sender = RtpSender()
    session = RtpSession("127.0.0.1")
    await session.open()
    session.set_remote("127.0.0.1", sender.port, codec="PCMU")
    yield session, sender
    session.close()
    sender.close()


def first_sound(samples: np.ndarray) -> int:
    return int(np.flatnonzero(samples)[0])


async def test_a_gap_in_real_rtp_is_recorded_as_silence_of_the_same_length(
    media: tuple[RtpSession, RtpSender],
) -> None:
    session, sender = media
    sent = chirp(100)
    ulaw = g711.ulaw_encode(sent)
    lost = range(50, 65)  # 300 ms: shorter than the silence timeout
    recording = asyncio.create_task(record_callee(session, max_duration_s=10.0, silence_timeout_s=0.8))
    await asyncio.sleep(0.1)  # the callee starts talking 100 ms into the recording
    await sender.send(session_address(session), ulaw, skip=lost)
    rec = await recording

    assert rec.ended_by == "silence"
    assert rec.packets_received == sender.sent == 85
    got = rec.samples()
    start = first_sound(got)
    assert 3 * 160 <= start <= 25 * 160  # ~100 ms in (arrival on the 20 ms grid; a busy loop oversleeps)
    assert start % 160 == 0
    expected = g711.ulaw_decode(ulaw).copy()
    expected[50 * 160 : 65 * 160] = 0
    assert np.array_equal(got[start : start + len(expected)], expected)  # nothing moved, nothing compressed
    assert rec.speech_ms == 85 * 20
    assert rec.duration_ms == start // 8 + 2000 + 200  # speech span + the 200 ms kept
    assert rec.frames_missing >= 15
    assert rec.captured_ms >= start // 8 + 2000 + 800


async def test_max_duration_cuts_a_longer_stream_at_exactly_that_length(media: tuple[RtpSession, RtpSender]) -> None:
    session, sender = media
    ulaw = g711.ulaw_encode(chirp(100))
    feeding = asyncio.create_task(sender.send(session_address(session), ulaw))
    rec = await record_callee(session, max_duration_s=1.0, silence_timeout_s=0.5)
    await feeding
    assert rec.ended_by == "max_duration"
    assert rec.duration_ms == rec.captured_ms == 1000
    assert len(rec.pcm) == 16000
    start = first_sound(rec.samples())
    assert start <= 2 * 160
    decoded = g711.ulaw_decode(ulaw)
    assert np.array_equal(rec.samples()[start:], decoded[: 8000 - start])


def session_address(session: RtpSession) -> tuple[str, int]:
    return ("127.0.0.1", session.local_port)
