"""The dialer as a real process (``python -m callcast_dialer``) against a real NATS JetStream and
SIPp: SIGTERM drains (live calls finish, nothing new is taken, readiness says so), the drain
deadline hangs up what is left, and a dialer killed with SIGKILL mid-call has its attempt ended
as ``dialer_lost`` by another dialer once the lease runs out — with one call on the wire."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from dialer_test_kit import (
    dialer,
    ended_of,
    history,
    put_prompt,
    queue_dial_command,
    wait_answered,
    wait_ended,
)
from nats.js import JetStreamContext

from callcast_contracts.streams import DIAL_COMMANDS
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_runtime.messaging import EventStore
from callcast_stack.ports import free_port
from callcast_stack.processes import spawn
from callcast_stack.sipp import SippCallee

pytestmark = pytest.mark.integration


class DialerProcess:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
        self.proc = proc
        self.ready_url = f"http://127.0.0.1:{port}/health/ready"
        self.log_path = log_path

    async def readiness(self) -> httpx.Response:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return await client.get(self.ready_url)

    async def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            assert self.proc.poll() is None, f"the dialer exited: {self.log_tail()}"
            try:
                if (await self.readiness()).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        raise AssertionError(f"the dialer never became ready: {self.log_tail()}")

    async def wait_exit(self, timeout: float) -> int:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.proc.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"the dialer did not exit within {timeout}s: {self.log_tail()}")
            await asyncio.sleep(0.1)
        return self.proc.returncode

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


@contextmanager
def dialer_process(
    tmp_path: Path, *, nats_url: str, callee: SippCallee, settings: DialerSettings, name: str
) -> Iterator[DialerProcess]:
    host, sip_port = callee.address
    port = free_port()
    env = {
        **os.environ,
        "NATS_URL": nats_url,
        "CALLCAST_SIP_TRUNK": f"{host}:{sip_port}",
        "CALLCAST_HTTP_PORT": str(port),
        "CALLCAST_INSTANCE_ID": name,
        "CALLCAST_LOG_FORMAT": "console",
        "CALLCAST_DIALER_MAX_CALLS": str(settings.max_calls),
        "CALLCAST_DIALER_ACK_WAIT_S": str(settings.ack_wait_s),
        "CALLCAST_DIALER_HEARTBEAT_S": str(settings.heartbeat_s),
        "CALLCAST_DIALER_LEASE_S": str(settings.lease_s),
        "CALLCAST_DIALER_DRAIN_TIMEOUT_S": str(settings.drain_timeout_s),
    }
    log_path = tmp_path / f"{name}.log"
    with log_path.open("wb") as log:
        proc = spawn([sys.executable, "-m", "callcast_dialer"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield DialerProcess(proc, port, log_path)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


async def test_sigterm_lets_the_live_call_finish_and_takes_no_new_command(
    tmp_path: Path, nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=4, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=10.0, drain_timeout_s=60.0)
    audio = await put_prompt(js, seconds=4.0)
    with dialer_process(tmp_path, nats_url=nats_url, callee=callee, settings=settings, name="dialer-term") as proc:
        await proc.wait_ready()
        live = await queue_dial_command(events, audio)
        await wait_answered(events, live)
        proc.proc.send_signal(signal.SIGTERM)
        # Draining: HTTP still answers, and says not ready (so no new traffic is routed here).
        deadline = asyncio.get_running_loop().time() + 5.0
        while (ready := await proc.readiness()).status_code == 200:
            assert asyncio.get_running_loop().time() < deadline, "readiness stayed 200 after SIGTERM"
            await asyncio.sleep(0.05)
        assert ready.status_code == 503
        assert ready.json()["draining"] is True
        assert ready.json()["liveCalls"] == 1
        # A slot is free, but a command arriving during the drain must be left to other dialers.
        late = await queue_dial_command(events, audio)
        code = await proc.wait_exit(timeout=30.0)

    assert code in (0, -signal.SIGTERM), proc.log_tail()
    assert "event_loop=uvloop" in proc.log_path.read_text(), "the service runner must use uvloop when installed"
    (ended,) = ended_of(await wait_ended(events, live))
    assert ended.outcome == "completed", ended.outcome_reason
    assert ended.hangup_by == "us"
    assert await history(events, late) == [], "a command arriving after SIGTERM was taken"
    info = await js.stream_info(DIAL_COMMANDS.name)
    assert info.state.messages == 1, "the late command must still wait in the work queue"
    counts = await callee.wait_for_counts(successful=1)
    assert counts.created == 1, counts


async def test_calls_still_live_at_the_drain_deadline_are_hung_up_as_dialer_shutdown(
    tmp_path: Path, nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=4, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=10.0, drain_timeout_s=1.0)
    audio = await put_prompt(js, seconds=30.0)
    with dialer_process(tmp_path, nats_url=nats_url, callee=callee, settings=settings, name="dialer-deadline") as proc:
        await proc.wait_ready()
        attempt = await queue_dial_command(events, audio)
        await wait_answered(events, attempt)
        proc.proc.send_signal(signal.SIGTERM)
        await proc.wait_exit(timeout=20.0)

    found = await history(events, attempt)
    (ended,) = ended_of(found)
    assert found[-1].envelope.data == ended
    assert ended.outcome == "failed"
    assert ended.outcome_reason == "dialer_shutdown"
    counts = await callee.wait_for_counts(successful=1)  # our BYE ended SIPp's call
    assert counts.created == 1, counts
    assert counts.successful == 1, counts


async def test_a_second_sigterm_during_the_drain_still_ends_the_live_call_with_its_outcome(
    tmp_path: Path, nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=4, ack_wait_s=5.0, heartbeat_s=1.0, lease_s=10.0, drain_timeout_s=60.0)
    audio = await put_prompt(js, seconds=30.0)
    with dialer_process(tmp_path, nats_url=nats_url, callee=callee, settings=settings, name="dialer-twice") as proc:
        await proc.wait_ready()
        attempt = await queue_dial_command(events, audio)
        await wait_answered(events, attempt)
        proc.proc.send_signal(signal.SIGTERM)  # drain: the call may go on for 60 s ...
        await asyncio.sleep(1.0)
        proc.proc.send_signal(signal.SIGTERM)  # ... but the operator insists: stop now
        await proc.wait_exit(timeout=30.0)

    found = await history(events, attempt)
    (ended,) = ended_of(found)
    assert found[-1].envelope.data == ended
    assert (ended.outcome, ended.outcome_reason) == ("failed", "dialer_shutdown")
    counts = await callee.wait_for_counts(successful=1)  # our BYE ended SIPp's call
    assert counts.successful == 1, counts


async def test_a_dialer_killed_mid_call_has_its_attempt_settled_by_another_after_the_lease(
    tmp_path: Path, nats_url: str, callee: SippCallee, js: JetStreamContext
) -> None:
    events = EventStore(js)
    settings = DialerSettings(max_calls=4, ack_wait_s=2.0, heartbeat_s=0.5, lease_s=4.0, drain_timeout_s=5.0)
    audio = await put_prompt(js, seconds=30.0)
    with dialer_process(tmp_path, nats_url=nats_url, callee=callee, settings=settings, name="dialer-killed") as proc:
        await proc.wait_ready()
        attempt = await queue_dial_command(events, audio)
        await wait_answered(events, attempt)
        proc.proc.kill()
        await proc.wait_exit(timeout=10.0)
    async with dialer(nats_url=nats_url, callee=callee, settings=settings, instance_id="dialer-after") as other:
        found = await wait_ended(events, attempt, timeout=settings.lease_s + settings.ack_wait_s * 4)
        assert other.handler.results["settled_orphan"] == 1, dict(other.handler.results)
        assert other.handler.results["dialled"] == 0

    (ended,) = ended_of(found)
    assert ended.outcome == "failed"
    assert (ended.outcome_reason or "").startswith("dialer_lost"), ended.outcome_reason
    assert callee.counts().created == 1, "the attempt was dialled twice"
