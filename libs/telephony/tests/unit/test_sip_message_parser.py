"""SIP message parsing and serialization (RFC 3261 §7)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callcast_telephony.sip.headers import Headers, NameAddress, SipUri, Via, split_list
from callcast_telephony.sip.message import (
    SipParseError,
    SipRequest,
    SipResponse,
    make_response,
    parse_message,
)

pytestmark = pytest.mark.unit

INVITE = (
    b"INVITE sip:+212600000001@127.0.0.1:5080 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKabc, SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKdef\r\n"
    b"Max-Forwards: 70\r\n"
    b'f: "Callcast" <sip:+212500000000@127.0.0.1>;tag=1928301774\r\n'
    b"t: <sip:+212600000001@127.0.0.1:5080>\r\n"
    b"i: a84b4c76e66710@127.0.0.1\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"m: <sip:+212500000000@127.0.0.1:5060>\r\n"
    b"Subject: a folded\r\n"
    b"  header value\r\n"
    b'WWW-Authenticate: Digest realm="a, b", nonce="x"\r\n'
    b"c: application/sdp\r\n"
    b"l: 4\r\n"
    b"\r\n"
    b"v=0\r\nEXTRA"
)


def test_compact_forms_are_expanded_and_multi_value_headers_split() -> None:
    message = parse_message(INVITE)
    assert isinstance(message, SipRequest)
    assert message.method == "INVITE"
    assert message.uri == "sip:+212600000001@127.0.0.1:5080"
    assert message.call_id == "a84b4c76e66710@127.0.0.1"
    assert message.cseq == (314159, "INVITE")
    assert len(message.headers.get_all("Via")) == 2
    assert message.top_via.branch == "z9hG4bKabc"
    assert "rport" in message.top_via.params
    assert message.from_.tag == "1928301774"
    assert message.from_.display_name == "Callcast"
    assert message.to.tag is None
    assert message.headers.get("Contact") == "<sip:+212500000000@127.0.0.1:5060>"
    assert message.content_type == "application/sdp"


def test_folded_header_lines_are_joined() -> None:
    assert parse_message(INVITE).headers.get("subject") == "a folded header value"


def test_authentication_headers_are_not_split_on_commas() -> None:
    assert parse_message(INVITE).headers.get_all("WWW-Authenticate") == ['Digest realm="a, b", nonce="x"']


def test_content_length_bounds_the_body() -> None:
    assert parse_message(INVITE).body == b"v=0\r"


def test_content_length_larger_than_the_datagram_is_rejected() -> None:
    with pytest.raises(SipParseError, match="truncated"):
        parse_message(INVITE.replace(b"l: 4", b"l: 400"))


def test_body_without_content_length_runs_to_the_end_of_the_datagram() -> None:
    message = parse_message(INVITE.replace(b"l: 4\r\n", b""))
    assert message.body == b"v=0\r\nEXTRA"


def test_leading_crlf_and_bare_lf_line_ends_are_tolerated() -> None:
    message = parse_message(b"\r\n\r\n" + INVITE.replace(b"\r\n", b"\n"))
    assert isinstance(message, SipRequest)
    assert message.call_id == "a84b4c76e66710@127.0.0.1"


def test_response_status_line_is_parsed() -> None:
    data = (
        b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx\r\n"
        b"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n"
        b"Content-Length: 0\r\n\r\n"
    )
    message = parse_message(data)
    assert isinstance(message, SipResponse)
    assert (message.status, message.reason) == (486, "Busy Here")
    assert message.to.tag == "2"


@pytest.mark.parametrize(
    ("mutation", "why"),
    [
        (lambda m: m.replace(b"i: a84b4c76e66710@127.0.0.1\r\n", b""), "Call-ID"),
        (lambda m: m.replace(b"CSeq: 314159 INVITE", b"CSeq: abc INVITE"), "CSeq"),
        (lambda m: m.replace(b"CSeq: 314159 INVITE", b"CSeq: 1 BYE"), "CSeq method"),
        (lambda m: m.replace(b"SIP/2.0\r\n", b"SIP/3.0\r\n", 1), "request line"),
        (lambda m: m.replace(b"Max-Forwards: 70", b"Max-Forwards 70"), "colon"),
        (lambda m: m.replace(b"v: SIP/2.0/UDP 127.0.0.1:5060", b"v: TCP 127.0.0.1:5060"), "Via"),
        (lambda m: m.replace(b"l: 4", b"l: -4"), "Content-Length"),
        (lambda m: m.replace(b"l: 4", b"l: 4\r\nl: 5"), "Content-Length"),
        (lambda m: b"SIP/2.0 99 Odd\r\n" + m.split(b"\r\n", 1)[1], "status"),
        (lambda m: m.replace(b'"Callcast" <sip:+212500000000@127.0.0.1>', b"<sip:x@h"), "From"),
        (lambda m: b"\xff\xfe" + m, "UTF-8"),
    ],
)
def test_malformed_messages_raise_sip_parse_error(mutation: Callable[[bytes], bytes], why: str) -> None:
    with pytest.raises(SipParseError):
        parse_message(mutation(INVITE))


def test_serialization_round_trips_and_recomputes_content_length() -> None:
    message = parse_message(INVITE)
    message.body = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"
    data = message.to_bytes()
    assert b"Content-Length: 31\r\n\r\n" in data
    again = parse_message(data)
    assert isinstance(again, SipRequest)
    assert again.body == message.body
    assert again.headers.get_all("Via") == message.headers.get_all("Via")
    assert again.from_.tag == "1928301774"


def test_list_headers_are_written_as_one_comma_joined_line() -> None:
    headers = Headers([("Allow", "INVITE, ACK, BYE")])
    assert headers.get_all("Allow") == ["INVITE", "ACK", "BYE"]
    request = SipRequest(headers=headers, method="OPTIONS", uri="sip:x@h")
    assert b"Allow: INVITE, ACK, BYE\r\n" in request.to_bytes()


def test_make_response_copies_transaction_headers_and_adds_a_to_tag() -> None:
    request = parse_message(INVITE)
    assert isinstance(request, SipRequest)
    response = make_response(request, 180, to_tag="abc")
    assert response.reason == "Ringing"
    assert response.headers.get_all("Via") == request.headers.get_all("Via")
    assert response.to.tag == "abc"
    assert response.cseq == (314159, "INVITE")


def test_uris_name_addresses_and_via_parse_and_print() -> None:
    uri = SipUri.parse("sip:+2126@[::1]:5080;transport=udp;lr")
    assert (uri.user, uri.host, uri.port) == ("+2126", "::1", 5080)
    assert uri.params == {"transport": "udp", "lr": None}
    assert str(uri) == "sip:+2126@[::1]:5080;transport=udp;lr"
    assert SipUri.parse("sip:proxy.example.com").address() == ("proxy.example.com", 5060)
    addr = NameAddress.parse("sip:bob@h;tag=9")  # addr-spec: the tag belongs to the header
    assert addr.tag == "9"
    assert addr.uri.params == {}
    via = Via.parse("SIP/2.0/udp host:5062;branch=z9hG4bK1;rport")
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "host", 5062, "z9hG4bK1")
    assert split_list('"a, b" <sip:x@h>, <sip:y@h;p=1,2>') == ['"a, b" <sip:x@h>', "<sip:y@h;p=1,2>"]


# -- fuzzing: nothing but SipParseError may ever escape the parser ------------------------------


@given(st.binary(max_size=2048))
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_random_bytes_never_raise_anything_but_sip_parse_error(data: bytes) -> None:
    try:
        parse_message(data)
    except SipParseError:
        pass


@given(
    st.lists(
        st.tuples(st.integers(0, len(INVITE) - 1), st.binary(min_size=0, max_size=4)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, len(INVITE)),
)
@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
def test_mutated_messages_never_raise_anything_but_sip_parse_error(edits: list[tuple[int, bytes]], cut: int) -> None:
    data = bytearray(INVITE)
    for position, replacement in edits:
        data[position : position + len(replacement) or position + 1] = replacement
    for candidate in (bytes(data), bytes(data[:cut])):
        try:
            message = parse_message(candidate)
        except SipParseError:
            continue
        # What parses must also be usable by the transaction layer without surprises.
        assert message.top_via is not None
        assert message.cseq[0] >= 0
        message.to_bytes()


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-.!%*_+`'~", min_size=1, max_size=12)


@given(
    method=st.sampled_from(["INVITE", "BYE", "INFO", "OPTIONS", "CANCEL"]),
    user=_token,
    tag=_token,
    call_id=_token,
    cseq=st.integers(0, 2**31),
    body=st.binary(max_size=64),
)
def test_any_generated_request_round_trips(
    method: str, user: str, tag: str, call_id: str, cseq: int, body: bytes
) -> None:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK{tag}"),
            ("From", f"<sip:{user}@127.0.0.1>;tag={tag}"),
            ("To", f"<sip:{user}@127.0.0.1>"),
            ("Call-ID", call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
    )
    request = SipRequest(headers=headers, body=body, method=method, uri=f"sip:{user}@127.0.0.1")
    parsed = parse_message(request.to_bytes())
    assert isinstance(parsed, SipRequest)
    assert (parsed.method, parsed.call_id, parsed.cseq, parsed.body) == (
        method,
        call_id,
        (cseq, method),
        body,
    )
    assert parsed.from_.tag == tag
