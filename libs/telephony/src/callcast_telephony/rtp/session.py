"""One RTP stream per call: a paced G.711 sender and an always-on receiver.

The receiver counts packets, measures inter-arrival gaps of the audio stream, puts what arrives
back in sequence order (:mod:`.reorder`), decodes RFC 4733 digits into :attr:`RtpSession.digits`,
optionally records the callee's audio, and feeds audio listeners (answering machine detection
hooks in there) in order. It also watches for media that stops (:attr:`RtpSession.inactive`)
and, for symmetric RTP, sends to where the peer's audio really comes from.

Sending happens only while :meth:`RtpSession.play` runs, paced by the event loop's shared
:class:`~.clock.MediaClock`; the RTP timestamp keeps following the clock across pauses
(RFC 3550 §5.1) and each prompt starts a talkspurt with the marker bit set.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from . import g711
from .clock import MediaClock, PacedStream
from .dtmf import TelephoneEventDecoder
from .pacing import FRAME_BYTES, FRAME_SECONDS, SAMPLES_PER_FRAME
from .packet import HEADER_SIZE, RtpPacket, RtpParseError, parse_rtp
from .reorder import ReorderBuffer

log = logging.getLogger(__name__)

AudioListener = Callable[[RtpPacket, float], None]
_AUDIO_PAYLOAD_TYPES = {0: "PCMU", 8: "PCMA"}
CLOCK_RATE = 8000
DEFAULT_INACTIVITY_TIMEOUT = 30.0
_HEADER = struct.Struct("!BBHII")
_SEND_ERRORS = (BlockingIOError, InterruptedError)


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
    audio_packets_received: int  # arrivals, duplicates included
    event_packets_received: int
    invalid_packets: int
    max_gap_ms: float  # largest interval between consecutive received audio packets
    first_arrival: float | None  # time.monotonic()
    last_arrival: float | None
    digits_received: int
    audio_packets_delivered: int = 0  # once each, in order, to recording and listeners
    duplicate_packets: int = 0
    late_packets: int = 0  # arrived after their gap was given up: dropped
    reordered_packets: int = 0  # held for an earlier packet, then delivered in order
    lost_packets: int = 0  # sequence numbers that never came (gaps given up)
    ssrc_changes: int = 0  # new SSRCs after the first, and sequence restarts
    latched_from: tuple[str, int] | None = None  # the SDP address, if symmetric RTP moved us
    inactive: bool = False
    send_errors: int = 0


class _RtpProtocol(asyncio.DatagramProtocol):
    def __init__(self, session: RtpSession) -> None:
        self._session = session
        # Every received packet comes through here: the session's handler itself, not a method
        # that calls it (one Python call less per packet).
        self.datagram_received = session._on_datagram  # type: ignore[method-assign]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._session._on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while the far end is not listening yet: harmless for RTP.
        log.debug("rtp socket error: %s", exc)


class RtpSession:
    """One call's RTP.

    ``inactivity_timeout``: once the first RTP packet has arrived, this many seconds without any
    packet set :attr:`inactive` (and call :attr:`on_inactive`); the dialer ends the call as
    failed/``rtp_timeout``. ``None`` disables it (not recommended: a peer that vanished without a
    BYE would hold the call forever). ``symmetric_rtp``: send to the source address of the first
    valid audio packet when it differs from the SDP address (comedia, RFC 4961), e.g. a callee
    behind NAT. ``reorder_depth``/``reorder_delay``: how many packets, and how long, received
    packets may be held to restore sequence order (see :mod:`.reorder`).
    """

    def __init__(
        self,
        local_host: str = "127.0.0.1",
        *,
        record: bool = False,
        ptime: float = FRAME_SECONDS,
        max_lag: float = 0.1,
        inactivity_timeout: float | None = DEFAULT_INACTIVITY_TIMEOUT,
        symmetric_rtp: bool = True,
        reorder_depth: int = 4,
        reorder_delay: float = 0.06,
        media_clock: MediaClock | None = None,
    ) -> None:
        if inactivity_timeout is not None and inactivity_timeout <= 0:
            raise ValueError("inactivity_timeout must be positive (or None)")
        self.local_host = local_host
        self.record = record
        self.ptime = ptime
        self.max_lag = max_lag
        self.inactivity_timeout = inactivity_timeout
        self.symmetric_rtp = symmetric_rtp
        self.digits: asyncio.Queue[str] = asyncio.Queue()
        #: Every digit put on :attr:`digits`, in the same order, with how and when it arrived
        #: (the n-th ``digits.get()`` is ``received_digits[n]``).
        self.received_digits: list[ReceivedDigit] = []
        #: Set when media stopped for ``inactivity_timeout`` seconds after it had started.
        self.inactive = asyncio.Event()
        #: Called once, without arguments, when :attr:`inactive` is set.
        self.on_inactive: Callable[[], None] | None = None
        self.codec: str = "PCMU"
        self.payload_type: int = 0
        self.telephone_event_pt: int | None = None
        self.remote: tuple[str, int] | None = None
        self.latched_from: tuple[str, int] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._sock: socket.socket | None = None
        self._local_port = 0
        self._closed = False
        self._play_lock = asyncio.Lock()
        self._stop_requested = False
        self._media_clock = media_clock
        self._stream: PacedStream | None = None
        self._stream_clock: MediaClock | None = None
        self._listeners: list[AudioListener] = []
        self._recording = bytearray()
        self._dtmf = TelephoneEventDecoder()
        self._reorder: ReorderBuffer[RtpPacket] = ReorderBuffer(
            self._on_ordered, depth=reorder_depth, max_delay=reorder_delay
        )
        self._reorder_timer: asyncio.TimerHandle | None = None
        # sender state: random starts make streams of consecutive calls distinguishable (§5.1)
        self._ssrc = secrets.randbits(32)
        self._sequence = secrets.randbits(16)
        self._next_timestamp = secrets.randbits(32)
        self._last_send: float | None = None
        self._sent = 0
        self._octets = 0
        self._send_errors = 0
        self._packet = bytearray(HEADER_SIZE + FRAME_BYTES)  # reused for every frame sent
        # receiver state
        self._latch_decided = False
        self._last_packet: float | None = None  # any valid RTP, for the inactivity timer
        self._inactivity_timer: asyncio.TimerHandle | None = None
        self._received = 0
        self._audio_received = 0
        self._audio_delivered = 0
        self._events_received = 0
        self._invalid = 0
        self._digits_received = 0
        self._max_gap = 0.0
        self._first_arrival: float | None = None
        self._last_arrival: float | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    async def open(self, port: int = 0) -> None:
        loop = asyncio.get_running_loop()
        family, kind, proto, _, address = socket.getaddrinfo(self.local_host, port, type=socket.SOCK_DGRAM)[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.bind(address)
            transport, _ = await loop.create_datagram_endpoint(lambda: _RtpProtocol(self), sock=sock)
        except BaseException:
            sock.close()
            raise
        # Frames go straight to the socket (no transport bookkeeping per packet); the transport
        # receives, and queues a frame only when the kernel buffer is full.
        self._sock = sock
        self._transport = transport
        self._local_port = transport.get_extra_info("sockname")[1]

    @property
    def local_port(self) -> int:
        return self._local_port

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def ssrc(self) -> int:
        """The SSRC of what we send."""
        return self._ssrc

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
        self.latched_from = None
        self._latch_decided = False

    def close(self) -> None:
        self._stop_requested = True
        self._closed = True
        self._end_stream()
        for timer in (self._inactivity_timer, self._reorder_timer):
            if timer is not None:
                timer.cancel()
        self._inactivity_timer = self._reorder_timer = None
        if self._reorder.holding:
            self._reorder.flush(time.monotonic())
        if self._transport is not None:
            self._transport.close()

    # -- sending -----------------------------------------------------------------------------

    def stop_playback(self) -> None:
        """Make a running :meth:`play` return early (at once)."""
        self._stop_requested = True
        self._end_stream()

    def _end_stream(self) -> None:
        if self._stream is not None and self._stream_clock is not None:
            self._stream_clock.stop(self._stream)

    async def play(self, payload: bytes, codec: str | None = None) -> PlayStats:
        """Send ``payload`` (G.711 in ``codec``, default: the negotiated one) paced in 20 ms frames.

        Cancelling the task stops it immediately; :meth:`stop_playback` stops it gracefully.
        """
        if self.remote is None and not self._closed:
            raise RuntimeError("set_remote() before play()")
        async with self._play_lock:
            self._stop_requested = False
            data = g711.transcode(payload, codec or self.codec, self.codec)
            return await self._send_frames(data)

    def _padded(self, data: bytes) -> bytes:
        short = -len(data) % FRAME_BYTES
        return data + bytes([g711.SILENCE_BYTE[self.codec]]) * short if short else data

    async def _send_frames(self, data: bytes) -> PlayStats:
        audio = memoryview(self._padded(data))
        frames = len(audio) // FRAME_BYTES
        clock = self._media_clock or MediaClock.for_running_loop()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        base = 0

        def finished(_: PacedStream) -> None:
            if not done.done():
                done.set_result(None)

        header = _HEADER.pack_into
        packet = self._packet
        sock = self._sock
        sendto = sock.sendto if sock is not None else None
        ssrc = self._ssrc

        def send(n: int) -> bool:
            # Runs for every frame of every call: one pack_into, one copy, one sendto, and as
            # little else as possible (attribute look-ups and calls add up over 25k frames/s).
            if self._stop_requested or self._closed:
                return False
            remote = self.remote
            if remote is None or self._transport is None:
                return True
            header(
                packet, 0, 0x80, (0x80 if n == 0 else 0) | self.payload_type, self._sequence,
                (base + n * SAMPLES_PER_FRAME) & 0xFFFFFFFF, ssrc,
            )  # fmt: skip
            offset = n * FRAME_BYTES
            packet[HEADER_SIZE:] = audio[offset : offset + FRAME_BYTES]
            if sendto is None:
                self._sendto(packet, remote)
            else:
                try:
                    sendto(packet, remote)
                except OSError as exc:
                    self._send_failed(packet, remote, exc)
            self._sequence = (self._sequence + 1) & 0xFFFF
            self._sent += 1
            self._octets += FRAME_BYTES
            return True

        stream = PacedStream(send, frames, ptime=self.ptime, max_lag=self.max_lag, on_done=finished)
        self._stream, self._stream_clock = stream, clock
        if self._stop_requested or self._closed:
            frames = 0
            stream.frames = 0
        t0 = time.monotonic()
        try:
            if frames:
                base = self._timestamp_after_pause(max(t0, clock.start(stream)))
                t0 = stream.t0
                await done
        finally:
            clock.stop(stream)  # cancelled: leave the wheel now
            self._stream = self._stream_clock = None
            sent = stream.sent
            last_send = stream.last_send if sent else t0
            self._next_timestamp = (base + sent * SAMPLES_PER_FRAME) & 0xFFFFFFFF if sent else self._next_timestamp
            self._last_send = last_send if sent else self._last_send
        t0 = stream.t0 if frames else t0
        return PlayStats(
            frames_sent=sent,
            planned_seconds=sent * self.ptime,
            elapsed_seconds=last_send - t0,
            max_lateness_ms=stream.late_max * 1000,
            mean_lateness_ms=stream.mean_lateness * 1000,
            drift_ms=(last_send - (t0 + max(sent - 1, 0) * self.ptime)) * 1000 if sent else 0.0,
            resyncs=stream.resyncs,
            completed=sent == frames,
        )

    def _timestamp_after_pause(self, now: float) -> int:
        # The RTP clock (8 kHz) keeps running while we are silent: skip what we did not send.
        if self._last_send is None:
            return self._next_timestamp
        frames = round((now - self._last_send) * CLOCK_RATE / SAMPLES_PER_FRAME)
        return self._next_timestamp + max(0, frames - 1) * SAMPLES_PER_FRAME

    def _sendto(self, packet: bytearray, remote: tuple[str, int]) -> None:
        sock = self._sock
        if sock is None:
            if self._transport is not None:
                self._transport.sendto(bytes(packet), remote)
            return
        try:
            sock.sendto(packet, remote)
        except OSError as exc:
            self._send_failed(packet, remote, exc)

    def _send_failed(self, packet: bytearray, remote: tuple[str, int], exc: OSError) -> None:
        self._send_errors += 1
        if isinstance(exc, _SEND_ERRORS):
            if self._transport is not None:
                self._transport.sendto(bytes(packet), remote)  # queued until the socket drains
            return
        log.debug("rtp send to %s failed: %s", remote, exc)

    # -- receiving ---------------------------------------------------------------------------

    def add_audio_listener(self, listener: AudioListener) -> None:
        """``listener(packet, time)`` is called for every audio packet, once each and in sequence
        order; ``time`` is ``time.monotonic()`` when the packet was released (its arrival, unless
        it waited in the reorder buffer for an earlier one)."""
        self._listeners.append(listener)

    def remove_audio_listener(self, listener: AudioListener) -> None:
        self._listeners.remove(listener)

    def _on_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        # Runs for every packet received (tens of thousands a second in one dialer): locals
        # instead of repeated attribute look-ups, and the audio case first.
        now = time.monotonic()
        try:
            packet = parse_rtp(data)
        except RtpParseError:
            self._invalid += 1
            return
        self._received += 1
        if self._last_packet is None:
            self._start_inactivity_timer(now)
        self._last_packet = now
        pt = packet.payload_type
        if pt == self.payload_type or (self.remote is None and pt in _AUDIO_PAYLOAD_TYPES):
            if pt != self.telephone_event_pt:
                self._audio_received += 1
                last = self._last_arrival
                if last is None:
                    self._first_arrival = now
                elif now - last > self._max_gap:
                    self._max_gap = now - last
                self._last_arrival = now
                if not self._latch_decided and self.remote is not None:
                    self._maybe_latch(packet, addr)
            else:
                self._events_received += 1
        elif pt == self.telephone_event_pt:
            self._events_received += 1
        if self._reorder.push(packet, packet[3], packet[1], now) and self._reorder_timer is None:
            self._arm_reorder_timer(now)

    def _maybe_latch(self, packet: RtpPacket, addr: tuple[str, int]) -> None:
        if packet.ssrc == self._ssrc:
            return  # our own stream reflected back (an echo): says nothing about the peer
        self._latch_decided = True
        if self.symmetric_rtp and self.remote is not None and addr[:2] != self.remote:
            log.info("symmetric RTP: sending to %s:%s instead of %s:%s", *addr[:2], *self.remote)
            self.latched_from = self.remote
            self.remote = (addr[0], addr[1])

    def _arm_reorder_timer(self, now: float) -> None:
        due = self._reorder.release_due(now)
        if due is not None and not self._closed:
            loop = asyncio.get_running_loop()
            self._reorder_timer = loop.call_later(max(0.0, due - now), self._on_reorder_timer)

    def _on_reorder_timer(self) -> None:
        self._reorder_timer = None
        self._arm_reorder_timer(time.monotonic())

    def _on_ordered(self, packet: RtpPacket, now: float) -> None:
        pt = packet.payload_type
        if pt == self.telephone_event_pt:
            self._on_event(packet)
        elif pt == self.payload_type or (self.remote is None and pt in _AUDIO_PAYLOAD_TYPES):
            self._audio_delivered += 1
            if self.record:
                self._recording += packet.payload
            listeners = self._listeners
            if listeners:
                done = 0
                try:
                    for listener in listeners:
                        listener(packet, now)
                        done += 1
                except Exception:  # a listener bug must not stop the media path
                    self._listener_failed(packet, now, done)

    def _listener_failed(self, packet: RtpPacket, now: float, failed: int) -> None:
        # One try around the loop (cheaper per packet than one per listener); the listeners after
        # the failed one still get the packet.
        log.exception("audio listener failed")
        for listener in self._listeners[failed + 1 :]:
            try:
                listener(packet, now)
            except Exception:
                log.exception("audio listener failed")

    def _on_event(self, packet: RtpPacket) -> None:
        try:
            digits = self._dtmf.feed(packet)
        except RtpParseError:
            self._invalid += 1
            return
        for digit in digits:
            self._deliver(digit, "rfc4733")

    # -- inactivity --------------------------------------------------------------------------

    def _start_inactivity_timer(self, now: float) -> None:
        if self.inactivity_timeout is not None and not self._closed:
            loop = asyncio.get_running_loop()
            self._inactivity_timer = loop.call_later(self.inactivity_timeout, self._check_inactivity)

    def _check_inactivity(self) -> None:
        self._inactivity_timer = None
        timeout = self.inactivity_timeout
        if self._closed or timeout is None or self._last_packet is None:
            return
        # One timer per timeout period, not one per packet: re-arm for what is left.
        left = self._last_packet + timeout - time.monotonic()
        if left > 0:
            self._inactivity_timer = asyncio.get_running_loop().call_later(left, self._check_inactivity)
            return
        log.info("no RTP for %.1f s from %s", timeout, self.remote)
        self.inactive.set()
        if self.on_inactive is not None:
            try:
                self.on_inactive()
            except Exception:
                log.exception("on_inactive callback failed")

    # -- digits and results ------------------------------------------------------------------

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
        self._audio_delivered = 0
        self._max_gap = 0.0
        self._first_arrival = self._last_arrival = None

    def stats(self) -> RtpStats:
        reorder = self._reorder.stats
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
            audio_packets_delivered=self._audio_delivered,
            duplicate_packets=reorder.duplicates,
            late_packets=reorder.late,
            reordered_packets=reorder.reordered,
            lost_packets=reorder.lost,
            ssrc_changes=reorder.restarts,
            latched_from=self.latched_from,
            inactive=self.inactive.is_set(),
            send_errors=self._send_errors,
        )
