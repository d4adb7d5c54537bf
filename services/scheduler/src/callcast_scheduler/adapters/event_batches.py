"""Appends in batches: every message of a batch is published before any acknowledgement is
awaited, then the acknowledgements are awaited together.

One awaited append costs a round trip (≈ 6k/s from one Python process); pipelined, the same
appends reach ≈ 23k/s (FIELD-NOTES). Each item keeps its own ``Nats-Msg-Id`` and, when given, its
expected last subject sequence: the batch changes how fast appends go, never what they check.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from callcast_contracts.envelope import Envelope, encode
from callcast_contracts.subjects import (
    EVENT_TYPE_HEADER,
    EVENT_VERSION_HEADER,
    EXPECTED_LAST_SUBJECT_SEQ_HEADER,
    MSG_ID_HEADER,
    ORG_HEADER,
)
from callcast_runtime.messaging import AppendConflict, Appended
from callcast_runtime.tracing import inject_headers

_WRONG_LAST_SEQUENCE = 10071
_decode_ack = msgspec.json.Decoder(dict[str, Any]).decode


@dataclass(frozen=True, slots=True)
class PendingAppend:
    subject: str
    envelope: Envelope[Any]
    msg_id: str
    expected_last_seq: int | None = None


class _Pipeline:
    """Publishes with a reply inbox per message and resolves each acknowledgement as it comes.

    nats-py's ``publish_async`` does the same but loses an acknowledgement that carries an error
    (its reply handler raises inside the subscription callback, and the future never resolves),
    and an expected-sequence conflict is an error acknowledgement: hence this small pipeline.
    """

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.prefix = f"{nc._inbox_prefix.decode()}.{nc._nuid.next().decode()}."
        self.pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.counter = 0
        self.sub: Any = None

    async def start(self) -> None:
        self.sub = await self.nc.subscribe(self.prefix + "*", cb=self._on_reply)

    async def _on_reply(self, msg: Msg) -> None:
        future = self.pending.pop(msg.subject[len(self.prefix) :], None)
        if future is None or future.done():
            return
        if msg.headers and msg.headers.get("Status") == "503":
            future.set_result({"error": {"code": 503, "err_code": 0, "description": "no stream for this subject"}})
            return
        try:
            future.set_result(_decode_ack(msg.data))
        except msgspec.DecodeError as exc:
            future.set_result({"error": {"code": 0, "err_code": 0, "description": f"unreadable ack: {exc}"}})

    async def publish(self, subject: str, payload: bytes, headers: dict[str, str]) -> asyncio.Future[dict[str, Any]]:
        self.counter += 1
        token = str(self.counter)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[token] = future
        await self.nc.publish(subject, payload, reply=self.prefix + token, headers=headers)
        return future

    def forget(self, futures: Sequence[asyncio.Future[dict[str, Any]]]) -> None:
        waiting = set(map(id, futures))
        for token in [t for t, f in self.pending.items() if id(f) in waiting]:
            del self.pending[token]


_pipelines: dict[int, _Pipeline] = {}


async def _pipeline(js: JetStreamContext) -> _Pipeline:
    nc: Client = js._nc
    pipeline = _pipelines.get(id(nc))
    if pipeline is None or pipeline.nc is not nc:
        pipeline = _Pipeline(nc)
        await pipeline.start()
        _pipelines[id(nc)] = pipeline
    return pipeline


async def append_batch(
    js: JetStreamContext, items: Sequence[PendingAppend], *, timeout: float = 10.0
) -> list[Appended | AppendConflict]:
    """Each item's outcome, in order: ``Appended`` (``duplicate`` when the msg-id was stored
    before) or ``AppendConflict`` (the subject moved past the expected sequence). Any other
    failure (timeout, no stream) raises: the caller does not know which items were stored and
    retries them, which the msg-ids make safe."""
    if not items:
        return []
    pipeline = await _pipeline(js)
    trace = inject_headers({})
    futures: list[asyncio.Future[dict[str, Any]]] = []
    try:
        for item in items:
            env = item.envelope
            headers = {
                MSG_ID_HEADER: item.msg_id,
                EVENT_TYPE_HEADER: env.type,
                EVENT_VERSION_HEADER: str(env.version),
                ORG_HEADER: env.org_id,
                **trace,
            }
            if item.expected_last_seq is not None:
                headers[EXPECTED_LAST_SUBJECT_SEQ_HEADER] = str(item.expected_last_seq)
            futures.append(await pipeline.publish(item.subject, encode(env), headers))
        acks = await asyncio.wait_for(asyncio.gather(*futures), timeout)
    finally:
        pipeline.forget(futures)
    results: list[Appended | AppendConflict] = []
    for item, ack in zip(items, acks, strict=True):
        error = ack.get("error")
        if error is None:
            results.append(Appended(seq=int(ack["seq"]), duplicate=bool(ack.get("duplicate"))))
        elif error.get("err_code") == _WRONG_LAST_SEQUENCE:
            results.append(AppendConflict(item.subject, item.expected_last_seq or 0, str(error.get("description"))))
        else:
            raise AppendFailed(item.subject, error)
    return results


class AppendFailed(Exception):
    def __init__(self, subject: str, error: dict[str, Any]) -> None:
        super().__init__(f"{subject}: {error.get('description')} (code {error.get('code')}/{error.get('err_code')})")
