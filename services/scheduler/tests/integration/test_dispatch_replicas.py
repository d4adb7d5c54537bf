"""Replicas and crashes never dial an attempt twice: two schedulers dispatching at once, and a
scheduler process killed with SIGKILL mid-execution then restarted (it resumes; every contact gets
exactly one stored dial command)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import nats
import psycopg
import pytest
from execution_support import campaign_with
from nats.js import JetStreamContext
from scheduler_support import FakeDialer, SchedulerApp, Tenant, eventually

from callcast_contracts.envelope import envelope
from callcast_contracts.events import AudienceMembersAdded, ContactSaved, FlowVersionSaved
from callcast_contracts.events.contacts import ContactSnapshot
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import ALL_STREAMS, DIAL_COMMANDS, PROGRAMS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_runtime.messaging import EventStore, ensure_streams
from callcast_runtime.settings import Settings
from callcast_stack.nats import start_nats_server
from callcast_stack.ports import free_port
from callcast_stack.processes import spawn

pytestmark = pytest.mark.integration


async def stored_per_subject(js: JetStreamContext, stream: str, filter_subject: str) -> dict[str, int]:
    info = await js.stream_info(stream, subjects_filter=filter_subject)
    return dict(info.state.subjects or {})


async def test_two_replicas_dispatching_at_once_dial_every_contact_once(
    tenant: Tenant, scheduler_settings: Settings
) -> None:
    # Due in an hour: the session app's own dispatcher (real clock) leaves it alone, and the two
    # replicas' rounds below (clock moved past startAt) find the same 40 jobs due at once.
    start_at = datetime.now(UTC) + timedelta(hours=1)
    campaign = await campaign_with(tenant, contacts=40, concurrency=100, startAt=start_at.isoformat())
    limits = {"maxConcurrentCalls": 1000, "maxCallsPerSecond": 1000}
    assert (await tenant.app.client.put("/api/calling-limits", json=limits, headers=tenant.headers)).status_code == 200
    replica = SchedulerApp(msgspec.structs.replace(scheduler_settings, instance_id="scheduler-replica"))
    await replica.start()
    js = tenant.events.js
    try:
        execution_id = await tenant.launch(campaign.program_id)
        dial_filter = f"{Context.DIAL}.{tenant.org_id}.>"
        later = start_at + timedelta(seconds=1)
        rounds = {"session": 0, "replica": 0}

        async def both_rounds() -> None:
            # Side by side, the advisory lock bypassed: what keeps them apart is the row locks of
            # a round and the expected sequence of each job's subject.
            session, other = await asyncio.gather(
                tenant.app.scheduler.dispatch_once(later), replica.scheduler.dispatch_once(later)
            )
            rounds["session"] += session
            rounds["replica"] += other

        async def all_dialled() -> bool:
            await both_rounds()
            return len(await stored_per_subject(js, DIAL_COMMANDS.name, dial_filter)) >= 40

        await eventually(all_dialled, timeout=30, what="every contact dialled")
        await both_rounds()
        per_attempt = await stored_per_subject(js, DIAL_COMMANDS.name, dial_filter)
        assert len(per_attempt) == 40
        assert set(per_attempt.values()) == {1}
        per_job = await stored_per_subject(js, PROGRAMS.name, f"{Context.PROGRAMS}.{tenant.org_id}.job.>")
        assert len(per_job) == 40
        assert set(per_job.values()) == {1}  # one AttemptDispatched each
        assert sum(rounds.values()) == 40  # what each round reports sent, not one more
        await tenant.app_caught_up()
        assert (await tenant.execution(execution_id))["contactsInProgress"] == 40
    finally:
        await replica.stop()
        await js.purge_stream(DIAL_COMMANDS.name, subject=f"{Context.DIAL}.{tenant.org_id}.>")


# -- a scheduler process, killed -------------------------------------------------------------------
class SchedulerProcess:
    def __init__(self, tmp_path: Path, nats_url: str, database_url: str) -> None:
        self.tmp_path, self.port = tmp_path, free_port()
        self.env = {
            **os.environ,
            "NATS_URL": nats_url,
            "DATABASE_URL": database_url,
            "CALLCAST_HTTP_PORT": str(self.port),
            "CALLCAST_LOG_FORMAT": "console",
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def start(self) -> None:
        self.runs += 1
        log = (self.tmp_path / f"scheduler-{self.runs}.log").open("wb")
        env = {**self.env, "CALLCAST_INSTANCE_ID": f"scheduler-run-{self.runs}"}
        self.proc = spawn([sys.executable, "-m", "callcast_scheduler"], env=env, stdout=log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL: no drain, no unlock, no goodbye
        self.proc.wait(10)

    async def ready(self) -> None:
        async def probe() -> bool:
            assert self.proc is not None
            assert self.proc.poll() is None, self.log_tail()
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    return (await client.get(f"{self.url}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(probe, timeout=60, what="the scheduler process to be ready")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self) -> str:
        return (self.tmp_path / f"scheduler-{self.runs}.log").read_text(errors="replace")[-3000:]


@contextmanager
def scheduler_process(tmp_path: Path, nats_url: str, database_url: str) -> Iterator[SchedulerProcess]:
    process = SchedulerProcess(tmp_path, nats_url, database_url)
    try:
        yield process
    finally:
        if process.proc is not None and process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait(10)


async def _campaign_inputs(events: EventStore, org_id: str, contacts: int) -> tuple[str, FlowSnapshot]:
    people = [
        ContactSnapshot(id=str(uuid.uuid4()), primary_phone=f"+2126005{n:05d}", revision=1) for n in range(contacts)
    ]
    for person in people:
        await events.append(
            subject(Context.CONTACTS, org_id, Aggregate.CONTACT, person.id),
            envelope(ContactSaved(contact=person), org_id=org_id, aggregate_id=person.id),
            msg_id=f"contact-{person.id}-saved-1",
        )
    audience_id = str(uuid.uuid4())
    await events.append(
        subject(Context.CONTACTS, org_id, Aggregate.AUDIENCE, audience_id),
        envelope(
            AudienceMembersAdded(audience_id=audience_id, contact_ids=[p.id for p in people]),
            org_id=org_id,
            aggregate_id=audience_id,
        ),
        msg_id=f"audience-{audience_id}-added",
    )
    flow_id = str(uuid.uuid4())
    flow = FlowSnapshot(
        flow_id=flow_id,
        version=1,
        name="Kill",
        graph_hash=f"sha256:{flow_id}",
        start_node_id="hangup-1",
        nodes=[{"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}}],
    )
    await events.append(
        subject(Context.FLOWS, org_id, Aggregate.FLOW, flow_id),
        envelope(FlowVersionSaved(flow=flow), org_id=org_id, aggregate_id=flow_id),
        msg_id=f"flow-{flow_id}-v1",
    )
    return audience_id, flow


async def test_a_scheduler_killed_mid_execution_resumes_and_dials_no_attempt_twice(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    contacts = 300
    org_id = str(uuid.uuid4())
    headers = {"X-Callcast-Org-Id": org_id}
    # A NATS and a database of its own: the session's in-process scheduler must not take part.
    with (
        start_nats_server(tmp_path / "nats") as server,
        scheduler_process(tmp_path, server.url, new_database()) as scheduler,
    ):
        nc = await nats.connect(server.url)
        js = nc.jetstream()
        await ensure_streams(js, ALL_STREAMS)
        events = EventStore(js)
        dial_filter = f"{Context.DIAL}.{org_id}.>"
        try:
            audience_id, flow = await _campaign_inputs(events, org_id, contacts)
            scheduler.start()
            await scheduler.ready()
            async with httpx.AsyncClient(base_url=scheduler.url, headers=headers, timeout=30) as client:
                # Slow enough (50 calls/s) to be killed in the middle of it.
                limits = {"maxConcurrentCalls": 1000, "maxCallsPerSecond": 50}
                assert (await client.put("/api/calling-limits", json=limits)).status_code == 200
                did = await client.post("/api/dids", json={"number": "+212522000901", "country": "MA"})
                assert did.status_code == 201, did.text
                program = {
                    "name": "Killed",
                    "flowId": flow.flow_id,
                    "audienceId": audience_id,
                    "didPool": [did.json()["id"]],
                    "concurrency": contacts,
                }
                created = await client.post("/api/programs", json=program)
                assert created.status_code == 201, created.text

                async def copies_caught_up() -> bool:
                    return (await client.post(f"/api/programs/{created.json()['id']}/launch")).status_code == 201

                await eventually(copies_caught_up, timeout=30, what="a launch over the copied audience")

            async def some_dialled() -> int:
                n = len(await stored_per_subject(js, DIAL_COMMANDS.name, dial_filter))
                return n if n >= 20 else 0

            before = await eventually(some_dialled, timeout=30, what="the first dial commands")
            scheduler.kill()
            assert before < contacts, "the execution finished before the kill: nothing to resume"
            scheduler.start()
            await scheduler.ready()

            async def all_dialled() -> bool:
                return len(await stored_per_subject(js, DIAL_COMMANDS.name, dial_filter)) >= contacts

            await eventually(all_dialled, timeout=60, what="every contact dialled after the restart")
            await asyncio.sleep(0.5)  # a late duplicate would land now
            per_attempt = await stored_per_subject(js, DIAL_COMMANDS.name, dial_filter)
            assert len(per_attempt) == contacts
            assert set(per_attempt.values()) == {1}, {s: n for s, n in per_attempt.items() if n != 1}
            per_job = await stored_per_subject(js, PROGRAMS.name, f"{Context.PROGRAMS}.{org_id}.job.>")
            assert len(per_job) == contacts
            assert set(per_job.values()) == {1}
        finally:
            await nc.close()


# -- the dispatcher's lock, lost ---------------------------------------------------------------------
async def _lock_holder(database_url: str) -> int | None:
    key = zlib.crc32(b"callcast-scheduler-dispatcher")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        cur = await conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = %s "
            "AND objsubid = 1",
            (key,),
        )
        row = await cur.fetchone()
        return int(row[0]) if row else None


async def test_a_dispatcher_whose_lock_session_dies_takes_the_lock_again_and_dispatches(
    tenant: Tenant, dialer: FakeDialer, scheduler_settings: Settings
) -> None:
    database_url = scheduler_settings.database_url
    assert database_url is not None
    before = await eventually(lambda: _lock_holder(database_url), what="the dispatcher's lock")
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await conn.execute("SELECT pg_terminate_backend(%s)", (before,))  # as a failover or idle kill would

    async def taken_again() -> int | None:
        holder = await _lock_holder(database_url)
        return holder if holder not in (None, before) else None

    await eventually(taken_again, timeout=15, what="the lock taken again by a new session")
    campaign = await tenant.campaign(contacts=1)
    await tenant.launch(campaign.program_id)
    command = await dialer.next_command()
    assert command.data.contact_id == campaign.contacts[0].id
