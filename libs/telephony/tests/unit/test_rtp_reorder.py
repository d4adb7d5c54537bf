"""The receive reorder buffer: in order, once each, across wrap, SSRC changes and restarts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_telephony.rtp.reorder import MAX_DROPOUT, ReorderBuffer

pytestmark = pytest.mark.unit


class Sink:
    def __init__(self, *, depth: int = 4, max_delay: float = 0.06) -> None:
        self.out: list[tuple[int, int]] = []  # (ssrc, sequence)
        self.times: list[float] = []
        self.buffer: ReorderBuffer[tuple[int, int]] = ReorderBuffer(self._release, depth=depth, max_delay=max_delay)

    def _release(self, item: tuple[int, int], now: float) -> None:
        self.out.append(item)
        self.times.append(now)

    def push(self, seq: int, *, ssrc: int = 1, now: float = 0.0) -> bool:
        return self.buffer.push((ssrc, seq & 0xFFFF), ssrc, seq & 0xFFFF, now)

    def sequences(self) -> list[int]:
        return [seq for _, seq in self.out]


def test_in_order_packets_pass_straight_through() -> None:
    sink = Sink()
    for seq in range(100, 110):
        assert sink.push(seq) is False
    assert sink.sequences() == list(range(100, 110))
    assert sink.buffer.stats.released == 10


def test_a_swapped_pair_is_put_back_in_order() -> None:
    sink = Sink()
    for seq in (1, 2, 4, 3, 5):
        sink.push(seq)
    assert sink.sequences() == [1, 2, 3, 4, 5]
    assert sink.buffer.stats.reordered == 1
    assert sink.buffer.stats.lost == 0


def test_duplicates_are_dropped_and_counted() -> None:
    sink = Sink()
    for seq in (1, 2, 2, 3, 1, 5, 5, 4):
        sink.push(seq)
    assert sink.sequences() == [1, 2, 3, 4, 5]
    assert sink.buffer.stats.duplicates == 3  # 2 again, 1 again, 5 while held


def test_a_lost_packet_is_given_up_after_depth_packets_and_a_late_one_dropped() -> None:
    sink = Sink(depth=3)
    sink.push(1)
    for seq in (3, 4, 5):  # 2 is missing: held, waiting
        assert sink.push(seq) is True
    assert sink.sequences() == [1]
    sink.push(6)  # a fourth packet held: give up on 2
    assert sink.sequences() == [1, 3, 4, 5, 6]
    assert sink.buffer.stats.lost == 1
    sink.push(2)  # arrives too late
    assert sink.sequences() == [1, 3, 4, 5, 6]
    assert sink.buffer.stats.late == 1


def test_held_packets_are_released_when_they_waited_max_delay() -> None:
    sink = Sink(depth=10, max_delay=0.06)
    sink.push(1, now=0.0)
    sink.push(3, now=0.02)
    sink.push(4, now=0.04)
    assert sink.buffer.release_due(0.05) == pytest.approx(0.08)  # 3 waits until 0.02 + 0.06
    assert sink.sequences() == [1]
    assert sink.buffer.release_due(0.08) is None
    assert sink.sequences() == [1, 3, 4]
    assert sink.times[-2:] == [0.08, 0.08]  # released now, in order


def test_sequence_numbers_wrap_at_65536() -> None:
    sink = Sink()
    for seq in (65533, 65534, 0, 65535, 1, 2):
        sink.push(seq)
    assert sink.sequences() == [65533, 65534, 65535, 0, 1, 2]
    assert sink.buffer.stats.lost == sink.buffer.stats.late == 0


def test_a_new_ssrc_is_a_new_stream_not_a_jump() -> None:
    sink = Sink()
    for seq in (10, 11, 12):
        sink.push(seq, ssrc=1)
    for seq in (40000, 40001, 40002):  # the peer switched source: unrelated numbering
        sink.push(seq, ssrc=2)
    sink.push(13, ssrc=1)  # the old one may still trickle in (a DTMF source, say)
    assert sink.out == [(1, 10), (1, 11), (1, 12), (2, 40000), (2, 40001), (2, 40002), (1, 13)]
    assert sink.buffer.stats.restarts == 1


def test_a_numbering_restart_on_the_same_ssrc_is_believed_after_two_packets() -> None:
    sink = Sink()
    for seq in (100, 101, 102):
        sink.push(seq)
    far = 102 + MAX_DROPOUT + 500
    sink.push(far)  # a stray packet, or a restart: wait and see
    assert sink.sequences() == [100, 101, 102]
    sink.push(103)  # the old numbering goes on: the stray one is forgotten
    sink.push(far + 5)
    sink.push(far + 6)  # two in a row: a restart
    sink.push(far + 7)
    assert sink.sequences() == [100, 101, 102, 103, far + 5, far + 6, far + 7]
    assert sink.buffer.stats.restarts == 1


def test_flush_releases_everything_held_in_order() -> None:
    sink = Sink(depth=10)
    sink.push(1)
    sink.push(4)
    sink.push(3)
    sink.buffer.flush(1.0)
    assert sink.sequences() == [1, 3, 4]
    assert not sink.buffer.holding


@given(
    start=st.integers(0, 65535),
    swaps=st.lists(st.integers(1, 58), max_size=20),  # the first packet starts the stream
    dups=st.lists(st.integers(0, 59), max_size=10),
)
def test_any_local_shuffle_with_duplicates_comes_out_in_order_once_each(
    start: int, swaps: list[int], dups: list[int]
) -> None:
    arrivals = list(range(60))
    for i in swaps:  # adjacent swaps; repeated ones move a packet far: depth covers it all
        arrivals[i], arrivals[i + 1] = arrivals[i + 1], arrivals[i]
    for d in dups:
        arrivals.insert(arrivals.index(d) + 1, d)
    sink = Sink(depth=64)
    for offset in arrivals:
        sink.push(start + offset)
    sink.buffer.flush(0.0)
    assert sink.sequences() == [(start + i) & 0xFFFF for i in range(60)]
    assert sink.buffer.stats.duplicates == len(dups)
