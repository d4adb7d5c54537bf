"""Client transaction timers and the requests they build (RFC 3261 §17.1, §9.1)."""

from __future__ import annotations

import asyncio
import time

import pytest

from callcast_telephony.sip.headers import Headers
from callcast_telephony.sip.message import SipRequest, SipResponse, parse_message
from callcast_telephony.sip.transaction import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
    SipTimers,
    TransactionTimeout,
    TransportError,
)

pytestmark = pytest.mark.unit

TRUNK = ("127.0.0.1", 5080)


class FakeSender:
    reliable = False

    def __init__(self) -> None:
        self.sent: list[tuple[float, SipRequest]] = []
        self.registered: dict[tuple[str, str], ClientTransaction] = {}

    def send(self, message: SipRequest | bytes, address: tuple[str, int]) -> None:
        data = message if isinstance(message, bytes) else message.to_bytes()
        parsed = parse_message(data)
        assert isinstance(parsed, SipRequest)
        self.sent.append((time.monotonic(), parsed))

    def register(self, transaction: ClientTransaction) -> None:
        self.registered[transaction.key] = transaction

    def unregister(self, transaction: ClientTransaction) -> None:
        self.registered.pop(transaction.key, None)

    def methods(self) -> list[str]:
        return [request.method for _, request in self.sent]


def _request(method: str = "INVITE", branch: str = "z9hG4bKtest") -> SipRequest:
    headers = Headers(
        [
            ("Via", f"SIP/2.0/UDP 127.0.0.1:5060;rport;branch={branch}"),
            ("Route", "<sip:proxy.test;lr>"),
            ("Max-Forwards", "70"),
            ("From", "<sip:+2125@127.0.0.1>;tag=ours"),
            ("To", "<sip:+2126@127.0.0.1:5080>"),
            ("Call-ID", "call-1"),
            ("CSeq", f"7 {method}"),
        ]
    )
    return SipRequest(headers=headers, method=method, uri="sip:+2126@127.0.0.1:5080")


def _response(request: SipRequest, status: int, reason: str, to_tag: str | None = "theirs") -> SipResponse:
    headers = Headers()
    for via in request.headers.get_all("Via"):
        headers.add("Via", via)
    headers.add("From", request.headers.require("From"))
    headers.add("To", request.headers.require("To") + (f";tag={to_tag}" if to_tag else ""))
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", request.headers.require("CSeq"))
    return SipResponse(headers=headers, status=status, reason=reason)


def _record_intervals(transaction: ClientTransaction) -> list[float]:
    """The retransmission intervals the transaction asks for (wall-clock gaps are too noisy on a
    loaded machine to assert exactly)."""
    intervals: list[float] = []
    schedule = transaction._schedule_retransmit

    def recording(interval: float) -> None:
        intervals.append(interval)
        schedule(interval)

    transaction._schedule_retransmit = recording  # type: ignore[method-assign]
    return intervals


async def test_invite_is_retransmitted_with_doubling_intervals_until_timer_b() -> None:
    sender = FakeSender()
    transaction = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=0.02))
    intervals = _record_intervals(transaction)
    started = time.monotonic()
    transaction.start()
    with pytest.raises(TransactionTimeout):
        await asyncio.wait_for(transaction.final, 5)
    # Timer A: 20, 40, 80, 160, 320, 640 ms ... until Timer B (64 x 20 ms = 1.28 s)
    assert intervals[:6] == pytest.approx([0.02, 0.04, 0.08, 0.16, 0.32, 0.64])
    assert time.monotonic() - started == pytest.approx(1.28, abs=0.15)
    assert len(sender.sent) in (6, 7)  # the 7th (at 1.26 s) may lose the race with Timer B
    assert {request.method for _, request in sender.sent} == {"INVITE"}
    assert transaction.key not in sender.registered


async def test_a_provisional_response_stops_retransmissions_and_timer_b() -> None:
    sender = FakeSender()
    transaction = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=0.01))
    provisional: list[int] = []
    transaction.on_provisional = lambda r: provisional.append(r.status)
    transaction.start()
    transaction.on_response(_response(transaction.request, 180, "Ringing"))
    await asyncio.sleep(0.8)  # longer than Timer B would be (0.64 s)
    assert len(sender.sent) == 1
    assert provisional == [180]
    assert not transaction.final.done()
    assert transaction.provisional_received.is_set()
    transaction.terminate()


async def test_a_non_2xx_final_is_acked_with_the_invite_branch_and_re_acked_on_retransmission() -> None:
    sender = FakeSender()
    invite = _request()
    transaction = InviteClientTransaction(sender, invite, TRUNK, SipTimers(t1=0.05))
    transaction.start()
    busy = _response(invite, 486, "Busy Here")
    transaction.on_response(busy)
    transaction.on_response(busy)  # retransmitted: ACK again, not reported twice
    assert (await transaction.final).status == 486
    assert sender.methods() == ["INVITE", "ACK", "ACK"]
    ack = sender.sent[1][1]
    assert ack.uri == invite.uri
    assert ack.top_via.branch == invite.top_via.branch
    assert ack.cseq == (7, "ACK")
    assert ack.to.tag == "theirs"
    assert ack.headers.get_all("Route") == ["<sip:proxy.test;lr>"]
    transaction.terminate()


async def test_a_2xx_is_passed_up_and_later_2xx_go_to_the_core() -> None:
    sender = FakeSender()
    invite = _request()
    extra: list[SipResponse] = []
    transaction = InviteClientTransaction(sender, invite, TRUNK, SipTimers(t1=0.05))
    transaction.on_extra_2xx = lambda _transaction, response: extra.append(response)
    transaction.start()
    ok = _response(invite, 200, "OK")
    transaction.on_response(ok)
    transaction.on_response(ok)
    assert (await transaction.final).status == 200
    assert sender.methods() == ["INVITE"]  # the 2xx ACK is the TU's job, not the transaction's
    assert len(extra) == 1
    transaction.terminate()


async def test_a_finished_invite_transaction_lets_go_of_the_callers_callbacks() -> None:
    # They hold the caller's call state: kept through Timer M it would outlive the call by 32 s.
    sender = FakeSender()
    invite = _request()
    provisionals: list[SipResponse] = []
    transaction = InviteClientTransaction(sender, invite, TRUNK, SipTimers(t1=0.05), on_provisional=provisionals.append)
    transaction.on_extra_2xx = lambda _transaction, _response: None
    transaction.start()
    transaction.on_response(_response(invite, 180, "Ringing"))
    transaction.on_response(_response(invite, 200, "OK"))
    transaction.on_response(_response(invite, 183, "Session Progress"))  # after the final: ignored
    assert [r.status for r in provisionals] == [180]
    assert transaction.on_provisional is None
    assert transaction.on_extra_2xx is not None  # Timer M: a forked 2xx must still reach the core
    transaction.terminate()
    assert transaction.on_extra_2xx is None


async def test_cancel_matches_the_invite() -> None:
    invite = _request()
    transaction = InviteClientTransaction(FakeSender(), invite, TRUNK, SipTimers())
    cancel = transaction.build_cancel()
    assert cancel.method == "CANCEL"
    assert cancel.uri == invite.uri
    assert cancel.top_via.branch == invite.top_via.branch
    assert cancel.cseq == (7, "CANCEL")
    assert cancel.to.tag is None
    assert cancel.headers.get("From") == invite.headers.get("From")
    assert cancel.call_id == invite.call_id


async def test_non_invite_retransmissions_are_capped_at_t2() -> None:
    sender = FakeSender()
    transaction = NonInviteClientTransaction(sender, _request("BYE"), TRUNK, SipTimers(t1=0.01, t2=0.04))
    intervals = _record_intervals(transaction)
    transaction.start()
    with pytest.raises(TransactionTimeout):
        await asyncio.wait_for(transaction.final, 5)  # Timer F: 0.64 s
    assert intervals[:5] == pytest.approx([0.01, 0.02, 0.04, 0.04, 0.04])
    assert max(intervals) == pytest.approx(0.04)
    assert len(sender.sent) >= 10


async def test_non_invite_final_response_completes_the_transaction() -> None:
    sender = FakeSender()
    bye = _request("BYE")
    transaction = NonInviteClientTransaction(sender, bye, TRUNK, SipTimers(t1=0.05, t4=0.05))
    transaction.start()
    transaction.on_response(_response(bye, 100, "Trying"))
    transaction.on_response(_response(bye, 200, "OK"))
    assert (await transaction.final).status == 200
    await asyncio.sleep(0.1)  # Timer K
    assert transaction.state == "terminated"
    assert transaction.key not in sender.registered


# -- reliable transport (TCP): RFC 3261 §17.1.1.2, §17.1.2.2 ------------------------------------


class ReliableSender(FakeSender):
    reliable = True


async def test_an_invite_over_tcp_is_never_retransmitted_but_timer_b_still_fires() -> None:
    sender = ReliableSender()
    transaction = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=0.01))
    transaction.start()
    with pytest.raises(TransactionTimeout):
        await asyncio.wait_for(transaction.final, 5)  # Timer B = 0.64 s
    assert sender.methods() == ["INVITE"]


async def test_a_non_2xx_final_over_tcp_is_acked_and_the_transaction_ends_at_once() -> None:
    sender = ReliableSender()
    transaction = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=0.01))
    transaction.start()
    transaction.on_response(_response(transaction.request, 486, "Busy Here"))
    assert (await transaction.final).status == 486
    assert sender.methods() == ["INVITE", "ACK"]
    assert transaction.state == "terminated"  # Timer D = 0
    assert transaction.key not in sender.registered


async def test_a_bye_over_tcp_is_not_retransmitted_and_timer_k_is_zero() -> None:
    sender = ReliableSender()
    transaction = NonInviteClientTransaction(sender, _request("BYE"), TRUNK, SipTimers(t1=0.01))
    transaction.start()
    await asyncio.sleep(0.1)  # Timer E would have fired several times over UDP
    assert sender.methods() == ["BYE"]
    transaction.on_response(_response(transaction.request, 200, "OK"))
    assert (await transaction.final).status == 200
    assert transaction.state == "terminated"


async def test_a_transport_error_fails_the_transaction_without_waiting_for_timer_b() -> None:
    sender = ReliableSender()
    transaction = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=10))
    transaction.start()
    transaction.on_transport_error("connection refused")
    with pytest.raises(TransportError):
        await transaction.final
    assert transaction.key not in sender.registered


async def test_a_lost_connection_resends_an_unanswered_request_once_and_an_answered_one_never() -> None:
    sender = ReliableSender()
    invite = InviteClientTransaction(sender, _request(), TRUNK, SipTimers(t1=10))
    invite.start()
    invite.on_connection_lost()
    invite.on_connection_lost()  # the peer keeps dropping it: no resend loop
    assert sender.methods() == ["INVITE", "INVITE"]
    ringing = InviteClientTransaction(sender, _request(branch="z9hG4bKringing"), TRUNK, SipTimers(t1=10))
    ringing.start()
    ringing.on_response(_response(ringing.request, 180, "Ringing"))
    ringing.on_connection_lost()  # the server has it: a response may come over a new connection
    assert sender.methods() == ["INVITE", "INVITE", "INVITE"]
    invite.terminate()
    ringing.terminate()
