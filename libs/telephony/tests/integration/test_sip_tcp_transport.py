"""SIP over TCP: against SIPp (``-t t1``, one connection) and a scripted TCP peer that splits,
glues and drops the stream."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from callcast_stack.sipp import SippCallee
from callcast_telephony.sip import SipTimers, SipUserAgent
from callcast_telephony.sip.framing import StreamFramer
from callcast_telephony.sip.message import SipMessage, SipRequest, make_response, parse_message
from callcast_telephony.sip.tcp import TcpSipTransport
from callcast_telephony.sip.trunk import TrunkConfig

pytestmark = pytest.mark.integration

CALLEE = "+212600000001"
CALLER = "+212500000000"
ANSWER_SDP = (
    b"v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    b"m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
)


def _tcp_agent(address: tuple[str, int], **trunk: object) -> SipUserAgent:
    return SipUserAgent(
        trunk=TrunkConfig(host=address[0], port=address[1], transport="tcp", **trunk),  # type: ignore[arg-type]
        user_agent="Callcast/test",
        timers=SipTimers(t1=0.1),
    )


def _count(messages: str, start_line: str) -> int:
    return sum(1 for line in messages.splitlines() if line.startswith(start_line))


async def test_an_answered_call_over_tcp_uses_one_connection_and_no_retransmissions(tmp_path: Path) -> None:
    async with SippCallee("answer", log_dir=tmp_path, transport="t1", trace_messages=True) as callee:
        async with _tcp_agent(callee.address) as ua:
            result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
            assert result.outcome == "answered", result
            assert result.call is not None
            await asyncio.sleep(0.6)  # beyond Timer A/E at T1 = 100 ms: nothing may be resent
            await result.call.hangup()
            counts = await callee.wait_for_counts(successful=1)
            assert counts.successful == 1  # SIPp saw our ACK and BYE on its TCP socket
            transport = ua.transport
            assert isinstance(transport, TcpSipTransport)
            assert transport.connects == 1
        messages = callee.messages()
    assert _count(messages, "INVITE sip:") == 1
    assert _count(messages, "BYE sip:") == 1
    assert "Via: SIP/2.0/TCP" in messages
    assert ";transport=tcp>" in messages  # our Contact


async def test_a_burst_of_100_calls_shares_one_tcp_connection(tmp_path: Path) -> None:
    calls = 100
    async with (
        SippCallee("answer", log_dir=tmp_path, transport="t1", rtp_echo=False) as callee,
        _tcp_agent(callee.address) as ua,
    ):
        results = await asyncio.gather(*(ua.invite(CALLEE, CALLER, ring_timeout=10) for _ in range(calls)))
        assert [r.outcome for r in results] == ["answered"] * calls
        await asyncio.gather(*(r.call.hangup() for r in results if r.call is not None))
        assert (await callee.wait_for_counts(successful=calls)).successful == calls, callee.errors()
        transport = ua.transport
        assert isinstance(transport, TcpSipTransport)
        assert transport.connects == 1
        assert transport.malformed_count == 0


async def test_a_crlf_ping_gets_a_pong(peer: TcpPeer) -> None:
    async with _tcp_agent(peer.address) as ua:
        reader, writer = await asyncio.open_connection(*ua.local_address)
        writer.write(b"\r\n\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.readexactly(2), 2) == b"\r\n"
        writer.close()


async def test_callee_hangup_busy_and_ring_timeout_over_tcp(tmp_path: Path) -> None:
    # SIPp fails a call whose connection closes during its timewait: count before closing.
    async with (
        SippCallee("answer_then_bye", log_dir=tmp_path, transport="t1", pause_ms=300) as hangs_up,
        SippCallee("busy", log_dir=tmp_path, transport="t1") as busy,
        SippCallee("ring_no_answer", log_dir=tmp_path, transport="t1") as rings,
    ):
        async with _tcp_agent(hangs_up.address) as ua:
            result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
            assert result.call is not None
            await asyncio.wait_for(result.call.remote_hangup.wait(), 5)  # SIPp's BYE came over TCP
            assert (await hangs_up.wait_for_counts(successful=1)).successful == 1, hangs_up.errors()
        async with _tcp_agent(busy.address) as ua:
            result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
            assert (result.outcome, result.sip_status) == ("busy", 486)
            assert (await busy.wait_for_counts(successful=1)).successful == 1, busy.errors()
        async with _tcp_agent(rings.address) as ua:
            result = await ua.invite(CALLEE, CALLER, ring_timeout=0.5)
            assert (result.outcome, result.reason) == ("no_answer", "ring_timeout")
            assert (await rings.wait_for_counts(successful=1)).successful == 1, rings.errors()


async def test_trunk_credentials_answer_the_challenge_over_tcp(tmp_path: Path) -> None:
    async with (
        SippCallee("auth", log_dir=tmp_path, transport="t1") as callee,
        _tcp_agent(callee.address, username="callcast", password="secret") as ua,
    ):
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)  # no credentials passed
        assert result.outcome == "answered", result
        assert result.call is not None
        await result.call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1


# -- a scripted TCP peer ----------------------------------------------------------------------


class TcpPeer:
    """A TCP listener that frames what it reads and lets the test write raw bytes back."""

    def __init__(self) -> None:
        self.inbox: asyncio.Queue[SipMessage] = asyncio.Queue()
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.address: tuple[str, int] = ("127.0.0.1", 0)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.address = self.server.sockets[0].getsockname()[:2]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        framer = StreamFramer()
        while data := await reader.read(65536):
            for message in framer.feed(data):
                self.inbox.put_nowait(parse_message(message))

    async def next_request(self, method: str, timeout: float = 3.0) -> SipRequest:
        while True:
            message = await asyncio.wait_for(self.inbox.get(), timeout)
            if isinstance(message, SipRequest) and message.method == method:
                return message

    async def write_slowly(self, data: bytes, pieces: int) -> None:
        writer = self.writers[-1]
        step = max(1, len(data) // pieces)
        for i in range(0, len(data), step):
            writer.write(data[i : i + step])
            await writer.drain()
            await asyncio.sleep(0.005)

    def response(self, request: SipRequest, status: int) -> bytes:
        body = ANSWER_SDP if status == 200 else b""
        return make_response(
            request,
            status,
            to_tag="peer",
            extra_headers=[("Contact", f"<sip:peer@{self.address[0]}:{self.address[1]};transport=tcp>")],
            body=body,
            content_type="application/sdp" if body else None,
        ).to_bytes()

    async def close(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest_asyncio.fixture(loop_scope="session")
async def peer() -> AsyncIterator[TcpPeer]:
    tcp_peer = TcpPeer()
    await tcp_peer.start()
    yield tcp_peer
    await tcp_peer.close()


async def test_responses_split_into_pieces_and_glued_together_are_all_understood(peer: TcpPeer) -> None:
    async with _tcp_agent(peer.address) as ua:
        progress: list[int] = []
        call = asyncio.ensure_future(
            ua.invite(CALLEE, CALLER, ring_timeout=5, on_progress=lambda s, _: progress.append(s))
        )
        invite = await peer.next_request("INVITE")
        # 100 + 180 + 183 in one write, then the 200 cut into 25 pieces behind a keep-alive.
        await peer.write_slowly(peer.response(invite, 100) + peer.response(invite, 180) + peer.response(invite, 183), 1)
        await peer.write_slowly(b"\r\n\r\n" + peer.response(invite, 200), 25)
        await peer.next_request("ACK")
        result = await call
        assert result.outcome == "answered", result
        assert progress == [180, 183]
        assert result.call is not None
        hangup = asyncio.ensure_future(result.call.hangup())
        bye = await peer.next_request("BYE")
        await peer.write_slowly(make_response(bye, 200).to_bytes(), 3)
        await hangup
        assert ua.transport.malformed_count == 0


async def test_a_lost_connection_is_reopened_for_the_next_call(peer: TcpPeer) -> None:
    async with _tcp_agent(peer.address) as ua:
        transport = ua.transport
        assert isinstance(transport, TcpSipTransport)
        for expected_connects in (1, 2):
            call = asyncio.ensure_future(ua.invite(CALLEE, CALLER, ring_timeout=5))
            invite = await peer.next_request("INVITE")
            await peer.write_slowly(peer.response(invite, 486), 1)
            await peer.next_request("ACK")
            assert (await call).outcome == "busy"
            assert transport.connects == expected_connects
            peer.writers[-1].close()  # the trunk drops the connection
            for _ in range(100):
                if transport.connection_to(peer.address) is None:
                    break
                await asyncio.sleep(0.01)


async def test_an_invite_whose_connection_dies_unanswered_is_sent_again_on_a_new_one(peer: TcpPeer) -> None:
    async with _tcp_agent(peer.address) as ua:
        transport = ua.transport
        assert isinstance(transport, TcpSipTransport)
        call = asyncio.ensure_future(ua.invite(CALLEE, CALLER, ring_timeout=5))
        first = await peer.next_request("INVITE")
        peer.writers[-1].close()  # the trunk restarts before answering
        again = await peer.next_request("INVITE")
        assert again.to_bytes() == first.to_bytes()  # the same transaction (branch, CSeq)
        await peer.write_slowly(peer.response(again, 486), 1)
        await peer.next_request("ACK")
        result = await call
        assert (result.outcome, result.sip_status) == ("busy", 486)
        assert transport.connects == 2


async def test_garbage_on_the_stream_closes_that_connection_without_hurting_the_agent(peer: TcpPeer) -> None:
    async with _tcp_agent(peer.address) as ua:
        call = asyncio.ensure_future(ua.invite(CALLEE, CALLER, ring_timeout=5))
        invite = await peer.next_request("INVITE")
        await peer.write_slowly(b"SIP/2.0 180 Ringing\r\nContent-Length: lots\r\n\r\n", 1)
        for _ in range(100):
            if ua.transport.malformed_count:
                break
            await asyncio.sleep(0.01)
        assert ua.transport.malformed_count == 1
        # The far end answers over a new connection to our Via sent-by (RFC 3261 §18.2.2).
        reader, writer = await asyncio.open_connection(*ua.local_address)
        writer.write(peer.response(invite, 603))
        await writer.drain()
        result = await call
        assert (result.outcome, result.sip_status) == ("rejected", 603)
        writer.close()
        del reader


async def test_a_trunk_that_refuses_connections_fails_the_call_at_once() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once the probe closes
    async with SipUserAgent(
        trunk=TrunkConfig(host="127.0.0.1", port=closed_port, transport="tcp"), timers=SipTimers(t1=10)
    ) as ua:
        result = await asyncio.wait_for(ua.invite(CALLEE, CALLER, ring_timeout=30), 5)  # Timer B: 640 s
    assert (result.outcome, result.reason) == ("failed", "transport_error")
