"""Cutting SIP messages out of a TCP byte stream (RFC 3261 §18.3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_telephony.sip.framing import MAX_HEADER_BYTES, FramingError, StreamFramer
from callcast_telephony.sip.message import SipResponse, parse_message

pytestmark = pytest.mark.unit


def _message(n: int, body: bytes = b"") -> bytes:
    head = (
        f"SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK{n}\r\n"
        f"From: <sip:a@x>;tag=a\r\nTo: <sip:b@y>;tag=b\r\nCall-ID: c{n}\r\nCSeq: {n} INVITE\r\n"
    )
    if body:
        head += "Content-Type: application/sdp\r\n"
    return (head + f"Content-Length: {len(body)}\r\n\r\n").encode() + body


BODY = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n\r\n\r\nends with blank lines\r\n\r\n"


def test_several_messages_in_one_read_are_all_returned_in_order() -> None:
    stream = _message(1, BODY) + _message(2) + _message(3, BODY)
    messages = StreamFramer().feed(stream)
    assert [parse_message(m).cseq[0] for m in messages] == [1, 2, 3]
    first = parse_message(messages[0])
    assert isinstance(first, SipResponse)
    assert first.body == BODY  # blank lines inside the body survive


def test_a_message_split_across_reads_comes_out_once_complete() -> None:
    data = _message(1, BODY)
    framer = StreamFramer()
    for i in range(len(data) - 1):
        assert framer.feed(data[i : i + 1]) == []
    assert framer.feed(data[-1:]) == [data]
    assert framer.pending == 0


@given(st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=60))
def test_any_split_of_a_stream_yields_the_same_messages(cuts: list[int]) -> None:
    stream = b"\r\n\r\n" + _message(1, BODY) + _message(2) + b"\r\n" + _message(3, BODY)
    framer = StreamFramer()
    out: list[bytes] = []
    position = 0
    for cut in cuts:
        out += framer.feed(stream[position : position + cut])
        position += cut
    out += framer.feed(stream[position:])
    assert out == [_message(1, BODY), _message(2), _message(3, BODY)]


def test_crlf_keepalives_between_messages_are_skipped() -> None:
    framer = StreamFramer()
    assert framer.feed(b"\r\n\r\n") == []
    assert framer.feed(b"\r\n" + _message(5)) == [_message(5)]
    assert framer.keepalives >= 1


def test_compact_content_length_frames_the_body() -> None:
    data = _message(1, BODY).replace(b"Content-Length:", b"l:")
    assert StreamFramer().feed(data + _message(2)) == [data, _message(2)]


def test_a_message_without_content_length_has_an_empty_body() -> None:
    data = _message(1).replace(b"Content-Length: 0\r\n", b"")
    assert StreamFramer().feed(data + _message(2)) == [data, _message(2)]


@pytest.mark.parametrize("value", [b"abc", b"-1", b"99999999"])
def test_an_unusable_content_length_loses_the_framing(value: bytes) -> None:
    data = _message(1).replace(b"Content-Length: 0", b"Content-Length: " + value)
    with pytest.raises(FramingError):
        StreamFramer().feed(data)


def test_a_header_section_without_end_loses_the_framing() -> None:
    framer = StreamFramer()
    with pytest.raises(FramingError):
        framer.feed(b"SIP/2.0 200 OK\r\n" + b"X-Junk: y\r\n" * (MAX_HEADER_BYTES // 10))


@given(st.binary(max_size=4096), st.integers(min_value=1, max_value=64))
def test_random_bytes_never_raise_anything_but_framing_error(data: bytes, step: int) -> None:
    framer = StreamFramer()
    try:
        for i in range(0, len(data), step):
            for message in framer.feed(data[i : i + step]):
                assert message  # whatever comes out is a non-empty chunk for the parser
    except FramingError:
        pass


def test_double_crlf_pings_are_counted_for_pongs() -> None:
    framer = StreamFramer()
    framer.feed(b"\r\n\r\n")
    assert framer.pings == 1
    framer.feed(b"\r\n\r\n" + _message(1))
    assert framer.pings == 2
