"""RtpSession's receive side without sockets: ordered listeners, symmetric RTP, inactivity."""

from __future__ import annotations

import asyncio

import pytest

from callcast_telephony.rtp.packet import RtpPacket, TelephoneEvent, pack_rtp
from callcast_telephony.rtp.session import RtpSession

pytestmark = pytest.mark.unit

SDP = ("127.0.0.1", 40000)
NAT = ("127.0.0.7", 61000)  # where the callee's packets really come from


def audio(seq: int, *, ssrc: int = 0xCA11EE, pt: int = 0, fill: int | None = None) -> bytes:
    payload = bytes([seq & 0xFF if fill is None else fill]) * 160
    return pack_rtp(payload_type=pt, sequence=seq, timestamp=seq * 160, ssrc=ssrc, payload=payload)


def session(**kwargs: object) -> RtpSession:
    s = RtpSession(**kwargs)  # type: ignore[arg-type]
    s.set_remote(*SDP, codec="PCMU", telephone_event_pt=101)
    return s


async def test_listeners_and_recording_get_each_packet_once_in_sequence_order() -> None:
    s = session(record=True)
    heard: list[tuple[int, float]] = []

    def listener(packet: RtpPacket, at: float) -> None:
        heard.append((packet.sequence, at))

    s.add_audio_listener(listener)
    for seq in (10, 11, 13, 12, 12, 14):
        s._on_datagram(audio(seq), SDP)
    assert [seq for seq, _ in heard] == [10, 11, 12, 13, 14]
    assert [at for _, at in heard] == sorted(at for _, at in heard)
    assert s.recording == b"".join(bytes([n]) * 160 for n in (10, 11, 12, 13, 14))
    stats = s.stats()
    assert stats.audio_packets_received == 6  # arrivals, the duplicate included
    assert stats.audio_packets_delivered == 5
    assert (stats.duplicate_packets, stats.reordered_packets, stats.lost_packets) == (1, 1, 0)
    s.remove_audio_listener(listener)
    s._on_datagram(audio(15), SDP)
    assert len(heard) == 5


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    s = session()
    heard: list[int] = []

    def broken(_p: RtpPacket, _t: float) -> None:
        raise RuntimeError("bug")

    s.add_audio_listener(broken)
    s.add_audio_listener(lambda p, _t: heard.append(p.sequence))
    s._on_datagram(audio(1), SDP)
    assert heard == [1]


async def test_symmetric_rtp_latches_to_the_source_of_the_first_valid_audio_packet() -> None:
    s = session()
    s._on_datagram(b"\x00garbage", NAT)  # not RTP
    s._on_datagram(audio(1, pt=13), NAT)  # comfort noise: not the negotiated audio
    s._on_datagram(audio(1, ssrc=s.ssrc), NAT)  # our own stream reflected: says nothing
    assert s.remote == SDP
    s._on_datagram(audio(2), NAT)
    assert s.remote == NAT
    assert s.stats().latched_from == SDP
    s._on_datagram(audio(3), ("127.0.0.8", 1234))  # only the first one decides
    assert s.remote == NAT


async def test_no_latching_when_the_peer_sends_from_its_sdp_address_or_when_disabled() -> None:
    s = session()
    s._on_datagram(audio(1), SDP)
    s._on_datagram(audio(2), NAT)
    assert s.remote == SDP
    assert s.latched_from is None
    off = session(symmetric_rtp=False)
    off._on_datagram(audio(1), NAT)
    assert off.remote == SDP


async def test_a_new_sdp_answer_allows_a_new_latch() -> None:
    s = session()
    s._on_datagram(audio(1), NAT)
    s.set_remote("127.0.0.1", 40002, codec="PCMU")
    assert s.remote == ("127.0.0.1", 40002)
    s._on_datagram(audio(2), NAT)
    assert s.remote == NAT


def test_inactivity_timeout_must_be_positive() -> None:
    with pytest.raises(ValueError, match="inactivity_timeout"):
        RtpSession(inactivity_timeout=0)


async def test_inactivity_counts_only_after_media_started_and_fires_once() -> None:
    s = session(inactivity_timeout=0.2)
    fired: list[bool] = []
    s.on_inactive = lambda: fired.append(True)
    await asyncio.sleep(0.4)
    assert not s.inactive.is_set()  # no media yet: the callee may simply not send
    for seq in range(10):  # media flows: the timer keeps being pushed back
        s._on_datagram(audio(seq), SDP)
        await asyncio.sleep(0.05)
    assert not s.inactive.is_set()
    await asyncio.wait_for(s.inactive.wait(), timeout=5)
    await asyncio.sleep(0.3)
    assert fired == [True]
    assert s.stats().inactive
    s.close()


async def test_closing_stops_the_inactivity_timer() -> None:
    s = session(inactivity_timeout=0.1)
    s._on_datagram(audio(1), SDP)
    s.close()
    await asyncio.sleep(0.3)
    assert not s.inactive.is_set()


async def test_a_gap_is_released_after_the_reorder_delay_even_if_nothing_else_arrives() -> None:
    s = session(reorder_delay=0.05)
    heard: list[int] = []
    s.add_audio_listener(lambda p, _t: heard.append(p.sequence))
    s._on_datagram(audio(1), SDP)
    s._on_datagram(audio(3), SDP)  # 2 lost, and then the callee goes quiet
    assert heard == [1]
    for _ in range(100):
        await asyncio.sleep(0.02)
        if heard == [1, 3]:
            break
    assert heard == [1, 3]
    assert s.stats().lost_packets == 1
    s.close()


async def test_digits_survive_reordering_of_telephone_events() -> None:
    s = session()

    def event(seq: int, end: bool) -> bytes:
        payload = TelephoneEvent(event=5, end=end, volume=10, duration=160 * (seq - 99)).pack()
        return pack_rtp(payload_type=101, sequence=seq, timestamp=8000, ssrc=0xCA11EE, payload=payload)

    s._on_datagram(audio(99), SDP)
    for seq, end in ((100, False), (102, True), (101, False), (103, True), (104, True)):
        s._on_datagram(event(seq, end), SDP)
    assert [d.digit for d in s.received_digits] == ["5"]
    assert s.digits.qsize() == 1
