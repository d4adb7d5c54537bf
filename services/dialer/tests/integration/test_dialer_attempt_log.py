"""The attempt log's ownership rules against a real JetStream: its dedupe and expected-sequence
checks are what tell a dialer that its attempt was taken over, or that its own lost write landed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from nats.js import JetStreamContext

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope
from callcast_contracts.events import CallAttemptStarted, CallEnded, CallRinging, CallStillLive
from callcast_contracts.streams import ALL_STREAMS, CALLS
from callcast_dialer.adapters.attempt_log import AttemptAlreadyStarted, AttemptLog, AttemptTakenOver
from callcast_runtime.messaging import Appended, EventStore, ensure_streams

pytestmark = pytest.mark.integration

ORG = "0b5f6a52-3a70-4a38-9a53-0c6cc3a5e003"


@pytest.fixture
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    jsc = nc.jetstream()
    await ensure_streams(jsc, ALL_STREAMS)
    yield jsc
    await nc.close()


class AckLostOnce(EventStore):
    """The server stores the next append, but its acknowledgement never reaches us (the
    connection dropped in between), as the dialer sees it when NATS goes away mid-append."""

    def __init__(self, js: JetStreamContext) -> None:
        super().__init__(js)
        self.lose_next_ack = False

    async def append(self, subject: str, env: Envelope[Any], **kwargs: Any) -> Appended:
        appended = await super().append(subject, env, **kwargs)
        if self.lose_next_ack:
            self.lose_next_ack = False
            raise TimeoutError("acknowledgement lost")
        return appended


def _log(events: EventStore, attempt_id: str) -> AttemptLog:
    return AttemptLog(events, org_id=ORG, attempt_id=attempt_id, causation_id=ids.new_id(), correlation_id=ids.new_id())


def _started(attempt_id: str, dialer_id: str) -> CallAttemptStarted:
    return CallAttemptStarted(
        attempt_id=attempt_id,
        attempt_number=1,
        job_id=ids.new_id(),
        execution_id=None,
        program_id=None,
        contact_id=ids.new_id(),
        to="+212600000001",
        caller_id="+212500000000",
        flow_id=ids.new_id(),
        flow_name="f",
        flow_version=1,
        dialer_id=dialer_id,
    )


async def test_an_attempt_settled_by_another_dialer_is_taken_over_and_never_appended_to(
    js: JetStreamContext,
) -> None:
    events = EventStore(js)
    attempt = ids.new_id()
    owner = _log(events, attempt)
    await owner.start(_started(attempt, "dialer-a"))
    await owner.append(CallRinging(attempt_id=attempt, sip_status=180))
    assert await _log(events, attempt).settle_lost(ids.new_id(), 1)
    settled = await owner.history()

    with pytest.raises(AttemptTakenOver):
        await owner.heartbeat("dialer-a")  # same ordinal as the other dialer's CallEnded
    assert owner.taken_over
    with pytest.raises(AttemptTakenOver):
        await owner.append(CallRinging(attempt_id=attempt, sip_status=183))
    after = await owner.history()
    assert [e.seq for e in after] == [e.seq for e in settled]
    assert isinstance(after[-1].envelope.data, CallEnded)
    assert (after[-1].envelope.data.outcome_reason or "").startswith("dialer_lost")


async def test_a_write_whose_ack_was_lost_is_recognised_as_ours_and_not_stored_twice(js: JetStreamContext) -> None:
    events = AckLostOnce(js)
    attempt = ids.new_id()
    owner = _log(events, attempt)
    await owner.start(_started(attempt, "dialer-a"))
    events.lose_next_ack = True
    await owner.append(CallRinging(attempt_id=attempt, sip_status=180))  # retried: a duplicate
    await owner.heartbeat("dialer-a")
    found = await owner.history()
    assert [type(e.envelope.data) for e in found] == [CallAttemptStarted, CallRinging, CallStillLive]
    assert not owner.taken_over
    assert owner.ordinal == 3


async def test_a_first_event_whose_ack_was_lost_is_adopted_and_the_gate_stays_shut_to_others(
    js: JetStreamContext,
) -> None:
    events = AckLostOnce(js)
    attempt = ids.new_id()
    owner = _log(events, attempt)
    events.lose_next_ack = True
    await owner.start(_started(attempt, "dialer-a"))  # stored, ack lost, retried: ours
    await owner.append(CallRinging(attempt_id=attempt, sip_status=180))
    found = await owner.history()
    assert [type(e.envelope.data) for e in found] == [CallAttemptStarted, CallRinging]
    assert owner.ordinal == 2
    with pytest.raises(AttemptAlreadyStarted):  # another delivery of the command never dials
        await _log(EventStore(js), attempt).start(_started(attempt, "dialer-b"))


async def test_settling_fails_when_the_owner_appended_after_the_look(js: JetStreamContext) -> None:
    events = EventStore(js)
    attempt = ids.new_id()
    owner = _log(events, attempt)
    await owner.start(_started(attempt, "dialer-a"))
    state = await _log(events, attempt).state()
    assert state is not None
    assert not state.ended
    assert 0 <= state.last_event_age_s < 5
    other = _log(events, attempt)

    async def heartbeat_first(stream: str, subject: str, *, timeout: float = 5.0) -> Any:
        loaded = await EventStore.load(events, stream, subject, timeout=timeout)
        await owner.heartbeat("dialer-a")  # the owner is back between the other's look and write
        return loaded

    other.events = EventStore(js)
    other.events.load = heartbeat_first  # type: ignore[method-assign]
    assert not await other.settle_lost(ids.new_id(), 1)
    found = await events.load(CALLS.name, owner.subject)
    assert not any(isinstance(e.envelope.data, CallEnded) for e in found)
    await owner.append(
        CallEnded(
            attempt_id=attempt,
            job_id=ids.new_id(),
            attempt_number=1,
            outcome="completed",
            terminated_at=datetime.now(UTC),
        )
    )
    state = await other.state()
    assert state is not None
    assert state.ended
