"""One RTP stream per call: a paced G.711 sender and an always-on receiver.

The receiver counts packets, measures inter-arrival gaps of the audio stream, decodes RFC 4733
digits into :attr:`RtpSession.digits`, optionally records the callee's audio, and feeds audio
listeners (answering machine detection hooks in there). Sending happens only while
:meth:`RtpSession.play` runs; the RTP timestamp keeps following the clock across pauses
(RFC 3550 §5.1) and each prompt starts a talkspurt with the marker bit set.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import g711
from .dtmf import TelephoneEventDecoder
from .pacing import FRAME_BYTES, FRAME_SECONDS, SAMPLES_PER_FRAME, FramePacer
from .packet import RtpPacket, RtpParseError, pack_rtp, parse_rtp

log = logging.getLogger(__name__)

AudioListener = Callable[[RtpPacket, float], None]
_AUDIO_PAYLOAD_TYPES = {0: "PCMU", 8: "PCMA"}
CLOCK_RATE = 8000


@dataclass(frozen=True)
class PlayStats:
    frames_sent: int
    planned_seconds: float  # frames x 20 ms
    elapsed_seconds: float  # first deadline to last send
    max_lateness_ms: float
    mean_lateness_ms: float
    drift_ms: float  # last send minus its ideal time t0 + (n-1) x 20 ms: bounded, never grows
    resyncs: int
    completed: bool  # False when stopped early (barge-in, hangup, cancellation)


@dataclass(frozen=True)
class ReceivedDigit:
    """One key press, however it arrived: ``via`` is ``rfc4733`` (telephone-event RTP) or
    ``sip_info`` (SIP INFO); ``at`` is ``time.monotonic()`` when it was decoded."""

    digit: str
    via: str
    at: float


@dataclass(frozen=True)
class RtpStats:
    local_port: int
    remote: tuple[str, int] | None
    packets_sent: int
    octets_sent: int
    packets_received: int
    audio_packets_received: int
    event_packets_received: int
    invalid_packets: int
    max_gap_ms: float  # largest interval between consecutive received audio packets
    first_arrival: float | None  # time.monotonic()
    last_arrival: float | None
    digits_received: int


class _RtpProtocol(asyncio.DatagramProtocol):
    def __init__(self, session: RtpSession) -> None:
        self._session = session

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._session._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while the far end is not listening yet: harmless for RTP.
        log.debug("rtp socket error: %s", exc)


class RtpSession:
    def __init__(
        self,
        local_host: str = "127.0.0.1",
        *,
        record: bool = False,
        ptime: float = FRAME_SECONDS,
        max_lag: float = 0.1,
    ) -> None:
        self.local_host = local_host
        self.record = record
        self.ptime = ptime
        self.max_lag = max_lag
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        #: Every digit put on :attr:`digits`, in the same order, with how and when it arrived
        #: (the n-th ``digits.get()`` is ``received_digits[n]``).
        self.received_digits: list[ReceivedDigit] = []
        self.codec: str = "PCMU"
        self.payload_type: int = 0
        self.telephone_event_pt: int | None = None
        self.remote: tuple[str, int] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._local_port = 0
        self._closed = False
        self._play_lock = asyncio.Lock()
        self._stop_requested = False
        self._listeners: list[AudioListener] = []
        self._recording = bytearray()
        self._dtmf = TelephoneEventDecoder()
        # sender state: random starts make streams of consecutive calls distinguishable (§5.1)
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._next_timestamp = secrets.randbits(32)
        self._last_send: float | None = None
        self._sent = 0
        self._octets = 0
        # receiver state
        self._received = 0
        self._audio_received = 0
        self._events_received = 0
        self._invalid = 0
        self._digits_received = 0
        self._max_gap = 0.0
        self._first_arrival: float | None = None
        self._last_arrival: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self, port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _RtpProtocol(self), local_addr=(self.local_host, port)
        )
        self._transport = transport
        self._local_port = transport.get_extra_info("sockname")[1]

    @property
    def local_port(self) -> int:
        return self._local_port

    @property
    def closed(self) -> bool:
        return self._closed

    def set_remote(
        self,
        host: str,
        port: int,
        *,
        codec: str = "PCMU",
        payload_type: int | None = None,
        telephone_event_pt: int | None = None,
    ) -> None:
        if codec not in g711.SILENCE_BYTE:
            raise ValueError(f"unsupported codec {codec!r}")
        self.remote = (host, port)
        self.codec = codec
        self.payload_type = payload_type if payload_type is not None else (0 if codec == "PCMU" else 8)
        self.telephone_event_pt = telephone_event_pt

    def close(self) -> None:
        self._stop_requested = True
        self._closed = True
        if self._transport is not None:
            self._transport.close()

    # -- sending -----------------------------------------------------------------------------

    def stop_playback(self) -> None:
        """Make a running :meth:`play` return early (within one frame)."""
        self._stop_requested = True

    async def play(self, payload: bytes, codec: str | None = None) -> PlayStats:
        """Send ``payload`` (G.711 in ``codec``, default: the negotiated one) paced in 20 ms frames.

        Cancelling the task stops it immediately; :meth:`stop_playback` stops it gracefully.
        """
        if self.remote is None and not self._closed:
            raise RuntimeError("set_remote() before play()")
        async with self._play_lock:
            self._stop_requested = False
            data = g711.transcode(payload, codec or self.codec, self.codec)
            return await self._send_frames(self._frames(data))

    def _frames(self, data: bytes) -> list[bytes]:
        frames = [data[i : i + FRAME_BYTES] for i in range(0, len(data), FRAME_BYTES)]
        if frames and len(frames[-1]) < FRAME_BYTES:
            pad = bytes([g711.SILENCE_BYTE[self.codec]]) * (FRAME_BYTES - len(frames[-1]))
            frames[-1] += pad
        return frames

    async def _send_frames(self, frames: list[bytes]) -> PlayStats:
        pacer = FramePacer(self.ptime, max_lag=self.max_lag)
        t0 = pacer.start()
        timestamp = self._timestamp_after_pause(t0)
        sent = 0
        last_send = t0
        try:
            for n, frame in enumerate(frames):
                if self._stop_requested or self._closed:
                    break
                await pacer.wait_for_frame(n)
                if self._stop_requested or self._closed:
                    break
                self._send(frame, timestamp, marker=n == 0)
                timestamp += SAMPLES_PER_FRAME
                sent += 1
                last_send = time.monotonic()
        finally:
            self._next_timestamp = timestamp & 0xFFFFFFFF
            self._last_send = last_send if sent else self._last_send
        return PlayStats(
            frames_sent=sent,
            planned_seconds=sent * self.ptime,
            elapsed_seconds=last_send - t0,
            max_lateness_ms=pacer.lateness.maximum * 1000,
            mean_lateness_ms=pacer.lateness.mean * 1000,
            drift_ms=(last_send - (t0 + max(sent - 1, 0) * self.ptime)) * 1000 if sent else 0.0,
            resyncs=pacer.resyncs,
            completed=sent == len(frames),
        )

    def _timestamp_after_pause(self, now: float) -> int:
        # The RTP clock (8 kHz) keeps running while we are silent: skip what we did not send.
        if self._last_send is None:
            return self._next_timestamp
        frames = round((now - self._last_send) * CLOCK_RATE / SAMPLES_PER_FRAME)
        return self._next_timestamp + max(0, frames - 1) * SAMPLES_PER_FRAME

    def _send(self, frame: bytes, timestamp: int, *, marker: bool) -> None:
        if self._transport is None or self.remote is None:
            return
        packet = pack_rtp(
            payload_type=self.payload_type,
            sequence=self._sequence,
            timestamp=timestamp,
            ssrc=self._ssrc,
            payload=frame,
            marker=marker,
        )
        self._transport.sendto(packet, self.remote)
        self._sequence = (self._sequence + 1) & 0xFFFF
        self._sent += 1
        self._octets += len(frame)

    # -- receiving ---------------------------------------------------------------------------

    def add_audio_listener(self, listener: AudioListener) -> None:
        self._listeners.append(listener)

    def remove_audio_listener(self, listener: AudioListener) -> None:
        self._listeners.remove(listener)

    def _on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        now = time.monotonic()
        try:
            packet = parse_rtp(data)
        except RtpParseError:
            self._invalid += 1
            return
        self._received += 1
        pt = packet.payload_type
        if self.telephone_event_pt is not None and pt == self.telephone_event_pt:
            self._events_received += 1
            self._on_event(packet)
        elif pt == self.payload_type or (self.remote is None and pt in _AUDIO_PAYLOAD_TYPES):
            self._on_audio(packet, now)

    def _on_event(self, packet: RtpPacket) -> None:
        try:
            digits = self._dtmf.feed(packet)
        except RtpParseError:
            self._invalid += 1
            return
        for digit in digits:
            self._deliver(digit, "rfc4733")

    def _on_audio(self, packet: RtpPacket, now: float) -> None:
        self._audio_received += 1
        if self._last_arrival is not None:
            self._max_gap = max(self._max_gap, now - self._last_arrival)
        else:
            self._first_arrival = now
        self._last_arrival = now
        if self.record:
            self._recording += packet.payload
        for listener in self._listeners:
            try:
                listener(packet, now)
            except Exception:  # a listener bug must not stop the media path
                log.exception("audio listener failed")

    def push_digit(self, digit: str, via: str = "sip_info") -> None:
        """Deliver a digit that arrived another way (SIP INFO) through the same queue."""
        self._deliver(digit, via)

    def _deliver(self, digit: str, via: str) -> None:
        self._digits_received += 1
        self.received_digits.append(ReceivedDigit(digit, via, time.monotonic()))
        self.digits.put_nowait(digit)

    @property
    def recording(self) -> bytes:
        """The callee's audio payloads received so far (negotiated codec), if ``record``."""
        return bytes(self._recording)

    def reset_receive_stats(self) -> None:
        self._received = self._audio_received = self._events_received = self._invalid = 0
        self._max_gap = 0.0
        self._first_arrival = self._last_arrival = None

    def stats(self) -> RtpStats:
        return RtpStats(
            local_port=self._local_port,
            remote=self.remote,
            packets_sent=self._sent,
            octets_sent=self._octets,
            packets_received=self._received,
            audio_packets_received=self._audio_received,
            event_packets_received=self._events_received,
            invalid_packets=self._invalid,
            max_gap_ms=self._max_gap * 1000,
            first_arrival=self._first_arrival,
            last_arrival=self._last_arrival,
            digits_received=self._digits_received,
        )
