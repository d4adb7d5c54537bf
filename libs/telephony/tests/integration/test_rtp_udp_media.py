"""RtpSession on real loopback UDP sockets: symmetric RTP, inactivity, reordering, pacing."""

from __future__ import annotations

import asyncio
import itertools
import random
import socket

import pytest

from callcast_telephony.rtp.packet import RtpPacket, pack_rtp, parse_rtp
from callcast_telephony.rtp.session import RtpSession

pytestmark = pytest.mark.integration


def udp_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    return sock


def audio(seq: int, ssrc: int = 0xFEED) -> bytes:
    return pack_rtp(payload_type=0, sequence=seq, timestamp=seq * 160, ssrc=ssrc, payload=bytes([seq & 0xFF]) * 160)


def drain(sock: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(2048))
        except BlockingIOError:
            return out


async def wait_until(predicate: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.01)


async def test_symmetric_rtp_sends_to_where_the_callee_really_is() -> None:
    advertised, real = udp_socket(), udp_socket()  # the SDP says one port, NAT uses another
    session = RtpSession()
    await session.open()
    try:
        session.set_remote(*advertised.getsockname(), codec="PCMU")
        await session.play(b"\xff" * 160 * 3)  # before any media from the callee: to the SDP address
        await asyncio.sleep(0.05)
        assert len(drain(advertised)) == 3
        for seq in range(5):
            real.sendto(audio(seq), ("127.0.0.1", session.local_port))
        await wait_until(lambda: session.stats().audio_packets_received == 5)
        assert session.remote == real.getsockname()
        assert session.stats().latched_from == advertised.getsockname()
        await session.play(b"\xff" * 160 * 5)
        await asyncio.sleep(0.05)
        got = [parse_rtp(d) for d in drain(real)]
        assert len(got) == 5
        assert {p.ssrc for p in got} == {session.ssrc}
        assert drain(advertised) == []
    finally:
        session.close()
        advertised.close()
        real.close()


async def test_media_that_stops_sets_inactive_and_media_that_flows_does_not() -> None:
    peer = udp_socket()
    flowing, stopping = RtpSession(inactivity_timeout=0.3), RtpSession(inactivity_timeout=0.3)
    for s in (flowing, stopping):
        await s.open()
        s.set_remote(*peer.getsockname())
    try:
        for seq in range(60):  # 1.2 s of media to one, 0.2 s to the other
            peer.sendto(audio(seq), ("127.0.0.1", flowing.local_port))
            if seq < 10:
                peer.sendto(audio(seq), ("127.0.0.1", stopping.local_port))
            await asyncio.sleep(0.02)
        await asyncio.wait_for(stopping.inactive.wait(), timeout=5)
        assert not flowing.inactive.is_set()
        assert stopping.stats().inactive
    finally:
        flowing.close()
        stopping.close()
        peer.close()


async def test_packets_reordered_and_duplicated_on_the_wire_reach_listeners_in_order() -> None:
    peer = udp_socket()
    session = RtpSession(record=True)
    await session.open()
    session.set_remote(*peer.getsockname())
    heard: list[int] = []

    def listener(packet: RtpPacket, _at: float) -> None:
        heard.append(packet.sequence)

    session.add_audio_listener(listener)
    order = list(range(65530, 65536)) + list(range(0, 30))  # across the wrap
    rng = random.Random(7)
    for i in range(1, len(order) - 1, 3):
        if rng.random() < 0.5:
            order[i], order[i + 1] = order[i + 1], order[i]
    wire = [*order[:10], order[5], *order[10:]]  # a duplicate too
    try:
        for seq in wire:
            peer.sendto(audio(seq), ("127.0.0.1", session.local_port))
        await wait_until(lambda: len(heard) >= 36)
        assert heard == list(range(65530, 65536)) + list(range(30))
        assert session.recording == b"".join(bytes([s & 0xFF]) * 160 for s in heard)
        assert session.stats().duplicate_packets == 1
    finally:
        session.close()
        peer.close()


async def test_many_sessions_share_the_pacing_clock_and_keep_time() -> None:
    peer = udp_socket()
    peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
    sessions = []
    for _ in range(30):
        s = RtpSession()
        await s.open()
        s.set_remote(*peer.getsockname())
        sessions.append(s)
    try:
        stats = await asyncio.gather(*(s.play(b"\xff" * 160 * 50) for s in sessions))  # 1 s each
        await asyncio.sleep(0.05)
        packets = [parse_rtp(d) for d in drain(peer)]
        assert all(p.completed and p.frames_sent == 50 for p in stats)
        assert len(packets) == 30 * 50
        by_ssrc: dict[int, list[int]] = {}
        for p in packets:
            by_ssrc.setdefault(p.ssrc, []).append(p.sequence)
        assert len(by_ssrc) == 30
        for seqs in by_ssrc.values():  # each stream in order, no gaps
            assert [(b - a) & 0xFFFF for a, b in itertools.pairwise(seqs)] == [1] * 49
        # paced, not burst: frame 49 never leaves before its deadline 0.98 s after frame 0
        # (minus the clock's 0.5 ms early tolerance); how late it may be is the benchmark's job
        assert all(p.elapsed_seconds >= 0.98 - 0.0006 for p in stats)
    finally:
        for s in sessions:
            s.close()
        peer.close()
