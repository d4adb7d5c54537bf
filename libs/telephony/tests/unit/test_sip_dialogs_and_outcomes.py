"""Dialog bookkeeping (RFC 3261 §12), outcome mapping and SIP INFO digits."""

from __future__ import annotations

import pytest

from callcast_telephony.sip.call import parse_info_digit
from callcast_telephony.sip.dialog import Dialog
from callcast_telephony.sip.headers import Headers
from callcast_telephony.sip.message import SipRequest, SipResponse
from callcast_telephony.sip.outcomes import outcome_for_final

pytestmark = pytest.mark.unit


def _invite() -> SipRequest:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1"),
            ("From", "<sip:+2125@127.0.0.1>;tag=ours"),
            ("To", "<sip:+2126@127.0.0.1:5080>"),
            ("Call-ID", "c1"),
            ("CSeq", "3 INVITE"),
        ]
    )
    return SipRequest(headers=headers, method="INVITE", uri="sip:+2126@127.0.0.1:5080")


def _ok(record_route: list[str] | None = None) -> SipResponse:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1"),
            ("From", "<sip:+2125@127.0.0.1>;tag=ours"),
            ("To", "<sip:+2126@127.0.0.1:5080>;tag=theirs"),
            ("Call-ID", "c1"),
            ("CSeq", "3 INVITE"),
            ("Contact", "<sip:callee@127.0.0.9:5099;transport=udp>"),
        ]
    )
    for route in record_route or []:
        headers.add("Record-Route", route)
    return SipResponse(headers=headers, status=200, reason="OK")


def test_ack_for_2xx_goes_to_the_contact_with_the_invite_cseq() -> None:
    dialog = Dialog.from_2xx(_invite(), _ok())
    ack = dialog.build_request("ACK", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnew", cseq=dialog.invite_cseq)
    assert ack.uri == "sip:callee@127.0.0.9:5099;transport=udp"
    assert ack.cseq == (3, "ACK")
    assert ack.to.tag == "theirs"
    assert ack.from_.tag == "ours"
    assert dialog.next_hop().address() == ("127.0.0.9", 5099)


def test_bye_takes_the_next_cseq_and_follows_the_reversed_record_route() -> None:
    dialog = Dialog.from_2xx(_invite(), _ok(["<sip:p2.test;lr>", "<sip:p1.test;lr>"]))
    bye = dialog.build_request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbye")
    assert bye.cseq == (4, "BYE")
    assert bye.headers.get_all("Route") == ["<sip:p1.test;lr>", "<sip:p2.test;lr>"]
    assert bye.uri == "sip:callee@127.0.0.9:5099;transport=udp"
    assert dialog.next_hop().host == "p1.test"


def test_strict_router_gets_the_request_uri() -> None:
    dialog = Dialog.from_2xx(_invite(), _ok(["<sip:strict.test>"]))
    bye = dialog.build_request("BYE", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbye")
    assert bye.uri == "sip:strict.test"
    assert bye.headers.get_all("Route") == ["<sip:callee@127.0.0.9:5099;transport=udp>"]


def _incoming(method: str, cseq: int, to_tag: str = "ours", from_tag: str = "theirs") -> SipRequest:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.9:5099;branch=z9hG4bKin"),
            ("From", f"<sip:+2126@127.0.0.1:5080>;tag={from_tag}"),
            ("To", f"<sip:+2125@127.0.0.1>;tag={to_tag}"),
            ("Call-ID", "c1"),
            ("CSeq", f"{cseq} {method}"),
        ]
    )
    return SipRequest(headers=headers, method=method, uri="sip:+2125@127.0.0.1:5060")


def test_requests_match_a_dialog_by_call_id_and_both_tags() -> None:
    dialog = Dialog.from_2xx(_invite(), _ok())
    assert dialog.matches(_incoming("BYE", 1))
    assert not dialog.matches(_incoming("BYE", 1, to_tag="other"))
    assert not dialog.matches(_incoming("BYE", 1, from_tag="other"))


def test_remote_cseq_must_not_go_backwards() -> None:
    dialog = Dialog.from_2xx(_invite(), _ok())
    assert dialog.accept_remote_cseq(_incoming("INFO", 5))
    assert dialog.accept_remote_cseq(_incoming("INFO", 6))
    assert not dialog.accept_remote_cseq(_incoming("BYE", 4))


@pytest.mark.parametrize(
    ("status", "reason", "cancelled", "expected"),
    [
        (200, "OK", False, ("answered", None)),
        (486, "Busy Here", False, ("busy", "sip_486 Busy Here")),
        (600, "Busy Everywhere", False, ("busy", "sip_600 Busy Everywhere")),
        (603, "Decline", False, ("rejected", "sip_603 Decline")),
        (487, "Request Terminated", True, ("no_answer", "ring_timeout")),
        (487, "Request Terminated", False, ("failed", "sip_487 Request Terminated")),
        (404, "Not Found", False, ("failed", "sip_404 Not Found")),
        (503, "Service Unavailable", False, ("failed", "sip_503 Service Unavailable")),
        (302, "Moved Temporarily", False, ("failed", "sip_302 Moved Temporarily")),
    ],
)
def test_final_responses_map_to_outcomes(
    status: int, reason: str, cancelled: bool, expected: tuple[str, str | None]
) -> None:
    assert outcome_for_final(status, reason, cancelled=cancelled) == expected


@pytest.mark.parametrize(
    ("content_type", "body", "digit"),
    [
        ("application/dtmf-relay", b"Signal=5\r\nDuration=160\r\n", "5"),
        ("application/dtmf-relay", b"signal= #\r\n", "#"),
        ("application/dtmf-relay", b"Signal=11\r\nDuration=100", "#"),
        ("application/dtmf-relay", b"Signal=10", "*"),
        ("application/dtmf", b"7", "7"),
        ("application/dtmf-relay", b"Duration=160", None),
        ("application/dtmf-relay", b"Signal=Z", None),
        ("text/plain", b"Signal=5", None),
    ],
)
def test_sip_info_bodies_give_digits(content_type: str, body: bytes, digit: str | None) -> None:
    assert parse_info_digit(content_type, body) == digit
