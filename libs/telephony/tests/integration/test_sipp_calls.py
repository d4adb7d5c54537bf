"""The SIP user agent and RTP sessions against a real SIPp callee.

Each scenario runs as one long-lived SIPp process for the whole module (as ``just demo`` does),
so the tests compare SIPp's call counters before and after their own call.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio

from callcast_stack.sipp import SippCallee, SippNotInstalledError
from callcast_telephony.rtp import g711
from callcast_telephony.sip import InviteResult, SipCredentials, SipUserAgent

pytestmark = pytest.mark.integration

#: The longest hole tolerated in SIPp's echo of our stream: its echo thread alone stalls for up to
#: ~100 ms on a busy 2-core machine (docs/benchmarks.md). Frame counts are checked exactly; this
#: only catches a stream that stopped.
ECHO_STALL_MS = 250


CALLEE = "+212600000001"
CALLER = "+212500000000"


class CalleePool:
    """One SIPp process per (scenario, options), started on first use, stopped at the end."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._callees: dict[tuple[str, tuple[tuple[str, Any], ...]], SippCallee] = {}

    async def get(self, scenario: str, **options: Any) -> SippCallee:
        key = (scenario, tuple(sorted(options.items())))
        if key not in self._callees:
            callee = SippCallee(scenario, log_dir=self.log_dir, **options)
            await callee.start()
            self._callees[key] = callee
        return self._callees[key]

    async def stop_all(self) -> None:
        for callee in self._callees.values():
            await callee.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def callees(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[CalleePool]:
    pool = CalleePool(tmp_path_factory.mktemp("sipp"))
    yield pool
    await pool.stop_all()


class Dialer:
    """A started user agent aimed at one callee, closed after the test."""

    def __init__(self) -> None:
        self.agents: list[SipUserAgent] = []

    async def to(self, callee: SippCallee) -> SipUserAgent:
        ua = SipUserAgent(local_host="127.0.0.1", trunk=callee.address, user_agent="Callcast/test")
        await ua.start()
        self.agents.append(ua)
        return ua


@pytest_asyncio.fixture(loop_scope="session")
async def dialer() -> AsyncIterator[Dialer]:
    d = Dialer()
    yield d
    for ua in d.agents:
        await ua.close()


def tone(seconds: float, hz: float = 440.0) -> bytes:
    """μ-law sine tone: a recognisable prompt without any audio file."""
    t = np.arange(int(seconds * 8000)) / 8000
    return g711.ulaw_encode((np.sin(2 * math.pi * hz * t) * 8000).astype(np.int16))


async def test_answered_call_plays_prompt_and_echo_returns_every_packet(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("answer")
    before = callee.counts().successful
    ua = await dialer.to(callee)
    progress: list[tuple[int, str]] = []
    result = await ua.invite(
        CALLEE, CALLER, ring_timeout=5, on_progress=lambda s, r: progress.append((s, r)), record=True
    )
    assert result.outcome == "answered", result
    call = result.call
    assert call is not None
    assert (call.codec, call.telephone_event_pt) == ("PCMU", 96)  # the callee's, not our 101
    assert progress == [(180, "Ringing")]
    assert result.invited_at
    assert result.ringing_at
    assert result.answered_at
    assert result.invited_at <= result.ringing_at <= result.answered_at

    prompt = tone(3.0)
    stats = await call.play(prompt)
    await asyncio.sleep(0.2)  # let the last echoes come back
    rx = call.rtp.stats()

    assert stats.completed
    assert stats.frames_sent == 150
    assert abs(rx.audio_packets_received - stats.frames_sent) <= 2
    assert rx.max_gap_ms <= ECHO_STALL_MS, rx
    assert stats.max_lateness_ms < 20
    assert len(call.rtp.recording) >= len(prompt) - 2 * 160
    assert call.rtp.recording[: len(prompt)] == prompt[: len(call.rtp.recording)]

    await call.hangup()
    assert call.ended
    assert result.ended_at is not None
    counts = await callee.wait_for_counts(successful=before + 1)
    assert counts.successful == before + 1  # SIPp got our ACK and our BYE, in order


async def test_alaw_answer_is_honoured_and_prompts_are_transcoded(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("answer", codec="PCMA")
    ua = await dialer.to(callee)
    result = await ua.invite(CALLEE, CALLER, ring_timeout=5, record=True)
    assert result.call is not None
    assert result.call.codec == "PCMA"
    prompt = tone(0.4)
    await result.call.play(prompt, "PCMU")
    await asyncio.sleep(0.15)
    assert result.call.rtp.recording == g711.transcode(prompt, "PCMU", "PCMA")
    await result.call.hangup()


async def test_busy_callee_gives_busy(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("busy")
    before = callee.counts().successful
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    assert (result.outcome, result.sip_status, result.reason) == ("busy", 486, "sip_486 Busy Here")
    assert result.call is None
    assert result.ended_at is not None
    # SIPp's scenario only succeeds once our transaction ACKed the 486.
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1


async def test_declined_call_gives_rejected(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("decline")
    before = callee.counts().successful
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    assert (result.outcome, result.sip_status, result.reason) == ("rejected", 603, "sip_603 Decline")
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1


async def test_unanswered_call_is_cancelled_after_ring_timeout(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("ring_no_answer", trace_messages=True)
    before = callee.counts().successful
    started = time.monotonic()
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=1.0)
    elapsed = time.monotonic() - started
    assert (result.outcome, result.sip_status, result.reason) == ("no_answer", 487, "ring_timeout")
    assert result.ringing_at is not None
    assert result.answered_at is None
    assert 1.0 <= elapsed < 2.0
    # The scenario succeeds only on CANCEL -> 200, 487 -> ACK.
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1
    assert f"CANCEL sip:{CALLEE}@" in callee.messages()


async def test_remote_bye_sets_remote_hangup(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("answer_then_bye", pause_ms=300)
    before = callee.counts().successful
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    call = result.call
    assert call is not None
    play = asyncio.ensure_future(call.play(tone(5.0)))
    await asyncio.wait_for(call.remote_hangup.wait(), 3)
    stats = await asyncio.wait_for(play, 1)  # the prompt stops when the callee hangs up
    assert not stats.completed
    assert call.ended
    assert result.ended_at is not None
    await call.hangup()  # no BYE of our own: the dialog is gone
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1
    assert callee.counts().failed == 0


async def test_digest_challenge_is_answered(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("auth", auth_user="trunkuser", auth_password="s3cret")
    before = callee.counts().successful
    ua = await dialer.to(callee)
    result = await ua.invite(CALLEE, CALLER, ring_timeout=5, credentials=SipCredentials("trunkuser", "s3cret"))
    assert result.outcome == "answered", result
    assert result.call is not None
    await result.call.hangup()
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1


async def test_wrong_digest_credentials_fail_the_call(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("auth", auth_user="trunkuser", auth_password="s3cret")
    ua = await dialer.to(callee)
    result = await ua.invite(CALLEE, CALLER, ring_timeout=5, credentials=SipCredentials("trunkuser", "wrong"))
    assert (result.outcome, result.reason) == ("failed", "sip_403 Forbidden")


async def test_challenge_without_credentials_fails_with_401(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("auth", auth_user="trunkuser", auth_password="s3cret")
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    assert (result.outcome, result.sip_status) == ("failed", 401)
    assert result.reason == "sip_401 Unauthorized"


@pytest.mark.skipif(os.geteuid() != 0, reason="SIPp's play_dtmf sends through raw sockets (root)")
async def test_rfc4733_digit_is_received(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("dtmf", dtmf_digits="12#", pause_ms=200)
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    call = result.call
    assert call is not None
    assert call.telephone_event_pt == 96  # SIPp hard-codes 96 for play_dtmf
    digits = [await asyncio.wait_for(call.dtmf.get(), 5) for _ in range(3)]
    assert digits == ["1", "2", "#"]
    await asyncio.sleep(0.3)
    assert call.dtmf.empty()  # three end packets per digit, still one digit each
    await call.hangup()


async def test_sip_info_digit_is_received(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("dtmf_info", dtmf_digits="7", pause_ms=200)
    before = callee.counts().successful
    result = await (await dialer.to(callee)).invite(CALLEE, CALLER, ring_timeout=5)
    assert result.call is not None
    assert await asyncio.wait_for(result.call.dtmf.get(), 5) == "7"
    await result.call.hangup()
    assert (await callee.wait_for_counts(successful=before + 1)).successful == before + 1


async def test_concurrent_calls_each_get_their_own_media(callees: CalleePool, dialer: Dialer) -> None:
    callee = await callees.get("answer")
    before = callee.counts().successful
    ua = await dialer.to(callee)

    async def one_call() -> InviteResult:
        result = await ua.invite(CALLEE, CALLER, ring_timeout=5)
        assert result.call is not None
        await result.call.play(tone(1.0))
        await asyncio.sleep(0.15)
        await result.call.hangup()
        return result

    results = await asyncio.gather(*(one_call() for _ in range(20)))
    assert len({r.call_id for r in results}) == 20
    for result in results:
        assert result.call is not None
        rx = result.call.rtp.stats()
        assert rx.packets_sent == 50, rx
        assert abs(rx.audio_packets_received - rx.packets_sent) <= 2, rx
    counts = await callee.wait_for_counts(successful=before + 20)
    assert counts.successful == before + 20
    assert counts.failed == 0


async def test_missing_sipp_says_what_to_install(tmp_path: Path) -> None:
    callee = SippCallee("answer", log_dir=tmp_path, sipp_binary="sipp-is-not-installed-here")
    with pytest.raises(SippNotInstalledError, match="apt-get install sip-tester"):
        await callee.start()


async def test_a_burst_of_200_invites_is_all_answered(callees: CalleePool, dialer: Dialer) -> None:
    # 200 INVITEs at once make ~400 responses arrive in one burst on the single SIP socket.
    callee = await callees.get("answer")
    before = callee.counts().successful
    ua = await dialer.to(callee)
    results = await asyncio.gather(*(ua.invite(CALLEE, CALLER, ring_timeout=10) for _ in range(200)))
    assert [r.outcome for r in results] == ["answered"] * 200
    await asyncio.gather(*(r.call.hangup() for r in results if r.call is not None))
    counts = await callee.wait_for_counts(successful=before + 200)
    assert counts.successful == before + 200
