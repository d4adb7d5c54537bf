"""Shared by the dialer's capacity and fault tests: dial commands, in-process dialers, the queue's
state, what SIPp saw, and a TCP proxy that cuts one dialer off from NATS on demand."""

from __future__ import annotations

import asyncio
import contextlib
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import msgspec
import nats.js.errors
from litestar.testing import AsyncTestClient
from nats.js import JetStreamContext
from nats.js.api import ObjectStoreConfig

from callcast_contracts import ids
from callcast_contracts.envelope import envelope
from callcast_contracts.events import CallAnswered, CallEnded, DialRequested
from callcast_contracts.events.flows import FlowSnapshot
from callcast_contracts.streams import CALLS, DIAL_COMMANDS
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_dialer.adapters.audio_store import AUDIO_BUCKET
from callcast_dialer.bootstrap import build_spec
from callcast_dialer.entrypoints.dialer_settings import DialerSettings
from callcast_dialer.entrypoints.events import DURABLE, DialCommandConsumer
from callcast_dialer.handlers import DialHandler
from callcast_runtime.messaging import EventStore, StoredEvent
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings
from callcast_stack.sipp import SippCallee

ORG = "0b5f6a52-3a70-4a38-9a53-0c6cc3a5e002"
FRAMES_PER_SECOND = 50


def attempt_subject(attempt_id: str) -> str:
    return subject(Context.CALLS, ORG, Aggregate.ATTEMPT, attempt_id)


async def clean_dial_queue(js: JetStreamContext) -> None:
    """No command or consumer left by an earlier test (the work queue is shared by the session)."""
    with contextlib.suppress(nats.js.errors.NotFoundError):
        await js.delete_consumer(DIAL_COMMANDS.name, DURABLE)
    await js.purge_stream(DIAL_COMMANDS.name)


async def put_prompt(js: JetStreamContext, seconds: float) -> str:
    """A silent μ-law prompt of ``seconds`` in the audio store; its audio id."""
    try:
        bucket = await js.object_store(AUDIO_BUCKET)
    except Exception:
        bucket = await js.create_object_store(AUDIO_BUCKET, config=ObjectStoreConfig(bucket=AUDIO_BUCKET))
    audio_id = ids.new_id()
    await bucket.put(f"{ORG}/{audio_id}.ulaw", bytes([0xFF]) * (160 * int(seconds * FRAMES_PER_SECOND)))
    return audio_id


def play_flow(audio_id: str) -> FlowSnapshot:
    """Dial, play the prompt, hang up: the call lasts as long as the prompt."""
    return FlowSnapshot(
        flow_id=ids.new_id(),
        version=1,
        name="dial-play-hangup",
        graph_hash="sha256:test",
        start_node_id="dial-1",
        nodes=[
            {
                "id": "dial-1",
                "type": "dial",
                "config": {"timeout": 5000, "enableAMD": False},
                "outputs": {"onAnswer": "play-1"},
            },
            {
                "id": "play-1",
                "type": "play",
                "config": {"items": [{"type": "audioFile", "audioId": audio_id}]},
                "outputs": {"onComplete": "hangup-1"},
            },
            {"id": "hangup-1", "type": "hangup", "config": {}, "outputs": {}},
        ],
    )


async def queue_dial_command(events: EventStore, audio_id: str) -> str:
    """Publish one dial command (a call playing ``audio_id``); its attempt id."""
    attempt = ids.new_id()
    cmd = DialRequested(
        attempt_id=attempt,
        attempt_number=1,
        job_id=ids.new_id(),
        execution_id=None,
        program_id=None,
        contact_id=ids.new_id(),
        to="+212600000001",
        caller_id="+212500000000",
        flow=play_flow(audio_id),
        contact={"firstName": "Test"},
    )
    env = envelope(cmd, org_id=ORG, aggregate_id=attempt)
    await events.append(subject(Context.DIAL, ORG, Aggregate.ATTEMPT, attempt), env, msg_id=f"dial-{attempt}")
    return attempt


async def history(events: EventStore, attempt_id: str) -> list[StoredEvent]:
    return await events.load(CALLS.name, attempt_subject(attempt_id))


async def wait_for_event(events: EventStore, attempt_id: str, kind: type, timeout: float = 20.0) -> list[StoredEvent]:
    """The attempt's history once it holds an event of type ``kind``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = await history(events, attempt_id)
        if any(isinstance(e.envelope.data, kind) for e in found):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"attempt {attempt_id} has no {kind.__name__} after {timeout}s")


async def wait_answered(events: EventStore, attempt_id: str, timeout: float = 20.0) -> list[StoredEvent]:
    return await wait_for_event(events, attempt_id, CallAnswered, timeout)


async def wait_ended(events: EventStore, attempt_id: str, timeout: float = 30.0) -> list[StoredEvent]:
    return await wait_for_event(events, attempt_id, CallEnded, timeout)


async def wait_queue_empty(js: JetStreamContext, timeout: float = 20.0) -> None:
    """Every command was acknowledged (a work queue deletes what is acked)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        info = await js.stream_info(DIAL_COMMANDS.name)
        if info.state.messages == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("dial commands are still in the work queue")


def ended_of(found: list[StoredEvent]) -> list[CallEnded]:
    return [e.envelope.data for e in found if isinstance(e.envelope.data, CallEnded)]


def sipp_peak_dialogs(callee: SippCallee) -> int:
    """The most calls SIPp had up at once (INVITE received, BYE not yet), in the order it received
    them (``trace_messages=True``). Its statistics' CurrentCall also counts calls in their
    closing time-wait, so it overstates what the dialer had up."""
    text = callee.messages()
    live: set[str] = set()
    done: set[str] = set()
    peak = 0
    for block in re.split(r"^-{10,}.*$", text, flags=re.MULTILINE):
        if "message received" not in block:
            continue
        request = re.search(r"^(INVITE|BYE) sip:", block, flags=re.MULTILINE)
        call_id = re.search(r"^(?:Call-ID|i):\s*(\S+)", block, flags=re.MULTILINE | re.IGNORECASE)
        if request is None or call_id is None:
            continue
        key = call_id.group(1)
        if request.group(1) == "INVITE" and key not in done:
            live.add(key)
        elif request.group(1) == "BYE":
            live.discard(key)
            done.add(key)
        peak = max(peak, len(live))
    return peak


@dataclass
class RunningDialer:
    handler: DialHandler
    consumer: DialCommandConsumer
    client: AsyncTestClient  # type: ignore[type-arg]


@asynccontextmanager
async def dialer(
    *,
    nats_url: str,
    callee: SippCallee,
    settings: DialerSettings,
    instance_id: str,
) -> AsyncIterator[RunningDialer]:
    """One dialer in this process, as its service runs (runtime, consumer, SIP agent)."""
    host, port = callee.address
    service_settings = msgspec.structs.replace(
        load_settings("dialer"), nats_url=nats_url, instance_id=instance_id, sip_trunk=f"{host}:{port}"
    )
    app = create_app(build_spec(settings), service_settings)
    async with AsyncTestClient(app) as client:
        runtime = app.state.runtime
        yield RunningDialer(runtime.components["dial_handler"], runtime.components["dial_consumer"], client)


class NatsCutProxy:
    """A TCP proxy in front of NATS: ``cut()`` drops every connection through it and refuses new
    ones (the client sees its server go away) until ``heal()``.

    It runs its own event loop in a thread: litestar's test client starts an app from a blocking
    call on the test's loop, which could not serve the app's connection meanwhile."""

    def __init__(self, nats_url: str) -> None:
        target = urlparse(nats_url)
        self.target = (target.hostname or "127.0.0.1", target.port or 4222)
        self._links: set[asyncio.StreamWriter] = set()
        self._cut = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats-cut-proxy", daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        ).result(5)
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            self._drop_links()
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def cut(self) -> None:
        self._cut = True
        self._loop.call_soon_threadsafe(self._drop_links)

    def heal(self) -> None:
        self._cut = False

    def _drop_links(self) -> None:
        for writer in list(self._links):
            writer.close()
        self._links.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._links.update({writer, up_writer})
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                if self._cut:
                    break
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._links.discard(writer)
            writer.close()


@asynccontextmanager
async def nats_cut_proxy(nats_url: str) -> AsyncIterator[NatsCutProxy]:
    proxy = NatsCutProxy(nats_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def sipp_callee(tmp_path: Path, *, trace_messages: bool = False) -> SippCallee:
    return SippCallee("answer", log_dir=tmp_path, rtp_echo=True, trace_messages=trace_messages)
