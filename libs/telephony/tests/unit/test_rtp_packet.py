"""RTP header (RFC 3550) and telephone-event (RFC 4733) parsing, and digit decoding."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_telephony.rtp import RtpSession
from callcast_telephony.rtp.dtmf import TelephoneEventDecoder
from callcast_telephony.rtp.packet import (
    RtpPacket,
    RtpParseError,
    TelephoneEvent,
    pack_rtp,
    parse_rtp,
    parse_telephone_event,
)

pytestmark = pytest.mark.unit


def test_header_fields_round_trip() -> None:
    data = pack_rtp(
        payload_type=8, sequence=65535, timestamp=2**32 - 1, ssrc=0xDEADBEEF, payload=b"\xd5" * 160,
        marker=True,
    )  # fmt: skip
    assert data[:2] == b"\x80\x88"
    packet = parse_rtp(data)
    assert packet == RtpPacket(8, 65535, 2**32 - 1, 0xDEADBEEF, b"\xd5" * 160, marker=True)


def test_csrcs_extension_and_padding_are_skipped() -> None:
    header = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 0, 7, 160, 1)
    csrcs = struct.pack("!II", 11, 12)
    extension = struct.pack("!HH", 0xBEDE, 1) + b"\x00" * 4
    data = header + csrcs + extension + b"abc" + b"\x00\x00\x03"
    packet = parse_rtp(data)
    assert packet.csrcs == (11, 12)
    assert packet.payload == b"abc"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x00\x00",
        b"\x40" + b"\x00" * 11,  # version 1
        b"\x8f" + b"\x00" * 11,  # 15 CSRCs announced, none present
        b"\x90" + b"\x00" * 11,  # extension announced, missing
        b"\xa0" + b"\x00" * 11 + b"\x05",  # padding longer than the packet
    ],
)
def test_malformed_packets_raise_rtp_parse_error(data: bytes) -> None:
    with pytest.raises(RtpParseError):
        parse_rtp(data)


@given(st.binary(max_size=64))
def test_random_datagrams_only_ever_raise_rtp_parse_error(data: bytes) -> None:
    try:
        parse_rtp(data)
    except RtpParseError:
        pass


def test_telephone_event_payload() -> None:
    event = parse_telephone_event(bytes([11, 0x80 | 10]) + struct.pack("!H", 1600))
    assert event == TelephoneEvent(event=11, end=True, volume=10, duration=1600)
    assert event.digit == "#"
    assert TelephoneEvent(16, False, 0, 0).digit is None  # flash
    with pytest.raises(RtpParseError):
        parse_telephone_event(b"\x01\x02")


def _event(digit: int, timestamp: int, *, end: bool, ssrc: int = 7, duration: int = 160) -> RtpPacket:
    payload = TelephoneEvent(digit, end, 10, duration).pack()
    return RtpPacket(96, 0, timestamp, ssrc, payload)


def _feed(decoder: TelephoneEventDecoder, packets: list[RtpPacket]) -> list[str]:
    return [digit for packet in packets for digit in decoder.feed(packet)]


def test_one_press_is_one_digit_despite_three_end_packets() -> None:
    packets = [_event(5, 1000, end=False, duration=d) for d in (160, 320, 480)]
    packets += [_event(5, 1000, end=True, duration=640)] * 3
    assert _feed(TelephoneEventDecoder(), packets) == ["5"]


def test_the_same_digit_pressed_twice_has_a_new_timestamp_and_counts_twice() -> None:
    packets = [_event(1, 1000, end=False), *[_event(1, 1000, end=True)] * 3]
    packets += [_event(1, 3000, end=False), *[_event(1, 3000, end=True)] * 3]
    assert _feed(TelephoneEventDecoder(), packets) == ["1", "1"]


def test_a_digit_whose_end_packets_were_lost_is_reported_when_the_next_starts() -> None:
    packets = [_event(4, 1000, end=False), _event(4, 1000, end=False)]
    packets += [_event(2, 3000, end=False), _event(2, 3000, end=True)]
    assert _feed(TelephoneEventDecoder(), packets) == ["4", "2"]


def test_flash_events_are_not_digits() -> None:
    assert _feed(TelephoneEventDecoder(), [_event(16, 1000, end=True)]) == []


async def test_the_session_records_how_each_digit_arrived_in_queue_order() -> None:
    session = RtpSession()
    session.set_remote("127.0.0.1", 9, telephone_event_pt=101)

    sequence = iter(range(500, 600))

    def event(digit: int, timestamp: int, end: bool) -> bytes:
        payload = TelephoneEvent(event=digit, end=end, volume=10, duration=160).pack()
        return pack_rtp(payload_type=101, sequence=next(sequence), timestamp=timestamp, ssrc=7, payload=payload)

    session._on_datagram(event(1, 1000, end=False), ("127.0.0.1", 9))
    session._on_datagram(event(1, 1000, end=True), ("127.0.0.1", 9))
    session._on_datagram(event(1, 1000, end=True), ("127.0.0.1", 9))  # a retransmitted end
    session.push_digit("9")  # SIP INFO
    session._on_datagram(event(11, 2000, end=True), ("127.0.0.1", 9))

    queued = [session.digits.get_nowait() for _ in range(session.digits.qsize())]
    assert queued == ["1", "9", "#"]
    how = [(d.digit, d.via) for d in session.received_digits]
    assert how == [("1", "rfc4733"), ("9", "sip_info"), ("#", "rfc4733")]
    times = [d.at for d in session.received_digits]
    assert times == sorted(times)
