"""Recording the callee's audio for the flow's ``record`` node.

The recording runs on its own 20 ms clock (absolute deadlines, like the sender's pacing), not on
packet arrivals. Each received packet is placed on that timeline by its RTP timestamp, so a lost
or late packet leaves a hole of silence exactly where its audio belonged, and a callee who stops
sending (silence suppression, a muted phone, a broken path) still makes the clock advance: the
recording never compresses time, and missing audio counts as silence for the timeout.

End conditions, checked every frame:

* ``max_duration`` — the clock reached ``max_duration_s``;
* ``silence`` — ``silence_timeout_s`` of continuous silence. Silence counts from the start, so a
  callee who says nothing for the whole timeout ends it too (``speech_ms == 0`` tells the two
  apart), and a pause shorter than the timeout never ends a message;
* ``stopped`` — the caller's ``stop`` event was set (callee hung up, a digit was pressed);
* ``closed`` — the RTP session closed underneath us (the call ended);
* cancellation of the awaiting task propagates (``CancelledError``) after the listener is removed.

A frame is silent when its mean absolute sample is below ``silence_threshold`` (256 of 32,768 by
default, the level Asterisk's silence detection uses). Frames are judged ``JITTER_FRAMES`` behind
the clock so packets delayed by the network still count before their frame is judged.

Trailing silence is trimmed to ``keep_silence_ms`` after the last speech frame: a message that
ended by the silence timeout would otherwise end in seconds of nothing.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt

from callcast_telephony.rtp import g711
from callcast_telephony.rtp.pacing import FRAME_SECONDS, SAMPLES_PER_FRAME, frame_deadline
from callcast_telephony.rtp.packet import RtpPacket

from .wav import WAV_SAMPLE_RATE, pcm16_to_wav

EndReason = Literal["max_duration", "silence", "stopped", "closed"]

DEFAULT_SILENCE_THRESHOLD = 256
DEFAULT_KEEP_SILENCE_MS = 200
#: How far (frames) silence judgement lags the clock: room for network jitter and for the
#: session's reorder buffer, which may hold a packet up to 60 ms behind a lost one.
JITTER_FRAMES = 5
#: A timestamp this far (samples) from where the packet's arrival puts it is a new timeline
#: (the sender jumped its clock), not jitter: the stream is re-anchored on the arrival.
_RESYNC_SAMPLES = WAV_SAMPLE_RATE
_STATIC_CODECS = {0: "PCMU", 8: "PCMA"}
_FRAME_MS = round(FRAME_SECONDS * 1000)


class AudioSource(Protocol):
    """What recording needs from an :class:`~callcast_telephony.rtp.RtpSession`."""

    @property
    def codec(self) -> str: ...

    @property
    def closed(self) -> bool: ...

    def add_audio_listener(self, listener: Callable[[RtpPacket, float], None]) -> None: ...

    def remove_audio_listener(self, listener: Callable[[RtpPacket, float], None]) -> None: ...


@dataclass(frozen=True)
class Recording:
    """The callee's audio: ``pcm`` is 16-bit little-endian mono at 8 kHz, trailing silence trimmed."""

    pcm: bytes
    duration_ms: int  # of ``pcm``
    ended_by: EndReason
    speech_ms: int  # frames above the silence threshold, x 20 ms
    started_at: float  # time.time() when capture began
    captured_ms: int = 0  # the clock's span before trimming
    packets_received: int = 0
    frames_missing: int = 0  # captured frames no packet covered (written as silence)
    codec: str = "PCMU"  # what the callee sent

    @property
    def heard_speech(self) -> bool:
        return self.speech_ms > 0

    def samples(self) -> npt.NDArray[np.int16]:
        return np.frombuffer(self.pcm, dtype="<i2").astype(np.int16)

    def wav_bytes(self) -> bytes:
        """RIFF WAV, PCM16, 8 kHz, mono."""
        return pcm16_to_wav(self.pcm)


class CalleeCapture:
    """The recording's timeline: packets are written where their RTP timestamps put them.

    Pure (no clock, no I/O): the caller tells it when capture began (``t0``, the clock packets'
    arrival times are measured on) and asks it about frames.
    """

    def __init__(self, *, t0: float, capacity_frames: int, codec: str) -> None:
        self.t0 = t0
        self.codec = codec
        self.capacity_frames = capacity_frames
        self.packets_received = 0
        self._samples = np.zeros(capacity_frames * SAMPLES_PER_FRAME, dtype=np.int16)
        self._covered = np.zeros(capacity_frames, dtype=bool)
        self._anchor: tuple[int, int, int] | None = None  # (ssrc, rtp timestamp, sample position)

    def on_packet(self, packet: RtpPacket, arrival: float) -> None:
        """Audio listener for ``RtpSession.add_audio_listener``."""
        codec = _STATIC_CODECS.get(packet.payload_type, self.codec)
        pcm = g711.decode(codec, packet.payload)
        if not len(pcm):
            return
        self.packets_received += 1
        self._write(self._position(packet, arrival, len(pcm)), pcm)

    def _position(self, packet: RtpPacket, arrival: float, samples: int) -> int:
        # Where arrival alone puts the packet: its audio ends about when it arrives, on the frame grid.
        by_arrival = math.floor((arrival - self.t0) / FRAME_SECONDS) * SAMPLES_PER_FRAME - samples
        if self._anchor is not None and self._anchor[0] == packet.ssrc:
            _, anchor_ts, anchor_pos = self._anchor
            offset = (packet.timestamp - anchor_ts) & 0xFFFFFFFF
            if offset >= 1 << 31:
                offset -= 1 << 32
            position = anchor_pos + offset
            if abs(position - by_arrival) <= _RESYNC_SAMPLES:
                return position
        position = max(0, by_arrival)
        self._anchor = (packet.ssrc, packet.timestamp, position)
        return position

    def _write(self, position: int, pcm: npt.NDArray[np.int16]) -> None:
        start, end = max(position, 0), min(position + len(pcm), len(self._samples))
        if start >= end:
            return
        self._samples[start:end] = pcm[start - position : end - position]
        self._covered[start // SAMPLES_PER_FRAME : (end - 1) // SAMPLES_PER_FRAME + 1] = True

    def speech_frames(self, frames: int, threshold: int) -> npt.NDArray[np.bool_]:
        """Which of the first ``frames`` frames are at or above ``threshold`` (mean |sample|)."""
        block = self._samples[: frames * SAMPLES_PER_FRAME].astype(np.int32).reshape(frames, SAMPLES_PER_FRAME)
        return np.asarray(np.abs(block).mean(axis=1) >= threshold)

    def is_speech(self, frame: int, threshold: int) -> bool:
        chunk = self._samples[frame * SAMPLES_PER_FRAME : (frame + 1) * SAMPLES_PER_FRAME].astype(np.int32)
        return bool(np.abs(chunk).mean() >= threshold)

    def missing_frames(self, frames: int) -> int:
        return int(frames - np.count_nonzero(self._covered[:frames]))

    def pcm(self, frames: int) -> bytes:
        return self._samples[: frames * SAMPLES_PER_FRAME].astype("<i2").tobytes()


def _frames_in(seconds: float) -> int:
    return max(1, math.ceil(seconds / FRAME_SECONDS - 1e-9))


async def record_callee(
    rtp: AudioSource,
    *,
    max_duration_s: float,
    silence_timeout_s: float | None,
    stop: asyncio.Event | None = None,
    silence_threshold: int = DEFAULT_SILENCE_THRESHOLD,
    codec: str | None = None,
    keep_silence_ms: int = DEFAULT_KEEP_SILENCE_MS,
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> Recording:
    """Record what the callee sends until an end condition (module docstring); never raises for
    silence or a closed session. ``clock`` must be the clock the session stamps arrivals with."""
    if max_duration_s <= 0:
        raise ValueError("max_duration_s must be positive")
    if silence_timeout_s is not None and silence_timeout_s <= 0:
        raise ValueError("silence_timeout_s must be positive (or None for no silence timeout)")
    capacity = _frames_in(max_duration_s)
    silence_frames = _frames_in(silence_timeout_s) if silence_timeout_s is not None else None
    t0 = clock()
    started_at = wall_clock()
    capture = CalleeCapture(t0=t0, capacity_frames=capacity, codec=codec or rtp.codec)
    listener = capture.on_packet
    rtp.add_audio_listener(listener)
    try:
        ended_by, frames = await _run_clock(
            rtp, capture, t0, stop, silence_frames, silence_threshold, clock=clock, sleep=sleep
        )
    finally:
        rtp.remove_audio_listener(listener)
    return _finish(capture, ended_by, frames, started_at, silence_threshold, keep_silence_ms)


async def _run_clock(
    rtp: AudioSource,
    capture: CalleeCapture,
    t0: float,
    stop: asyncio.Event | None,
    silence_frames: int | None,
    threshold: int,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[object]],
) -> tuple[EndReason, int]:
    """Tick every 20 ms; return why capture ended and how many frames it spans."""
    capacity = capture.capacity_frames
    silent_run = 0
    tick = 1
    while True:
        # Overdue ticks (a stalled loop) are processed back to back: nothing is sent, so no burst.
        delay = frame_deadline(t0, tick) - clock()
        if delay > 0:
            await sleep(delay)
        elapsed = min(tick, capacity)
        if stop is not None and stop.is_set():
            return "stopped", elapsed
        if rtp.closed:
            return "closed", elapsed
        judged = tick - 1 - JITTER_FRAMES
        if 0 <= judged < capacity:
            silent_run = 0 if capture.is_speech(judged, threshold) else silent_run + 1
            if silence_frames is not None and silent_run >= silence_frames:
                return "silence", judged + 1
            if judged == capacity - 1:
                return "max_duration", capacity
        tick += 1


def _finish(
    capture: CalleeCapture,
    ended_by: EndReason,
    frames: int,
    started_at: float,
    threshold: int,
    keep_silence_ms: int,
) -> Recording:
    speech = capture.speech_frames(frames, threshold)
    spoken = np.flatnonzero(speech)
    last_speech = int(spoken[-1]) if len(spoken) else -1
    keep = math.ceil(max(keep_silence_ms, 0) / _FRAME_MS)
    kept = min(frames, last_speech + 1 + keep)
    return Recording(
        pcm=capture.pcm(kept),
        duration_ms=kept * _FRAME_MS,
        ended_by=ended_by,
        speech_ms=len(spoken) * _FRAME_MS,
        started_at=started_at,
        captured_ms=frames * _FRAME_MS,
        packets_received=capture.packets_received,
        frames_missing=capture.missing_frames(frames),
        codec=capture.codec,
    )
