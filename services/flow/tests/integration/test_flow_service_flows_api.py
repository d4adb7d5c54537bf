"""The flows API end to end: HTTP → PostgreSQL → outbox → JetStream (real servers)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient
from nats.aio.msg import Msg

from callcast_contracts.envelope import decode
from callcast_contracts.events.flows import FlowDeleted, FlowVersionSaved

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]
MessagesOn = Callable[..., Awaitable[list[Msg]]]


def nodes_array() -> list[dict[str, Any]]:
    return [
        {
            "id": "dial-1",
            "type": "dial",
            "label": "Call customer",
            "config": {"timeout": 30000, "enableAMD": True},
            "outputs": {"onAnswer": "menu", "onVoicemail": "bye", "onNoAnswer": "bye"},
        },
        {
            "id": "menu",
            "type": "dtmf",
            "config": {"mode": "single_digit", "maxDigits": 1, "timeoutMs": 5000},
            "outputs": {"branches": {"1": "bye", "2": "menu"}, "onTimeout": "bye", "onInvalid": "bye"},
        },
        {"id": "bye", "type": "hangup", "config": {}, "outputs": {}},
    ]


def flow_body(name: str = "Payment reminder", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "description": "Reminds of a due payment",
        "graph": {"startNodeId": "dial-1", "nodes": nodes_array()},
        **extra,
    }


async def create_flow(client: Client, headers: dict[str, str], body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await client.post("/api/flows", json=body or flow_body(), headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_creating_a_flow_answers_201_with_version_1_and_the_graph_as_an_array(
    client: Client, headers: dict[str, str], org_id: str
) -> None:
    flow = await create_flow(client, headers)

    assert uuid.UUID(flow["id"])
    assert flow["organizationId"] == org_id
    assert (flow["name"], flow["description"]) == ("Payment reminder", "Reminds of a due payment")
    assert (flow["channelType"], flow["status"], flow["flowVersion"]) == ("call", "draft", 1)
    assert flow["graphHash"].startswith("sha256:")
    assert flow["graph"] == {"startNodeId": "dial-1", "nodes": nodes_array()}
    assert flow["createdAt"].endswith("Z")
    assert flow["updatedAt"] == flow["createdAt"]


async def test_a_flow_sent_with_nodes_as_a_map_is_answered_with_an_array(
    client: Client, headers: dict[str, str]
) -> None:
    as_map = {n["id"]: {k: v for k, v in n.items() if k != "id"} for n in nodes_array()}
    flow = await create_flow(
        client, headers, {"name": "Map form", "startNodeId": "dial-1", "nodes": as_map, "channelType": "agnostic"}
    )
    from_array = await create_flow(client, headers)

    assert flow["graph"] == {"startNodeId": "dial-1", "nodes": nodes_array()}
    assert flow["channelType"] == "agnostic"
    assert flow["graphHash"] == from_array["graphHash"]


async def test_a_graph_given_both_inside_graph_and_at_the_top_level_is_refused(
    client: Client, headers: dict[str, str]
) -> None:
    response = await client.post("/api/flows", json=flow_body(nodes=nodes_array()), headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert "nodes" in response.json()["fieldErrors"]


async def test_each_save_is_a_new_version_and_old_versions_stay_readable(
    client: Client, headers: dict[str, str]
) -> None:
    flow = await create_flow(client, headers)
    fid = flow["id"]
    changed = nodes_array()
    changed[0]["config"]["timeout"] = 45000

    second = await client.put(
        f"/api/flows/{fid}", json={"graph": {"startNodeId": "dial-1", "nodes": changed}}, headers=headers
    )
    third = await client.put(f"/api/flows/{fid}", json={"name": "Renamed", "status": "active"}, headers=headers)

    assert second.status_code == 200, second.text
    assert third.status_code == 200, third.text
    assert [second.json()["flowVersion"], third.json()["flowVersion"]] == [2, 3]
    assert second.json()["graphHash"] != flow["graphHash"]
    assert third.json()["graphHash"] == second.json()["graphHash"]
    assert (third.json()["name"], third.json()["status"], third.json()["description"]) == (
        "Renamed",
        "active",
        "Reminds of a due payment",
    )
    latest = (await client.get(f"/api/flows/{fid}", headers=headers)).json()
    assert (latest["flowVersion"], latest["name"]) == (3, "Renamed")
    first = (await client.get(f"/api/flows/{fid}", params={"version": 1}, headers=headers)).json()
    assert (first["flowVersion"], first["name"], first["graphHash"]) == (1, "Payment reminder", flow["graphHash"])
    assert first["graph"]["nodes"][0]["config"]["timeout"] == 30000
    missing = await client.get(f"/api/flows/{fid}", params={"version": 9}, headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "FlowVersionNotFoundError"


async def test_each_version_is_published_once_as_flow_version_saved(
    client: Client, headers: dict[str, str], org_id: str, messages_on: MessagesOn
) -> None:
    flow = await create_flow(client, headers)
    fid = flow["id"]
    await client.put(f"/api/flows/{fid}", json={"name": "v2"}, headers=headers)

    msgs = await messages_on("FLOWS", f"flows.{org_id}.flow.{fid}", expect=2)

    assert len(msgs) == 2
    assert [m.headers["Nats-Msg-Id"] for m in msgs if m.headers] == [f"flow-{fid}-v1", f"flow-{fid}-v2"]
    events = [decode(m.data) for m in msgs]
    assert all(isinstance(e.data, FlowVersionSaved) for e in events)
    first = events[0].data
    assert isinstance(first, FlowVersionSaved)
    assert (events[0].org_id, events[0].aggregate_id) == (org_id, fid)
    assert (first.flow.flow_id, first.flow.version, first.flow.name) == (fid, 1, "Payment reminder")
    assert (first.flow.graph_hash, first.flow.start_node_id) == (flow["graphHash"], "dial-1")
    assert first.flow.nodes == nodes_array()


async def test_deleting_a_flow_hides_it_and_publishes_flow_deleted(
    client: Client, headers: dict[str, str], org_id: str, messages_on: MessagesOn
) -> None:
    fid = (await create_flow(client, headers))["id"]

    deleted = await client.delete(f"/api/flows/{fid}", headers=headers)

    assert deleted.status_code == 204
    assert (await client.get(f"/api/flows/{fid}", headers=headers)).status_code == 404
    assert (await client.put(f"/api/flows/{fid}", json={"name": "x"}, headers=headers)).status_code == 404
    assert (await client.delete(f"/api/flows/{fid}", headers=headers)).status_code == 404
    listed = (await client.get("/api/flows", headers=headers)).json()
    assert fid not in [f["id"] for f in listed["data"]]
    msgs = await messages_on("FLOWS", f"flows.{org_id}.flow.{fid}", expect=2)
    assert isinstance(decode(msgs[-1].data).data, FlowDeleted)
    assert msgs[-1].headers is not None
    assert msgs[-1].headers["Nats-Msg-Id"] == f"flow-{fid}-deleted"


async def test_another_organizations_flow_reads_as_missing(client: Client, headers: dict[str, str]) -> None:
    fid = (await create_flow(client, headers))["id"]
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}

    for response in (
        await client.get(f"/api/flows/{fid}", headers=stranger),
        await client.put(f"/api/flows/{fid}", json={"name": "mine now"}, headers=stranger),
        await client.delete(f"/api/flows/{fid}", headers=stranger),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "FlowNotFoundError"
    assert (await client.get("/api/flows", headers=stranger)).json()["meta"]["total"] == 0
    assert (await client.get(f"/api/flows/{fid}", headers=headers)).status_code == 200


async def test_an_invalid_graph_is_refused_with_findings_and_nothing_is_saved(
    client: Client, headers: dict[str, str]
) -> None:
    nodes = nodes_array()
    nodes[0]["outputs"]["onBusy"] = "nowhere"
    nodes[1]["type"] = "speak"

    response = await client.post(
        "/api/flows", json=flow_body(graph={"startNodeId": "dial-1", "nodes": nodes}), headers=headers
    )

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert set(body["fieldErrors"]) == {"graph.nodes.dial-1.outputs.onBusy", "graph.nodes.menu.type"}
    assert {(f["code"], f["nodeId"], f["severity"]) for f in body["findings"]} == {
        ("OUTPUT_TARGET_NOT_FOUND", "dial-1", "error"),
        ("UNKNOWN_NODE_TYPE", "menu", "error"),
    }
    assert (await client.get("/api/flows", headers=headers)).json()["meta"]["total"] == 0


async def test_a_flow_without_a_start_node_is_refused_with_a_finding(client: Client, headers: dict[str, str]) -> None:
    response = await client.post("/api/flows", json={"name": "No start", "nodes": nodes_array()}, headers=headers)
    assert response.status_code == 400
    assert [f["code"] for f in response.json()["findings"]] == ["START_NODE_MISSING"]
    assert "graph.startNodeId" in response.json()["fieldErrors"]


async def test_a_flow_playing_a_missing_audio_is_refused_with_audio_not_found(
    client: Client, headers: dict[str, str]
) -> None:
    missing = str(uuid.uuid4())
    nodes = nodes_array()
    nodes.insert(1, {"id": "hello", "type": "play", "config": {"items": [{"type": "audioFile", "audioId": missing}]}})
    nodes[0]["outputs"]["onAnswer"] = "hello"
    nodes[1]["outputs"] = {"onComplete": "menu"}

    response = await client.post(
        "/api/flows", json=flow_body(graph={"startNodeId": "dial-1", "nodes": nodes}), headers=headers
    )

    assert response.status_code == 400
    [finding] = response.json()["findings"]
    assert finding == {
        "severity": "error",
        "nodeId": "hello",
        "field": "graph.nodes.hello.config.items[0].audioId",
        "code": "AUDIO_NOT_FOUND",
        "message": finding["message"],
    }


async def test_validate_answers_findings_without_saving(client: Client, headers: dict[str, str]) -> None:
    nodes = nodes_array()
    nodes[1]["outputs"]["branches"]["3"] = "ghost"
    nodes[2]["outputs"] = {"onAnswer": "bye"}

    bad = await client.post(
        "/api/flows/validate", json={"graph": {"startNodeId": "dial-1", "nodes": nodes}}, headers=headers
    )
    good = await client.post("/api/flows/validate", json=flow_body(), headers=headers)

    assert bad.status_code == 200
    assert bad.json()["valid"] is False
    assert {(f["code"], f["severity"]) for f in bad.json()["findings"]} == {
        ("OUTPUT_TARGET_NOT_FOUND", "error"),
        ("UNKNOWN_OUTPUT", "warning"),
    }
    assert good.status_code == 200
    assert good.json() == {"valid": True, "findings": []}
    assert (await client.get("/api/flows", headers=headers)).json()["meta"]["total"] == 0


async def test_the_flow_list_pages_searches_and_sorts(client: Client, headers: dict[str, str]) -> None:
    for name in ("Charlie", "Alpha", "Bravo"):
        await create_flow(client, headers, flow_body(name=name))
    await create_flow(client, headers, flow_body(name="Zulu", description="an overdue notice"))

    page = (
        await client.get("/api/flows", params={"sortBy": "name", "sortOrder": "asc", "limit": 2}, headers=headers)
    ).json()
    assert [f["name"] for f in page["data"]] == ["Alpha", "Bravo"]
    assert page["meta"] == {
        "page": 1,
        "limit": 2,
        "total": 4,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    found = (await client.get("/api/flows", params={"search": "OVERDUE"}, headers=headers)).json()
    assert [f["name"] for f in found["data"]] == ["Zulu"]
    newest_first = (await client.get("/api/flows", headers=headers)).json()
    assert newest_first["data"][0]["name"] == "Zulu"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "no name", "graph": {"startNodeId": "a", "nodes": []}}, "name"),
        ({"name": "", "graph": {}}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
        ({"name": "ok", "graph": {"startNodeId": "a", "nodes": [], "edges": []}}, "graph.edges"),
        ({"name": "ok", "channelType": "sms"}, "channelType"),
        ({"name": "ok", "status": "live"}, "status"),
    ],
)
async def test_bad_flow_bodies_are_refused_naming_the_field(
    client: Client, headers: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/flows", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"
    assert field in response.json()["fieldErrors"]


async def test_the_channel_type_cannot_change_after_creation(client: Client, headers: dict[str, str]) -> None:
    fid = (await create_flow(client, headers))["id"]
    response = await client.put(f"/api/flows/{fid}", json={"channelType": "agnostic"}, headers=headers)
    assert response.status_code == 400
    assert "channelType" in response.json()["fieldErrors"]


async def test_flow_ids_in_paths_must_be_uuids(client: Client, headers: dict[str, str]) -> None:
    for response in (
        await client.get("/api/flows/not-a-uuid", headers=headers),
        await client.put("/api/flows/42", json={"name": "x"}, headers=headers),
        await client.delete("/api/flows/abc", headers=headers),
    ):
        assert response.status_code == 400
        assert "id" in response.json()["fieldErrors"]


async def test_a_request_without_the_gateways_org_header_is_unauthorized(client: Client) -> None:
    response = await client.get("/api/flows")
    assert response.status_code == 401
