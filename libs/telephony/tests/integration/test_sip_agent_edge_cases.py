"""Protocol corners SIPp cannot easily produce: a silent trunk, garbage on the wire, stray and
out-of-dialog requests, retransmitted and forked 2xx, late provisionals. A scripted UDP peer
plays the far end."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from callcast_telephony.sip import SipTimers, SipUserAgent, TrunkConfig
from callcast_telephony.sip.message import (
    SipMessage,
    SipRequest,
    SipResponse,
    make_response,
    parse_message,
)

pytestmark = pytest.mark.integration

Address = tuple[str, int]
ANSWER_SDP = (
    b"v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)


class ScriptedPeer(asyncio.DatagramProtocol):
    """A UDP socket that records every SIP message and lets the test answer by hand."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[tuple[SipMessage, Address]] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None
        self.address: Address = ("127.0.0.1", 0)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))
        self.transport = transport
        self.address = transport.get_extra_info("sockname")[:2]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.inbox.put_nowait((parse_message(data), addr))

    def send(self, message: SipMessage | bytes, addr: Address) -> None:
        assert self.transport is not None
        self.transport.sendto(message if isinstance(message, bytes) else message.to_bytes(), addr)

    async def next(self, timeout: float = 2.0) -> tuple[SipMessage, Address]:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    async def next_request(self, method: str, timeout: float = 2.0) -> tuple[SipRequest, Address]:
        while True:
            message, addr = await self.next(timeout)
            if isinstance(message, SipRequest) and message.method == method:
                return message, addr

    def answer(self, request: SipRequest, addr: Address, status: int, tag: str = "peer") -> None:
        extra = [("Contact", f"<sip:peer@{self.address[0]}:{self.address[1]}>")]
        body = ANSWER_SDP if 200 <= status < 300 else b""
        content_type = "application/sdp" if body else None
        response = make_response(request, status, to_tag=tag, extra_headers=extra, body=body, content_type=content_type)
        self.send(response, addr)


@pytest_asyncio.fixture(loop_scope="session")
async def peer() -> AsyncIterator[ScriptedPeer]:
    scripted = ScriptedPeer()
    await scripted.start()
    yield scripted
    assert scripted.transport is not None
    scripted.transport.close()


@pytest_asyncio.fixture(loop_scope="session")
async def ua(peer: ScriptedPeer) -> AsyncIterator[SipUserAgent]:
    agent = SipUserAgent(trunk=peer.address, timers=SipTimers(t1=0.02))
    await agent.start()
    yield agent
    await agent.close()


async def test_silent_trunk_fails_with_sip_timeout_after_timer_b(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    result = await ua.invite("+1", "+2", ring_timeout=30)
    assert (result.outcome, result.reason, result.sip_status) == ("failed", "sip_timeout", None)
    invites = 0
    while not peer.inbox.empty():
        message, _ = peer.inbox.get_nowait()
        invites += isinstance(message, SipRequest) and message.method == "INVITE"
    # sent at 0, 20, 60, 140, 300, 620 and 1260 ms; Timer B fires at 1280 ms and may win the
    # race against the last retransmission on a loaded machine
    assert invites in (6, 7)


async def test_malformed_datagrams_are_dropped_and_the_agent_keeps_working(
    ua: SipUserAgent, peer: ScriptedPeer
) -> None:
    garbage = [
        b"\x00\xff" * 40,
        b"INVITE sip:x SIP/2.0\r\n\r\n",
        b"SIP/2.0 200 OK\r\nVia: nonsense\r\n\r\n",
        b"BYE sip:a@b SIP/2.0\r\nCall-ID: 1\r\nCSeq: 99999999999 BYE\r\n\r\n",
        b"\r\n\r\n",  # a keep-alive, silently ignored
    ]
    for data in garbage:
        peer.send(data, ua.local_address)
    await asyncio.sleep(0.05)
    transport = ua._transport
    assert transport is not None
    assert transport.malformed_count == 4
    # still alive: a real call attempt completes
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 486)
    assert (await task).outcome == "busy"


def _out_of_dialog(method: str, peer: ScriptedPeer, *, to_tag: str | None = None) -> bytes:
    to = "<sip:callcast@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")
    return (
        f"{method} sip:callcast@127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {peer.address[0]}:{peer.address[1]};branch=z9hG4bK{method}{to_tag}\r\n"
        f"From: <sip:peer@127.0.0.1>;tag=p\r\nTo: {to}\r\nCall-ID: stray-{method}\r\n"
        f"CSeq: 1 {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("method", "to_tag", "status"),
    [
        ("OPTIONS", None, 200),
        ("BYE", "gone", 481),
        ("INFO", "gone", 481),
        ("INVITE", None, 603),
        ("MESSAGE", None, 405),
        ("FROBNICATE", None, 501),
    ],
)
async def test_out_of_dialog_requests_get_sensible_answers(
    ua: SipUserAgent, peer: ScriptedPeer, method: str, to_tag: str | None, status: int
) -> None:
    peer.send(_out_of_dialog(method, peer, to_tag=to_tag), ua.local_address)
    response, _ = await peer.next()
    assert isinstance(response, SipResponse)
    assert response.status == status
    assert response.cseq == (1, method)


async def test_retransmitted_2xx_is_acked_again(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 200)
    first_ack, _ = await peer.next_request("ACK")
    peer.answer(invite, addr, 200)  # as if our ACK had been lost
    second_ack, _ = await peer.next_request("ACK")
    assert first_ack.to_bytes() == second_ack.to_bytes()
    assert first_ack.cseq == (invite.cseq[0], "ACK")
    assert first_ack.top_via.branch != invite.top_via.branch  # 2xx ACK: a new transaction
    assert first_ack.uri == f"sip:peer@{peer.address[0]}:{peer.address[1]}"  # the Contact
    result = await task
    assert result.call is not None
    hangup = asyncio.ensure_future(result.call.hangup())
    bye, addr = await peer.next_request("BYE")
    peer.send(make_response(bye, 200), addr)
    await hangup


async def test_2xx_retransmissions_that_overtake_our_ack_are_each_acked(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    for _ in range(3):  # back to back, before the user agent had a chance to ACK the first
        peer.answer(invite, addr, 200)
    acks = [(await peer.next_request("ACK"))[0] for _ in range(3)]
    assert len({ack.to_bytes() for ack in acks}) == 1
    result = await task
    assert result.call is not None
    await asyncio.sleep(0.1)
    assert peer.inbox.empty()  # three 200s, three ACKs, nothing more
    hangup = asyncio.ensure_future(result.call.hangup())
    bye, addr = await peer.next_request("BYE")
    peer.send(make_response(bye, 200), addr)
    await hangup


async def test_early_media_sdp_is_used_when_the_200_has_none(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    early: list[tuple[int, str | None]] = []
    task = asyncio.ensure_future(
        ua.invite("+1", "+2", ring_timeout=5, on_early_media=lambda status, codec: early.append((status, codec)))
    )
    invite, addr = await peer.next_request("INVITE")
    contact = [("Contact", f"<sip:peer@{peer.address[0]}:{peer.address[1]}>")]
    for _ in range(2):  # a repeated 183 with the same SDP is one early-media start
        progress = make_response(
            invite, 183, to_tag="peer", extra_headers=contact, body=ANSWER_SDP, content_type="application/sdp"
        )
        peer.send(progress, addr)
    await asyncio.sleep(0.05)
    peer.send(make_response(invite, 200, to_tag="peer", extra_headers=contact), addr)  # no SDP
    await peer.next_request("ACK")
    result = await task
    assert result.outcome == "answered", result
    assert early == [(183, "PCMU")]
    assert result.early_media_at is not None
    call = result.call
    assert call is not None
    assert call.rtp.remote == ("127.0.0.1", 40000)
    assert call.telephone_event_pt == 101
    hangup = asyncio.ensure_future(call.hangup())
    bye, addr = await peer.next_request("BYE")
    peer.send(make_response(bye, 200), addr)
    await hangup


async def test_a_200_with_new_sdp_after_early_media_moves_the_media(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    contact = [("Contact", f"<sip:peer@{peer.address[0]}:{peer.address[1]}>")]
    sdp = "application/sdp"
    peer.send(make_response(invite, 183, to_tag="peer", extra_headers=contact, body=ANSWER_SDP, content_type=sdp), addr)
    await asyncio.sleep(0.05)
    moved = ANSWER_SDP.replace(b"m=audio 40000 RTP/AVP 0 101", b"m=audio 40002 RTP/AVP 8 101")
    peer.send(make_response(invite, 200, to_tag="peer", extra_headers=contact, body=moved, content_type=sdp), addr)
    await peer.next_request("ACK")
    result = await task
    assert result.early_media_at is not None
    call = result.call
    assert call is not None
    assert (call.rtp.remote, call.codec) == (("127.0.0.1", 40002), "PCMA")  # the 2xx's answer wins
    hangup = asyncio.ensure_future(call.hangup())
    bye, addr = await peer.next_request("BYE")
    peer.send(make_response(bye, 200), addr)
    await hangup


async def test_a_second_forked_2xx_is_acked_and_hung_up(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 200, tag="first")
    await peer.next_request("ACK")
    peer.answer(invite, addr, 200, tag="second")
    ack, _ = await peer.next_request("ACK")
    bye, bye_addr = await peer.next_request("BYE")
    assert ack.to.tag == bye.to.tag == "second"
    peer.send(make_response(bye, 200), bye_addr)
    result = await task
    assert result.call is not None
    assert result.call.dialog.remote_tag == "first"
    assert not result.call.ended
    hangup = asyncio.ensure_future(result.call.hangup())
    bye, addr = await peer.next_request("BYE")
    assert bye.to.tag == "first"
    peer.send(make_response(bye, 200), addr)
    await hangup


async def test_cancel_waits_for_a_provisional_response(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=0.1))
    invite, addr = await peer.next_request("INVITE")
    await asyncio.sleep(0.3)  # ring timeout passed, nothing received yet: no CANCEL allowed
    assert all(
        not (isinstance(m, SipRequest) and m.method == "CANCEL")
        for m, _ in [peer.inbox.get_nowait() for _ in range(peer.inbox.qsize())]
    )
    peer.answer(invite, addr, 180)
    cancel, cancel_addr = await peer.next_request("CANCEL")
    assert cancel.top_via.branch == invite.top_via.branch
    peer.send(make_response(cancel, 200), cancel_addr)
    peer.answer(invite, addr, 487)
    result = await task
    assert (result.outcome, result.reason) == ("no_answer", "ring_timeout")
    ack, _ = await peer.next_request("ACK")
    assert ack.top_via.branch == invite.top_via.branch  # non-2xx ACK: same transaction


async def test_abandoned_invite_is_cancelled(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=30))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 180)
    await asyncio.sleep(0.05)
    task.cancel()
    cancel, cancel_addr = await peer.next_request("CANCEL")
    assert cancel.call_id == invite.call_id
    peer.send(make_response(cancel, 200), cancel_addr)
    peer.answer(invite, addr, 487)
    await peer.next_request("ACK")
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_closing_the_agent_cancels_ringing_calls_without_cancelling_callers(peer: ScriptedPeer) -> None:
    agent = SipUserAgent(trunk=peer.address, timers=SipTimers(t1=0.02))
    await agent.start()
    task = asyncio.ensure_future(agent.invite("+1", "+2", ring_timeout=30))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 180)
    await asyncio.sleep(0.05)
    closing = asyncio.ensure_future(agent.close())
    cancel, cancel_addr = await peer.next_request("CANCEL")
    assert cancel.call_id == invite.call_id
    peer.send(make_response(cancel, 200), cancel_addr)
    peer.answer(invite, addr, 487)
    result = await task  # the caller gets a result, not a CancelledError
    assert (result.outcome, result.reason) == ("failed", "agent_closed")
    await closing


async def test_mid_call_requests_are_answered_without_ending_the_call(ua: SipUserAgent, peer: ScriptedPeer) -> None:
    task = asyncio.ensure_future(ua.invite("+1", "+2", ring_timeout=5))
    invite, addr = await peer.next_request("INVITE")
    peer.answer(invite, addr, 200)
    await peer.next_request("ACK")
    call = (await task).call
    assert call is not None
    ours = ua.local_address

    def in_dialog(method: str, cseq: int, body: bytes = b"", content_type: str = "") -> bytes:
        extra = f"Content-Type: {content_type}\r\n" if content_type else ""
        return (
            f"{method} sip:+2@127.0.0.1:{ours[1]} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {peer.address[0]}:{peer.address[1]};branch=z9hG4bKin{cseq}\r\n"
            f"From: {invite.headers.get('To')};tag=peer\r\nTo: {invite.headers.get('From')}\r\n"
            f"Call-ID: {invite.call_id}\r\nCSeq: {cseq} {method}\r\n{extra}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    expectations = [
        (in_dialog("INVITE", 10, ANSWER_SDP, "application/sdp"), 488),
        (in_dialog("OPTIONS", 11), 200),
        (in_dialog("INFO", 12, b"Signal=9\r\nDuration=100\r\n", "application/dtmf-relay"), 200),
        (in_dialog("INFO", 5), 500),  # CSeq went backwards
        (in_dialog("REFER", 13), 405),
    ]
    for data, status in expectations:
        peer.send(data, ours)
        response, _ = await peer.next()
        assert isinstance(response, SipResponse)
        assert response.status == status, data
    assert await asyncio.wait_for(call.dtmf.get(), 1) == "9"
    peer.send(in_dialog("INFO", 12, b"Signal=9\r\n", "application/dtmf-relay"), ours)  # retransmit
    repeated, _ = await peer.next()
    assert isinstance(repeated, SipResponse)
    assert repeated.status == 200
    await asyncio.sleep(0.05)
    assert call.dtmf.empty()  # the retransmission was answered from the cache, not re-delivered
    assert not call.ended
    assert not call.remote_hangup.is_set()
    peer.send(in_dialog("BYE", 14), ours)
    response, _ = await peer.next()
    assert isinstance(response, SipResponse)
    assert response.status == 200
    assert call.remote_hangup.is_set()
    assert call.ended


def test_port_is_really_released_after_close() -> None:
    async def run() -> int:
        agent = SipUserAgent(trunk=("127.0.0.1", 9))
        await agent.start()
        port = agent.local_address[1]
        await agent.close()
        return port

    port = asyncio.run(run())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", port))


async def test_an_outbound_proxy_gets_every_request_while_the_request_uri_names_the_trunk(peer: ScriptedPeer) -> None:
    trunk = TrunkConfig(
        host="carrier.test",
        port=5070,
        outbound_proxy=peer.address,
        from_domain="callcast.example",
        caller_id_format="digits",
    )
    async with SipUserAgent(trunk=trunk, timers=SipTimers(t1=0.05)) as agent:
        task = asyncio.ensure_future(agent.invite("+212600000001", "+212500000000", ring_timeout=5))
        invite, addr = await peer.next_request("INVITE")
        assert invite.uri == "sip:+212600000001@carrier.test:5070"
        assert str(invite.from_.uri) == "sip:212500000000@callcast.example"  # caller-id format, From domain
        # The far end's Contact is not reachable directly: in-dialog requests still go via the proxy.
        answer = make_response(
            invite,
            200,
            to_tag="far",
            extra_headers=[("Contact", "<sip:far@127.0.0.77:9>")],
            body=ANSWER_SDP,
            content_type="application/sdp",
        )
        peer.send(answer, addr)
        ack, _ = await peer.next_request("ACK")
        assert ack.uri == "sip:far@127.0.0.77:9"  # Request-URI: the remote target
        result = await task
        assert result.call is not None
        hangup = asyncio.ensure_future(result.call.hangup())
        bye, addr = await peer.next_request("BYE")
        assert bye.uri == "sip:far@127.0.0.77:9"
        peer.send(make_response(bye, 200), addr)
        await hangup


async def test_a_trunk_host_name_is_resolved_once_and_kept_in_the_request_uri(peer: ScriptedPeer) -> None:
    async with SipUserAgent(
        trunk=TrunkConfig(host="localhost", port=peer.address[1]), timers=SipTimers(t1=0.05)
    ) as agent:
        assert agent.next_hop == peer.address  # resolved by start(), IPv4 like our socket
        task = asyncio.ensure_future(agent.invite("+1", "+2", ring_timeout=5))
        invite, addr = await peer.next_request("INVITE")
        assert invite.uri == f"sip:+1@localhost:{peer.address[1]}"
        peer.answer(invite, addr, 486)
        await peer.next_request("ACK")
        assert (await task).outcome == "busy"
