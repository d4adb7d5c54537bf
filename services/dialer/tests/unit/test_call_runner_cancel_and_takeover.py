"""How a call runner ends when it is told to stop: cancelled (ringing or answered), taken over by
another dialer, or its lease lost. Fakes stand for the SIP user agent, the call and the attempt
log; the runner, the flow engine and the events are real."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from callcast_contracts.envelope import Event
from callcast_contracts.events import CallAnswered, CallEnded, CallHungUp, CallRinging, DialRequested
from callcast_contracts.events.flows import FlowSnapshot
from callcast_dialer.adapters.attempt_log import AttemptLog, AttemptTakenOver
from callcast_dialer.adapters.prompt_audio import PromptAssembler
from callcast_dialer.call_runner import CallRunner
from callcast_telephony.sip import InviteResult, SipUserAgent

pytestmark = pytest.mark.unit

ATTEMPT = "attempt-1"


@dataclass
class _Rtp:
    """What the runner reads of a call's media session before a prompt plays."""

    inactive: asyncio.Event = field(default_factory=asyncio.Event)
    inactivity_timeout: float | None = 30.0
    received_digits: list[Any] = field(default_factory=list)

    def stop_playback(self) -> None:
        pass


@dataclass
class _Call:
    """An answered SIP call: ``byes`` counts the BYEs the runner had sent."""

    rtp: _Rtp = field(default_factory=_Rtp)
    remote_hangup: asyncio.Event = field(default_factory=asyncio.Event)
    dtmf: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    ended: bool = False
    bye_status: int | None = None
    ended_at: float | None = None
    byes: int = 0

    async def hangup(self) -> None:
        if not self.ended:
            self.byes += 1
            self.ended, self.bye_status, self.ended_at = True, 200, time.time()


class _UserAgent:
    """``invite`` rings (180) and then either answers with ``call`` or rings until cancelled.
    Cancelling a ringing ``SipUserAgent.invite`` is what sends the CANCEL: counted in ``cancels``."""

    def __init__(self, call: _Call | None = None) -> None:
        self.call = call
        self.ringing = asyncio.Event()
        self.cancels = 0

    async def invite(self, **kwargs: Any) -> InviteResult:
        kwargs["on_progress"](180, "Ringing")
        self.ringing.set()
        result = InviteResult(outcome="answered", call_id="sip-call-1", invited_at=time.time())
        if self.call is None:
            try:
                await asyncio.Event().wait()  # rings until the caller gives up
            except asyncio.CancelledError:
                self.cancels += 1
                raise
        result.call, result.sip_status, result.answered_at = cast(Any, self.call), 200, time.time()
        return result


class _Log:
    """The attempt's event log. ``take_over_on``: the append of that event type finds the
    attempt ended by another dialer (and every append after it, as the real log does)."""

    def __init__(self, take_over_on: type | None = None) -> None:
        self.events: list[Event] = []
        self.take_over_on = take_over_on
        self.taken_over = False
        self.lease_lost = False

    async def append(self, event: Event) -> None:
        if self.take_over_on is not None and isinstance(event, self.take_over_on):
            self.taken_over = True
        if self.taken_over:
            raise AttemptTakenOver(ATTEMPT)
        self.events.append(event)

    def lose_lease(self) -> None:
        """What ``AttemptLog.hold_lease`` does when no append was durable for the lease."""
        self.lease_lost = True
        self.taken_over = True

    def kinds(self) -> list[str]:
        return [type(e).__name__ for e in self.events]


class _Prompts:
    """A prompt that takes until the test is over to assemble: the call stays in its play node."""

    def __init__(self) -> None:
        self.assembling = asyncio.Event()

    async def assemble(self, org_id: str, items: list[dict[str, Any]]) -> Any:
        self.assembling.set()
        await asyncio.Event().wait()


def _command() -> DialRequested:
    flow = FlowSnapshot(
        flow_id="flow-1",
        version=1,
        name="dial-play-hangup",
        graph_hash="sha256:test",
        start_node_id="dial-1",
        nodes=[
            {
                "id": "dial-1",
                "type": "dial",
                "config": {"timeout": 60000, "enableAMD": False},
                "outputs": {"onAnswer": "play-1"},
            },
            {
                "id": "play-1",
                "type": "play",
                "config": {"items": [{"type": "audioFile", "audioId": "audio-1"}]},
                "outputs": {"onComplete": "hangup-1"},
            },
            {"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}},
        ],
    )
    return DialRequested(
        attempt_id=ATTEMPT,
        attempt_number=1,
        job_id="job-1",
        execution_id="execution-1",
        program_id="program-1",
        contact_id="contact-1",
        to="+212600000001",
        caller_id="+212500000000",
        flow=flow,
        contact={"firstName": "Test"},
    )


def _runner(ua: _UserAgent, log: _Log, prompts: _Prompts | None = None) -> CallRunner:
    return CallRunner(
        command=_command(),
        org_id="org-1",
        log_=cast(AttemptLog, cast(Any, log)),
        ua=cast(SipUserAgent, cast(Any, ua)),
        prompts=cast(PromptAssembler, cast(Any, prompts or _Prompts())),
    )


async def test_a_runner_cancelled_while_ringing_sends_cancel_and_ends_cancelled() -> None:
    ua, log = _UserAgent(), _Log()
    runner = _runner(ua, log)
    task = asyncio.create_task(runner.execute())
    await ua.ringing.wait()
    runner.cancel("execution cancelled: stop")
    ended = await task
    assert ua.cancels == 1
    assert ended is not None
    assert (ended.outcome, ended.outcome_reason) == ("cancelled", "execution cancelled: stop")
    assert ended.hangup_by is None  # no call was up to hang up
    assert log.kinds() == ["FlowNodeEntered", "CallRinging", "CallEnded"]
    assert isinstance(log.events[1], CallRinging)
    assert log.events[-1] == ended


async def test_a_runner_cancelled_after_answer_hangs_up_and_records_the_hangup_as_ours() -> None:
    call, log, prompts = _Call(), _Log(), _Prompts()
    ua = _UserAgent(call)
    runner = _runner(ua, log, prompts)
    task = asyncio.create_task(runner.execute())
    await prompts.assembling.wait()
    runner.cancel("execution cancelled: stop")
    ended = await task
    assert call.byes == 1
    assert ua.cancels == 0
    assert ended is not None
    assert (ended.outcome, ended.hangup_by) == ("cancelled", "us")
    hung_up = next(e for e in log.events if isinstance(e, CallHungUp))
    assert (hung_up.by, hung_up.cause, hung_up.sip_status) == ("us", "cancelled", 200)
    assert log.kinds()[-2:] == ["CallHungUp", "CallEnded"]
    assert log.events[-1] == ended


async def test_a_runner_whose_append_finds_the_attempt_taken_over_hangs_up_and_appends_nothing_more() -> None:
    call = _Call()
    log = _Log(take_over_on=CallAnswered)
    runner = _runner(_UserAgent(call), log)
    ended = await runner.execute()
    assert ended is None  # the other dialer wrote the end
    assert call.byes == 1
    assert runner.hangup_cause == "taken_over"
    assert log.kinds() == ["FlowNodeEntered", "CallRinging"]  # neither CallAnswered nor CallHungUp nor CallEnded


async def test_a_lost_lease_ends_the_call_without_a_call_ended_of_its_own() -> None:
    # The handler's part: hold_lease returns, wait_taken_over wakes it, it cancels the runner.
    call, log, prompts = _Call(), _Log(), _Prompts()
    runner = _runner(_UserAgent(call), log, prompts)
    task = asyncio.create_task(runner.execute())
    await prompts.assembling.wait()
    log.lose_lease()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert call.byes == 1  # never two live calls for one attempt
    # dial-1 entered and left, play-1 entered; then nothing: the attempt is left unended
    assert log.kinds() == [
        "FlowNodeEntered",
        "CallRinging",
        "CallAnswered",
        "FlowNodeExecuted",
        "FlowNodeEntered",
    ]
    assert not any(isinstance(e, CallEnded | CallHungUp) for e in log.events)
