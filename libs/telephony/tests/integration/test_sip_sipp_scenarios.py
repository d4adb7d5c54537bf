"""Carrier-grade corners against real SIPp callees: early media, retransmitted 200 OK, proxy
authentication, malformed responses, repeated DTMF (SIP INFO and RFC 4733 from our own pcap),
Record-Route and rport, and the calls-per-second limit.

SIPp fails a call on any unexpected or missing message, so "SIPp counted it successful" proves
our side of each exchange (every ACK, the Route set, where our responses went)."""

from __future__ import annotations

import asyncio
import math
import os
import time
from pathlib import Path

import numpy as np
import pytest

from callcast_stack.rtp_pcap import audio_packets, dtmf_packets, pcap_bytes
from callcast_stack.sipp import SippCallee
from callcast_telephony.rtp import g711
from callcast_telephony.sip import SipTimers, SipUserAgent, TrunkConfig

pytestmark = pytest.mark.integration

CALLEE = "+212600000001"
CALLER = "+212500000000"
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="SIPp play_pcap_audio needs raw sockets (root)")


def _agent(callee: SippCallee, **trunk: object) -> SipUserAgent:
    config = TrunkConfig(host=callee.host, port=callee.address[1], **trunk)  # type: ignore[arg-type]
    return SipUserAgent(trunk=config, user_agent="Callcast/test", timers=SipTimers(t1=0.1))


async def _digits(queue: asyncio.Queue[str], count: int, timeout: float = 5.0) -> str:
    return "".join([await asyncio.wait_for(queue.get(), timeout) for _ in range(count)])


@needs_root
async def test_early_media_from_183_is_received_before_the_answer(tmp_path: Path) -> None:
    t = np.arange(int(0.6 * 8000)) / 8000
    tone = g711.ulaw_encode((np.sin(2 * math.pi * 600 * t) * 8000).astype(np.int16))
    pcap = pcap_bytes(audio_packets(tone, payload_type=0))
    async with (
        SippCallee("early_media_then_answer", log_dir=tmp_path, files={"callcast_early.pcap": pcap}) as callee,
        _agent(callee) as ua,
    ):
        early: list[tuple[int, str | None]] = []
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5, on_early_media=lambda s, c: early.append((s, c)))
        returned = time.monotonic()
        assert result.outcome == "answered", result
        call = result.call
        assert call is not None
        assert early == [(183, "PCMU")]
        assert result.early_media_at is not None
        assert result.answered_at is not None
        assert result.invited_at is not None
        assert result.invited_at <= result.early_media_at < result.answered_at
        stats = call.rtp.stats()
        assert stats.audio_packets_received >= 25, stats  # 30 packets of early media
        # SIPp sends no audio after its 200 (no echo): all of it came between 183 and 200.
        assert stats.first_arrival is not None
        assert stats.first_arrival < returned - 0.2
        assert result.answered_at - result.early_media_at >= 0.5
        await call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()


async def test_a_200_retransmitted_after_our_ack_is_acked_every_time(tmp_path: Path) -> None:
    # -nr: SIPp would take our second (identical) ACK for a retransmission and resend its 200.
    async with (
        SippCallee("retransmit_200", log_dir=tmp_path, trace_messages=True, extra_args=("-nr",)) as callee,
        _agent(callee) as ua,
    ):
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
        assert result.outcome == "answered", result
        assert result.call is not None
        await asyncio.sleep(0.5)  # the retransmissions come 100 ms after each ACK
        await result.call.hangup()
        counts = await callee.wait_for_counts(successful=1)
        assert counts.successful == 1, callee.errors()
        acks = sum(line.startswith("ACK sip:") for line in callee.messages().splitlines())
        assert acks == 3


async def test_proxy_authentication_with_qop_is_answered_with_a_new_cseq(tmp_path: Path) -> None:
    async with (
        SippCallee("auth_proxy", log_dir=tmp_path, trace_messages=True) as callee,
        _agent(callee, username="callcast", password="secret", realm="proxy.callcast.test") as ua,
    ):
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)  # the trunk's credentials
        assert result.outcome == "answered", result
        assert result.call is not None
        await result.call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()
        assert "Proxy-Authorization: Digest" in callee.messages()


async def test_credentials_for_another_realm_are_not_offered(tmp_path: Path) -> None:
    async with (
        SippCallee("auth_proxy", log_dir=tmp_path) as callee,
        _agent(callee, username="callcast", password="secret", realm="other.test") as ua,
    ):
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
    assert (result.outcome, result.sip_status) == ("failed", 407)


async def test_malformed_responses_are_dropped_and_the_call_still_completes(tmp_path: Path) -> None:
    async with SippCallee("malformed_responses", log_dir=tmp_path) as callee, _agent(callee) as ua:
        progress: list[int] = []
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5, on_progress=lambda s, _: progress.append(s))
        assert result.outcome == "answered", result
        assert result.call is not None
        assert ua.transport.malformed_count == 4  # garbage, short body, no Call-ID, bad CSeq
        assert progress == []  # none of the broken provisionals counted
        await result.call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()


async def test_the_same_digit_sent_twice_by_sip_info_gives_two_digits(tmp_path: Path) -> None:
    async with SippCallee("dtmf_info_twice", log_dir=tmp_path, dtmf_digits="5") as callee, _agent(callee) as ua:
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
        assert result.call is not None
        assert await _digits(result.call.dtmf, 2) == "55"
        await asyncio.sleep(0.2)
        assert result.call.dtmf.empty()
        await result.call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()


@needs_root
async def test_rfc4733_digits_pressed_twice_each_count(tmp_path: Path) -> None:
    pcap = pcap_bytes(dtmf_packets("1155#", payload_type=101))
    async with (
        SippCallee("dtmf_pcap", log_dir=tmp_path, files={"callcast_dtmf.pcap": pcap}) as callee,
        _agent(callee) as ua,
    ):
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
        call = result.call
        assert call is not None
        assert call.telephone_event_pt == 101
        assert await _digits(call.dtmf, 5) == "1155#"
        await asyncio.sleep(0.3)  # the end packets are sent three times: no extra digits
        assert call.dtmf.empty()
        await call.hangup()
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()


async def test_in_dialog_requests_follow_record_route_and_responses_follow_rport(tmp_path: Path) -> None:
    async with SippCallee("record_route", log_dir=tmp_path, trace_messages=True) as callee, _agent(callee) as ua:
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
        call = result.call
        assert call is not None
        assert call.dialog.route_set == [
            f"<sip:rr-b@{callee.host}:{callee.port};lr>",
            f"<sip:rr-a@{callee.host}:{callee.port};lr>",
        ]
        await asyncio.wait_for(call.remote_hangup.wait(), 5)
        # SIPp checked our ACK's Route headers and got our 200 although its Via said port 9.
        assert (await callee.wait_for_counts(successful=1)).successful == 1, callee.errors()


async def test_calls_per_second_limit_spaces_the_invites(tmp_path: Path) -> None:
    calls, max_cps = 6, 10.0
    async with (
        SippCallee("busy", log_dir=tmp_path) as callee,
        _agent(callee, max_cps=max_cps) as limited,
    ):
        results = await asyncio.gather(*(limited.invite(CALLEE, CALLER, ring_timeout=5) for _ in range(calls)))
        async with _agent(callee) as unlimited:
            free = await asyncio.gather(*(unlimited.invite(CALLEE, CALLER, ring_timeout=5) for _ in range(calls)))
    assert {r.outcome for r in results} == {r.outcome for r in free} == {"busy"}
    sent = sorted(r.invited_at for r in results if r.invited_at is not None)
    assert len(sent) == calls
    span = sent[-1] - sent[0]
    # time.time() stamps taken as each INVITE left: N calls at M/s span at least (N-1)/M.
    assert span / ((calls - 1) / max_cps) >= 0.95
    free_sent = sorted(r.invited_at for r in free if r.invited_at is not None)
    assert free_sent[-1] - free_sent[0] < span / 2  # the limit, not the callee, spaced them
