"""Answering machine detection on a live call's received RTP.

An audio listener on the :class:`RtpSession` only appends payload bytes to a buffer (it runs in
the datagram callback, which must stay cheap). A task on the monotonic clock then advances the
detector one 20 ms slot at a time: slot *k* covers ``[t0 + 20k, t0 + 20(k+1))`` ms and is
analysed once ``jitter_frames`` more slots have passed (60 ms: the RtpSession's reorder buffer
holds packets after a loss up to that long), so a packet a little late still counts for its
slot; a slot with no audio buffered is fed as silence, so a far end that sends nothing still
reaches a decision. Deadlines are absolute (``t0 + n × 20 ms``, as in ``rtp/pacing.py``): wake-up
delays never stretch the analysis.

To keep hundreds of concurrent calls cheap, the task wakes every ``tick_frames`` slots (100 ms by
default) and analyses all slots due; the decision itself is exact to the frame
(``AmdResult.decision_ms``), only its delivery waits for the next wake-up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from ..rtp import g711
from ..rtp.pacing import FRAME_BYTES, FRAME_SECONDS
from ..rtp.packet import RtpPacket
from ..rtp.session import RtpSession
from .config import AmdConfig
from .detector import AmdDetector, AmdResult
from .voice import VoiceMode

MAX_BACKLOG_FRAMES = 10  # audio buffered beyond this (a sender running fast) is analysed at once


async def detect_answering_machine(
    rtp: RtpSession,
    config: AmdConfig,
    *,
    codec: str | None = None,
    voice: VoiceMode = "both",
    tick_frames: int = 5,
    jitter_frames: int = 3,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> AmdResult:
    """Listen to the callee from now (call it right after the answer) until a decision, at the
    latest ``config.totalAnalysisMs`` of audio time. Cancelling it removes the listener."""
    codec = codec or rtp.codec
    if codec not in g711.SILENCE_BYTE:
        raise ValueError(f"AMD needs G.711 audio (PCMU or PCMA), not {codec!r}")
    if tick_frames < 1 or jitter_frames < 0:
        raise ValueError("tick_frames must be >= 1 and jitter_frames >= 0")
    detector = AmdDetector(config, voice=voice)
    buffered = bytearray()

    def on_audio(packet: RtpPacket, arrival: float) -> None:
        buffered.extend(packet.payload)

    rtp.add_audio_listener(on_audio)
    try:
        t0 = clock()
        analysed = 0  # slots fed to the detector so far
        while True:
            due = int((clock() - t0) / FRAME_SECONDS) - jitter_frames
            while analysed < due or len(buffered) > MAX_BACKLOG_FRAMES * FRAME_BYTES:
                result = _feed_slot(detector, buffered, codec)
                analysed += 1
                if result is not None:
                    return result
            deadline = t0 + (analysed + jitter_frames + tick_frames) * FRAME_SECONDS
            await sleep(max(0.0, deadline - clock()))
    finally:
        rtp.remove_audio_listener(on_audio)


def _feed_slot(detector: AmdDetector, buffered: bytearray, codec: str) -> AmdResult | None:
    if len(buffered) < FRAME_BYTES:
        return detector.feed_silence()
    frame = bytes(buffered[:FRAME_BYTES])
    del buffered[:FRAME_BYTES]
    return detector.feed(g711.decode(codec, frame))
