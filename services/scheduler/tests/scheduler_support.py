"""Helpers of the scheduler's integration tests.

- ``SchedulerApp`` runs the real app (``create_app(build_spec(), settings)``) in the test's own
  event loop (``serve_in_loop``: tests also call its components directly) and can restart it.
- ``Tenant`` is one organization: it feeds the scheduler's copies by publishing what the contact
  and flow services would (``ContactSaved``, ``AudienceMembersAdded``, ``FlowVersionSaved``) and
  drives the HTTP API with the gateway's ``X-Callcast-Org-Id`` header.
- ``FakeDialer`` plays the dialer: it pulls the organization's dial commands from the
  ``DIAL_COMMANDS`` work queue with nats-py and writes ``CallAttemptStarted``/``CallEnded`` on
  ``calls.<org>.attempt.<attemptId>`` as a dialer would (expected sequence 0 first).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import msgspec
import nats.errors
import nats.js.errors
from litestar import Litestar
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from callcast_contracts import ids
from callcast_contracts.envelope import Envelope, Event, decode, envelope
from callcast_contracts.events import (
    AudienceDeleted,
    AudienceMembersAdded,
    CallAttemptStarted,
    CallEnded,
    ContactSaved,
    CustomAttributeSaved,
    DialRequested,
    FlowVersionSaved,
)
from callcast_contracts.events.contacts import ContactSnapshot
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import CALLS, DIAL_COMMANDS, PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore, StoredEvent
from callcast_runtime.service import Runtime, create_app
from callcast_runtime.settings import Settings
from callcast_scheduler.bootstrap import build_spec
from callcast_scheduler.handlers import (
    CALLS_DURABLE,
    Scheduler,
    job_subject,
)
from callcast_stack.asgi import serve_in_loop

T = TypeVar("T")

#: The scheduler's durable consumers (its views follow the streams with consumers of their own).
CONSUMERS = {CALLS_DURABLE: CALLS.name}


async def eventually(probe: Callable[[], Awaitable[T | None]], *, timeout: float = 10.0, what: str = "") -> T:
    """Poll ``probe`` until it returns something truthy (projections are eventually consistent)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or probe}")
        await asyncio.sleep(0.05)


async def consumers_caught_up(js: JetStreamContext, *durables: str, timeout: float = 10.0) -> None:
    """Wait until each of the scheduler's durable consumers has applied every stored event."""

    async def idle() -> bool:
        for durable in durables:
            try:
                info = await js.consumer_info(CONSUMERS[durable], durable)
            except nats.js.errors.NotFoundError:
                return False
            if info.num_pending or info.num_ack_pending:
                return False
        return True

    await eventually(idle, timeout=timeout, what=f"consumers {durables} to catch up")


class SchedulerApp:
    """The scheduler app with its lifespan (migrations, subscribers, dispatcher); restartable."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack: contextlib.AsyncExitStack | None = None
        self._client: httpx.AsyncClient | None = None
        self._app: Litestar | None = None

    async def start(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self._app = create_app(build_spec(), self.settings)
        self._client = await self._stack.enter_async_context(serve_in_loop(self._app))

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._client, self._app = None, None, None

    @property
    def client(self) -> httpx.AsyncClient:
        assert self._client is not None, "the scheduler app is not running"
        return self._client

    @property
    def runtime(self) -> Runtime:
        assert self._app is not None, "the scheduler app is not running"
        runtime: Runtime = self._app.state.runtime
        return runtime

    @property
    def scheduler(self) -> Scheduler:
        scheduler: Scheduler = self.runtime.components["scheduler"]
        return scheduler

    async def views_caught_up(self, timeout: float = 10.0) -> None:
        """Every view (contacts, flows, programs) has applied every event stored so far."""
        await eventually(self.scheduler.projections_caught_up, timeout=timeout, what="the scheduler's views")


@dataclass(frozen=True)
class Campaign:
    program_id: str
    contacts: list[ContactSnapshot]
    audience_id: str
    flow: FlowSnapshot
    did_ids: list[str]
    caller_ids: list[str]


@dataclass
class Tenant:
    """One organization of the tests, seen through the scheduler's API and its input streams."""

    app: SchedulerApp
    events: EventStore
    org_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Callcast-Org-Id": self.org_id}

    # -- what the contact and flow services publish -------------------------------------------
    async def contact(self, phone: str, **fields: Any) -> ContactSnapshot:
        snapshot = ContactSnapshot(id=str(uuid.uuid4()), primary_phone=phone, revision=1, **fields)
        env = envelope(ContactSaved(contact=snapshot), org_id=self.org_id, aggregate_id=snapshot.id)
        await self.events.append(
            subject(Context.CONTACTS, self.org_id, Aggregate.CONTACT, snapshot.id),
            env,
            msg_id=f"contact-{snapshot.id}-saved-{snapshot.revision}",
        )
        return snapshot

    async def audience(self, *contacts: ContactSnapshot, audience_id: str | None = None) -> str:
        audience_id = audience_id or str(uuid.uuid4())
        added = AudienceMembersAdded(audience_id=audience_id, contact_ids=[c.id for c in contacts])
        await self.events.append(
            subject(Context.CONTACTS, self.org_id, Aggregate.AUDIENCE, audience_id),
            envelope(added, org_id=self.org_id, aggregate_id=audience_id),
            msg_id=f"audience-{audience_id}-added-{uuid.uuid4()}",
        )
        return audience_id

    async def custom_attribute(self, name: str, attribute_type: str = "date") -> str:
        """A custom attribute definition, as the contact service publishes it; answers once the
        scheduler's copy has it (programs validate a live trigger against the copy)."""
        attribute_id = str(uuid.uuid4())
        saved = CustomAttributeSaved(
            attribute_id=attribute_id, name=name, display_name=name, attribute_type=attribute_type
        )
        await self.events.append(
            subject(Context.CONTACTS, self.org_id, Aggregate.CUSTOM_ATTRIBUTE, attribute_id),
            envelope(saved, org_id=self.org_id, aggregate_id=attribute_id),
            msg_id=f"attribute-{attribute_id}-saved",
        )
        await self.app.views_caught_up()
        return attribute_id

    async def delete_audience(self, audience_id: str) -> None:
        await self.events.append(
            subject(Context.CONTACTS, self.org_id, Aggregate.AUDIENCE, audience_id),
            envelope(AudienceDeleted(audience_id=audience_id), org_id=self.org_id, aggregate_id=audience_id),
            msg_id=f"audience-{audience_id}-deleted",
        )

    async def flow_version(self, version: int = 1, *, flow_id: str | None = None) -> FlowSnapshot:
        flow_id = flow_id or str(uuid.uuid4())
        snapshot = FlowSnapshot(
            flow_id=flow_id,
            version=version,
            name="Reminder",
            graph_hash=f"sha256:{flow_id}:{version}",
            start_node_id="dial-1",
            nodes=[
                {"id": "dial-1", "type": "dial", "config": {"timeout": 5000}, "outputs": {"onAnswer": "hangup-1"}},
                {"id": "hangup-1", "type": "hangup", "config": {"version": version}, "outputs": {}},
            ],
        )
        await self.events.append(
            subject(Context.FLOWS, self.org_id, Aggregate.FLOW, flow_id),
            envelope(FlowVersionSaved(flow=snapshot), org_id=self.org_id, aggregate_id=flow_id),
            msg_id=f"flow-{flow_id}-v{version}",
        )
        return snapshot

    async def campaign(
        self,
        *,
        contacts: int = 1,
        retry_strategy: dict[str, Any] | None = None,
        concurrency: int = 10,
        caller_ids: tuple[str, ...] = ("+212522000001",),
    ) -> Campaign:
        """Contacts in an audience, a flow, DIDs and a draft program over them."""
        people = [await self.contact(f"+2126{uuid.uuid4().int % 10**8:08d}") for _ in range(contacts)]
        audience_id = await self.audience(*people)
        flow = await self.flow_version(1)
        did_ids = [await self.active_did(number) for number in caller_ids]
        program_id = await self.create_program(
            flow_id=flow.flow_id,
            audience_id=audience_id,
            did_pool=did_ids,
            retry_strategy=retry_strategy,
            concurrency=concurrency,
        )
        return Campaign(
            program_id=program_id,
            contacts=people,
            audience_id=audience_id,
            flow=flow,
            did_ids=did_ids,
            caller_ids=list(caller_ids),
        )

    # -- the scheduler's API --------------------------------------------------------------------
    async def active_did(self, number: str) -> str:
        """The organization's active DID with this number, created when it has none yet (a
        number is unique within an organization)."""
        response = await self.app.client.get(
            "/api/dids", params={"search": number, "status": "active"}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        for row in response.json()["data"]:
            if row["number"] == number and row["organizationId"] == self.org_id:
                return str(row["id"])
        return await self.did(number)

    async def did(self, number: str, status: str = "active") -> str:
        response = await self.app.client.post(
            "/api/dids", json={"number": number, "country": "MA", "status": status}, headers=self.headers
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def create_program(
        self,
        *,
        flow_id: str,
        audience_id: str,
        did_pool: list[str],
        retry_strategy: dict[str, Any] | None = None,
        concurrency: int = 10,
    ) -> str:
        body: dict[str, Any] = {
            "name": "Payment reminder",
            "flowId": flow_id,
            "audienceId": audience_id,
            "didPool": did_pool,
            "concurrency": concurrency,
        }
        if retry_strategy is not None:
            body["retryStrategy"] = retry_strategy
        response = await self.app.client.post("/api/programs", json=body, headers=self.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def launch(self, program_id: str) -> str:
        response = await self.app.client.post(f"/api/programs/{program_id}/launch", headers=self.headers)
        assert response.status_code == 201, response.text
        return str(response.json()["executionId"])

    async def execution(self, execution_id: str) -> dict[str, Any]:
        response = await self.app.client.get(f"/api/program-executions/{execution_id}", headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def execution_when(self, execution_id: str, status: str, *, timeout: float = 10.0) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            body = await self.execution(execution_id)
            return body if body["status"] == status else None

        return await eventually(probe, timeout=timeout, what=f"execution {execution_id} to be {status}")

    # -- the scheduler's own event store --------------------------------------------------------
    async def job_history(self, job_id: str) -> list[StoredEvent]:
        return await self.events.load(PROGRAMS.name, job_subject(self.org_id, job_id))

    async def job_events(self, job_id: str) -> list[Event]:
        return [stored.envelope.data for stored in await self.job_history(job_id)]

    async def job_events_until(
        self, job_id: str, done: Callable[[list[Event]], bool], *, timeout: float = 10.0
    ) -> list[Event]:
        async def probe() -> list[Event] | None:
            events = await self.job_events(job_id)
            return events if done(events) else None

        return await eventually(probe, timeout=timeout, what=f"events of job {job_id}")

    async def app_caught_up(self) -> None:
        """Every event stored so far (calls, job events) is applied: nothing more will happen
        until something new arrives."""
        await consumers_caught_up(self.events.js, CALLS_DURABLE)
        await self.app.views_caught_up()


@dataclass
class DialCommand:
    msg: Msg
    envelope: Envelope[DialRequested]

    @property
    def data(self) -> DialRequested:
        return self.envelope.data

    @property
    def calls_subject(self) -> str:
        return subject(Context.CALLS, self.envelope.org_id, Aggregate.ATTEMPT, self.data.attempt_id)


class FakeDialer:
    """Pulls one organization's dial commands and reports calls as the dialer would."""

    PREFIX = "fake-dialer-"

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.js = tenant.events.js
        self.durable = f"{self.PREFIX}{tenant.org_id}"
        self.filter = f"{Context.DIAL}.{tenant.org_id}.>"
        self._sub: Any = None

    async def start(self) -> None:
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=30,
            deliver_policy=DeliverPolicy.ALL,
            filter_subject=self.filter,
            # Removed by the server if a run dies before ``stop``.
            inactive_threshold=60,
        )
        self._sub = await self.js.pull_subscribe(
            self.filter, durable=self.durable, stream=DIAL_COMMANDS.name, config=config
        )

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()
        with contextlib.suppress(nats.js.errors.NotFoundError):
            await self.js.delete_consumer(DIAL_COMMANDS.name, self.durable)
        # Commands nobody answered must not reach a real dialer sharing this NATS later.
        await self.js.purge_stream(DIAL_COMMANDS.name, subject=self.filter)

    async def next_command(self, timeout: float = 10.0) -> DialCommand:
        self.tenant.app.scheduler.wake()
        msgs = await self._sub.fetch(1, timeout=timeout)
        env = decode(msgs[0].data)
        assert isinstance(env.data, DialRequested), env.type
        return DialCommand(msg=msgs[0], envelope=env)  # type: ignore[arg-type]

    async def commands(self, count: int, timeout: float = 10.0) -> list[DialCommand]:
        return [await self.next_command(timeout) for _ in range(count)]

    async def assert_no_command(self, within: float = 0.75) -> None:
        self.tenant.app.scheduler.wake()
        try:
            msgs = await self._sub.fetch(1, timeout=within)
        except (nats.errors.TimeoutError, TimeoutError):
            return
        raise AssertionError(f"unexpected dial command: {decode(msgs[0].data)}")

    async def started(self, command: DialCommand) -> int:
        """The exactly-once gate: the attempt's first event, at expected sequence 0."""
        cmd = command.data
        event = CallAttemptStarted(
            attempt_id=cmd.attempt_id,
            attempt_number=cmd.attempt_number,
            job_id=cmd.job_id,
            execution_id=cmd.execution_id,
            program_id=cmd.program_id,
            contact_id=cmd.contact_id,
            to=cmd.to,
            caller_id=cmd.caller_id,
            flow_id=cmd.flow.flow_id,
            flow_name=cmd.flow.name,
            flow_version=cmd.flow.version,
            dialer_id="fake-dialer",
        )
        appended = await self.tenant.events.append(
            command.calls_subject,
            self._envelope(command, event),
            msg_id=f"attempt-{cmd.attempt_id}-0",
            expected_last_seq=0,
        )
        return appended.seq

    async def ended(self, command: DialCommand, outcome: str, *, after_seq: int, redeliver: bool = False) -> CallEnded:
        """``CallEnded``, then the command's ack (as the dialer: after the event is stored).
        ``redeliver`` stores the same CallEnded a second time under another msg-id, as a dialer
        taking over an attempt might, to prove the scheduler reacts once."""
        cmd = command.data
        event = CallEnded(
            attempt_id=cmd.attempt_id,
            job_id=cmd.job_id,
            attempt_number=cmd.attempt_number,
            outcome=outcome,
            sip_status={"busy": 486, "rejected": 603}.get(outcome),
            terminated_at=datetime.now(UTC),
        )
        ended = self._envelope(command, event)
        seq = (
            await self.tenant.events.append(
                command.calls_subject, ended, msg_id=f"attempt-{cmd.attempt_id}-1", expected_last_seq=after_seq
            )
        ).seq
        if redeliver:
            await self.tenant.events.append(
                command.calls_subject, ended, msg_id=f"attempt-{cmd.attempt_id}-1-again", expected_last_seq=seq
            )
        await command.msg.ack()
        return event

    async def call(self, command: DialCommand, outcome: str, *, redeliver: bool = False) -> CallEnded:
        seq = await self.started(command)
        return await self.ended(command, outcome, after_seq=seq, redeliver=redeliver)

    def _envelope(self, command: DialCommand, event: Event) -> Envelope[Event]:
        return envelope(
            event,
            org_id=self.tenant.org_id,
            aggregate_id=command.data.attempt_id,
            causation_id=command.envelope.id,
            correlation_id=command.envelope.correlation_id,
        )


def job_ids(execution_id: str, *contacts: ContactSnapshot) -> list[str]:
    return [ids.job_id(execution_id, c.id) for c in contacts]


def event_types(events: list[Event]) -> list[str]:
    return [e.type_name() for e in events]


def builtins(value: Any) -> Any:
    return msgspec.to_builtins(value)
