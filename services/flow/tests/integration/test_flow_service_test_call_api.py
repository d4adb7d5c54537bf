"""POST /api/flows/execute (real NATS and PostgreSQL): the body is checked strictly, the pinned
flow version is loaded for the organization, and the scheduler is asked over NATS request/reply.

The scheduler is a fake responder on a subject of this test's own (the module's subject is
patched), so a real scheduler sharing the NATS server never answers these requests. It runs on an
event loop of its own, in a thread: litestar's test client blocks the test's loop while the app
handles a request."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import msgspec
import nats
import pytest
from litestar.testing import AsyncTestClient
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg

from callcast_contracts.test_call import (
    PlaceTestCallReply,
    PlaceTestCallRequest,
    TestCallRefused,
    decode_request,
    encode_reply,
)
from callcast_flow.entrypoints import test_call

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]

GRAPH = {
    "startNodeId": "dial-1",
    "nodes": [
        {"id": "dial-1", "type": "dial", "config": {"timeout": 20000}, "outputs": {"onAnswer": "bye"}},
        {"id": "bye", "type": "hangup", "config": {}, "outputs": {}},
    ],
}


class FakeScheduler:
    def __init__(self) -> None:
        self.requests: list[PlaceTestCallRequest] = []
        self.refusal: TestCallRefused | None = None

    async def on_request(self, msg: Msg) -> None:
        self.requests.append(decode_request(msg.data))
        reply = PlaceTestCallReply(error=self.refusal) if self.refusal else PlaceTestCallReply(job_id=str(uuid.uuid4()))
        await msg.respond(encode_reply(reply))


@pytest.fixture
def rpc_subject(monkeypatch: pytest.MonkeyPatch) -> str:
    subject = f"rpc.scheduler.test-call.{uuid.uuid4().hex}"
    monkeypatch.setattr(test_call, "PLACE_TEST_CALL_SUBJECT", subject)
    monkeypatch.setattr(test_call, "SCHEDULER_TIMEOUT_S", 1.0)
    return subject


@pytest.fixture
def scheduler(nats_url: str, rpc_subject: str) -> Iterator[FakeScheduler]:
    fake = FakeScheduler()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def connect() -> NatsClient:
        nc = await nats.connect(nats_url)
        await nc.subscribe(rpc_subject, queue="scheduler", cb=fake.on_request)
        await nc.flush()
        return nc

    nc = asyncio.run_coroutine_threadsafe(connect(), loop).result(timeout=10)
    yield fake
    asyncio.run_coroutine_threadsafe(nc.close(), loop).result(timeout=10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(timeout=10)


async def _flow(client: Client, headers: dict[str, str], versions: int = 1) -> str:
    created = await client.post("/api/flows", json={"name": "Test call", "graph": GRAPH}, headers=headers)
    assert created.status_code == 201, created.text
    flow_id = str(created.json()["id"])
    for _ in range(versions - 1):
        updated = await client.put(f"/api/flows/{flow_id}", json={"graph": GRAPH}, headers=headers)
        assert updated.status_code == 200, updated.text
    return flow_id


def _body(flow_id: str, **fields: Any) -> dict[str, Any]:
    return {"flowId": flow_id, "contact": {"primaryPhone": "+212600000401"}, "fromNumber": "+212522000401", **fields}


async def test_executing_a_flow_asks_the_scheduler_and_answers_its_job(
    client: Client, headers: dict[str, str], org_id: str, scheduler: FakeScheduler
) -> None:
    flow_id = await _flow(client, headers, versions=2)
    did_id = str(uuid.uuid4())
    body = {
        "flowId": flow_id,
        "flowVersion": 1,
        "contact": {"primaryPhone": "+212600000402", "firstName": "Amina", "customAttributes": {"tier": "gold"}},
        "didId": did_id,
        "variables": {"amount": 120, "due": "2025-03-01"},
    }
    response = await client.post("/api/flows/execute", json=body, headers=headers)
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["status"] == "queued"
    uuid.UUID(answer["jobId"])

    [request] = scheduler.requests
    assert request.org_id == org_id
    assert (request.flow.flow_id, request.flow.version, request.flow.start_node_id) == (flow_id, 1, "dial-1")
    assert request.contact == {
        "primaryPhone": "+212600000402",
        "firstName": "Amina",
        "customAttributes": {"tier": "gold"},
    }
    assert (request.contact_id, request.did_id, request.from_number) == (None, did_id, None)
    assert request.variables == {"amount": 120, "due": "2025-03-01"}


async def test_the_latest_version_runs_when_none_is_pinned(
    client: Client, headers: dict[str, str], scheduler: FakeScheduler
) -> None:
    flow_id = await _flow(client, headers, versions=2)
    contact_id = str(uuid.uuid4())
    body = {"flowId": flow_id, "contactId": contact_id, "fromNumber": "+212522000403"}
    response = await client.post("/api/flows/execute", json=body, headers=headers)
    assert response.status_code == 201, response.text
    [request] = scheduler.requests
    assert (request.flow.version, request.contact_id, request.contact) == (2, contact_id, None)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contactId": "00000000-0000-0000-0000-000000000001"}, "contactId"),  # and `contact`: both
        ({"contact": None}, "contactId"),  # neither
        ({"didId": "00000000-0000-0000-0000-000000000001"}, "didId"),  # and `fromNumber`: both
        ({"fromNumber": None}, "didId"),  # neither
        ({"flowId": "not-a-uuid"}, "flowId"),
        ({"flowVersion": 0}, "flowVersion"),
        ({"fromNumber": "0522000401"}, "fromNumber"),
        ({"contact": {"primaryPhone": "12"}}, "contact.primaryPhone"),
        ({"contact": {"primaryPhone": "+212600000401", "email": "a@b.c"}}, "contact.email"),
        ({"variables": {"1st": 1}}, "variables.1st"),
        ({"variables": {"nested": {"a": 1}}}, "variables.nested"),
        ({"priority": "high"}, "priority"),
    ],
)
async def test_a_bad_body_answers_400_naming_the_field(
    client: Client, headers: dict[str, str], scheduler: FakeScheduler, change: dict[str, Any], field: str
) -> None:
    body = {k: v for k, v in {**_body(str(uuid.uuid4())), **change}.items() if v is not None}
    response = await client.post("/api/flows/execute", json=body, headers=headers)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_FAILED"
    assert field in problem["fieldErrors"], problem
    assert scheduler.requests == []


async def test_another_organizations_flow_or_a_missing_version_is_404(
    client: Client, headers: dict[str, str], scheduler: FakeScheduler
) -> None:
    flow_id = await _flow(client, headers)
    other = {"X-Callcast-Org-Id": str(uuid.uuid4())}
    response = await client.post("/api/flows/execute", json=_body(flow_id), headers=other)
    assert (response.status_code, response.json()["code"]) == (404, "FlowNotFoundError")
    response = await client.post("/api/flows/execute", json=_body(flow_id, flowVersion=7), headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, "FlowVersionNotFoundError")
    assert scheduler.requests == []


async def test_a_flow_whose_audio_was_deleted_is_refused_with_its_findings(
    client: Client, headers: dict[str, str], scheduler: FakeScheduler, make_audio: Any
) -> None:
    files = {"file": ("hello.wav", make_audio(0.5), "audio/wav")}
    uploaded = await client.post("/api/audio-management/upload", files=files, data={"title": "hi"}, headers=headers)
    assert uploaded.status_code == 201, uploaded.text
    audio_id = uploaded.json()["id"]
    graph = msgspec.json.decode(msgspec.json.encode(GRAPH))
    graph["nodes"][0]["outputs"]["onAnswer"] = "hello"
    graph["nodes"].append(
        {
            "id": "hello",
            "type": "play",
            "config": {"items": [{"type": "audioFile", "audioId": audio_id}]},
            "outputs": {"onComplete": "bye"},
        }
    )
    created = await client.post("/api/flows", json={"name": "With audio", "graph": graph}, headers=headers)
    assert created.status_code == 201, created.text
    assert (await client.delete(f"/api/audio-management/{audio_id}", headers=headers)).status_code == 204

    response = await client.post("/api/flows/execute", json=_body(created.json()["id"]), headers=headers)
    assert response.status_code == 400, response.text
    assert [f["code"] for f in response.json()["findings"] if f["severity"] == "error"] == ["AUDIO_NOT_FOUND"]
    assert scheduler.requests == []


async def test_a_scheduler_refusal_is_answered_with_its_named_error(
    client: Client, headers: dict[str, str], scheduler: FakeScheduler
) -> None:
    scheduler.refusal = TestCallRefused(status=404, code="ContactNotFoundError", message="Contact x not found")
    body = {"flowId": await _flow(client, headers), "contactId": str(uuid.uuid4()), "fromNumber": "+212522000404"}
    response = await client.post("/api/flows/execute", json=body, headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, "ContactNotFoundError")
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_no_scheduler_answering_is_503(client: Client, headers: dict[str, str], rpc_subject: str) -> None:
    response = await client.post("/api/flows/execute", json=_body(await _flow(client, headers)), headers=headers)
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
