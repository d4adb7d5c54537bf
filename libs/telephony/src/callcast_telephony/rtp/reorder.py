"""Receive-side ordering of RTP by sequence number: a small reorder (jitter) buffer.

UDP may duplicate, reorder or drop packets; recording and answering machine detection want the
callee's audio once and in order. Per SSRC (a new SSRC is a new stream with its own numbering —
the peer switched media source — so it starts fresh instead of looking like a huge jump):

* the expected packet is released at once, then any held packets that now follow it;
* a packet ahead of the expected one is held, until the gap is filled, or more than ``depth``
  packets are held, or the oldest held one has waited ``max_delay``: then the gap is declared
  lost and the held packets are released in order;
* a packet behind the expected one is a duplicate (already released) or late (its gap was
  already given up): dropped and counted;
* sequence numbers wrap at 2^16: they are extended with a cycle count (RFC 3550 A.1);
* a jump of more than ``MAX_DROPOUT`` forward or ``MAX_MISORDER`` back is a restart of the
  numbering (e.g. a media server re-used the SSRC): it is believed once a second packet follows
  it in sequence, and then the stream restarts there.

Audio and telephone events of one SSRC share one numbering, so both go through here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_DROPOUT = 3000
MAX_MISORDER = 100
MAX_STREAMS = 8  # SSRCs remembered at once (the peer's audio, its DTMF source, a switch-over)
_HISTORY_BITS = 64
_HISTORY_MASK = (1 << _HISTORY_BITS) - 1


@dataclass
class ReorderStats:
    released: int = 0  # see ReorderBuffer.stats
    reordered: int = 0  # released after being held for an earlier packet
    duplicates: int = 0
    late: int = 0
    lost: int = 0  # sequence numbers given up on
    restarts: int = 0  # SSRCs that appeared after the first, plus numbering restarts


class _Stream(Generic[T]):
    __slots__ = ("candidate", "expected", "held", "highest", "history")

    def __init__(self, extended: int) -> None:
        self.expected = extended  # extended sequence number released next
        self.highest = extended  # highest extended sequence number seen
        self.history = 0  # bit i set: expected - 1 - i was released
        self.held: dict[int, tuple[T, float]] = {}
        self.candidate: tuple[int, T, float] | None = None  # a possible numbering restart

    def extend(self, sequence: int) -> int:
        delta = (sequence - self.highest) & 0xFFFF
        if delta >= 0x8000:
            delta -= 0x10000
        return self.highest + delta


class ReorderBuffer(Generic[T]):
    """Orders items (parsed packets) per SSRC; ``release(item, now)`` gets them in order."""

    def __init__(self, release: Callable[[T, float], None], *, depth: int = 4, max_delay: float = 0.06) -> None:
        if depth < 0:
            raise ValueError("depth must be >= 0")
        self._release = release
        self.depth = depth
        self.max_delay = max_delay
        self._streams: dict[int, _Stream[T]] = {}
        self._stats = ReorderStats()
        self._released = 0

    @property
    def stats(self) -> ReorderStats:
        self._stats.released = self._released
        return self._stats

    @property
    def holding(self) -> bool:
        return any(s.held for s in self._streams.values())

    def push(self, item: T, ssrc: int, sequence: int, now: float) -> bool:
        """Take one packet; True if packets are held afterwards (arm :meth:`release_due`)."""
        stream = self._streams.get(ssrc)
        if stream is not None and not stream.held and sequence == stream.expected & 0xFFFF:
            # The common case, inlined: the next packet in sequence, nothing held.
            stream.highest = stream.expected
            stream.expected += 1
            stream.history = ((stream.history << 1) | 1) & _HISTORY_MASK
            self._released += 1
            self._release(item, now)
            return False
        if stream is None:
            self._new_stream(item, ssrc, sequence, now)
            return False
        self._push_slow(stream, item, stream.extend(sequence), now)
        return bool(stream.held)

    def _new_stream(self, item: T, ssrc: int, sequence: int, now: float) -> None:
        if self._streams:
            self._stats.restarts += 1
        if len(self._streams) >= MAX_STREAMS:
            oldest = next(iter(self._streams))
            self._drain(self._streams.pop(oldest), now)
        stream: _Stream[T] = _Stream(sequence)
        self._streams[ssrc] = stream
        self._emit(stream, item, now)

    def _emit(self, stream: _Stream[T], item: T, now: float) -> None:
        stream.expected += 1
        stream.history = ((stream.history << 1) | 1) & _HISTORY_MASK
        self._released += 1
        self._release(item, now)

    def _push_slow(self, stream: _Stream[T], item: T, extended: int, now: float) -> None:
        ahead = extended - stream.expected
        if ahead > MAX_DROPOUT or ahead < -MAX_MISORDER:
            self._maybe_restart(stream, item, extended, now)
            return
        stream.candidate = None
        if ahead < 0:
            back = -ahead - 1
            if back < _HISTORY_BITS and (stream.history >> back) & 1:
                self._stats.duplicates += 1
            else:
                self._stats.late += 1
            return
        if extended in stream.held:
            self._stats.duplicates += 1
            return
        if extended > stream.highest:
            stream.highest = extended
        if ahead == 0:
            self._emit(stream, item, now)
        else:
            stream.held[extended] = (item, now)
        self._release_ready(stream, now)

    def _maybe_restart(self, stream: _Stream[T], item: T, extended: int, now: float) -> None:
        candidate = stream.candidate
        if candidate is not None and extended == candidate[0] + 1:
            self._drain(stream, now)
            self._stats.restarts += 1
            stream.expected = stream.highest = candidate[0]
            stream.history = 0
            stream.candidate = None
            self._emit(stream, candidate[1], candidate[2])
            self._emit(stream, item, now)
            stream.highest = extended
            return
        stream.candidate = (extended, item, now)

    def _release_ready(self, stream: _Stream[T], now: float) -> None:
        held = stream.held
        while held:
            entry = held.pop(stream.expected, None)
            if entry is not None:
                self._stats.reordered += 1
                self._emit(stream, entry[0], now)
                continue
            oldest = min(held)
            if len(held) > self.depth or now - held[oldest][1] >= self.max_delay:
                self._skip_to(stream, oldest)
                continue
            break

    def _skip_to(self, stream: _Stream[T], extended: int) -> None:
        gap = extended - stream.expected
        self._stats.lost += gap
        stream.history = (stream.history << gap) & _HISTORY_MASK
        stream.expected = extended

    def _drain(self, stream: _Stream[T], now: float) -> None:
        while stream.held:
            self._skip_to(stream, min(stream.held))
            item, _ = stream.held.pop(stream.expected)
            self._stats.reordered += 1
            self._emit(stream, item, now)

    def release_due(self, now: float) -> float | None:
        """Release what waited ``max_delay``; returns when to call again (None: nothing held)."""
        next_due: float | None = None
        for stream in self._streams.values():
            self._release_ready(stream, now)
            if stream.held:
                due = min(t for _, t in stream.held.values()) + self.max_delay
                next_due = due if next_due is None else min(next_due, due)
        return next_due

    def flush(self, now: float) -> None:
        """Release everything held, skipping the gaps (end of the call)."""
        for stream in self._streams.values():
            self._drain(stream, now)
