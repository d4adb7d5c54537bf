"""``POST /api/contact/upsert``: bulk create-or-update matched on ``primaryPhone``."""

from __future__ import annotations

from typing import Any

import pytest

from callcast_contracts.envelope import decode
from callcast_contracts.events.contacts import ContactSaved

pytestmark = pytest.mark.integration


def phone(i: int) -> str:
    return f"+21260{i:07d}"


async def upsert(client: Any, headers: dict[str, str], items: list[dict[str, Any]]) -> dict[str, Any]:
    response = await client.post("/api/contact/upsert", json={"data": items}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_upserting_1000_contacts_creates_then_updates_them_with_one_event_per_change(
    client, headers, org_id, messages_on
) -> None:
    items = [{"primaryPhone": phone(i), "firstName": f"Name{i}", "city": "Fes"} for i in range(1000)]

    first = await upsert(client, headers, items)

    assert (first["created"], first["updated"], first["unchanged"]) == (1000, 0, 0)
    assert first["failed"] == []
    assert first["attributeErrors"] == []
    assert [r["index"] for r in first["results"]] == list(range(1000))
    assert {r["status"] for r in first["results"]} == {"created"}
    listed = (await client.get("/api/contact?limit=1", headers=headers)).json()
    assert listed["meta"]["total"] == 1000
    created_events = await messages_on(f"contacts.{org_id}.contact.*", expect=1000, timeout=30)
    assert len(created_events) == 1000
    assert len({m.subject for m in created_events}) == 1000

    # Half of them change city; the other half are sent again unchanged.
    again = [{"primaryPhone": phone(i), "city": "Rabat" if i % 2 else "Fes"} for i in range(1000)]
    second = await upsert(client, headers, again)

    assert (second["created"], second["updated"], second["unchanged"]) == (0, 500, 500)
    assert [r["id"] for r in second["results"]] == [r["id"] for r in first["results"]]
    all_events = await messages_on(f"contacts.{org_id}.contact.*", expect=1500, timeout=30)
    assert len(all_events) == 1500
    updates = [decode(m.data).data for m in all_events[1000:]]
    assert all(isinstance(e, ContactSaved) and e.contact.revision == 2 for e in updates)
    assert {e.contact.city for e in updates if isinstance(e, ContactSaved)} == {"Rabat"}
    # An item that does not carry a field keeps the stored value.
    assert {e.contact.first_name for e in updates if isinstance(e, ContactSaved)} >= {"Name1", "Name999"}


async def test_bad_items_are_reported_and_the_others_applied(client, headers) -> None:
    summary = await upsert(
        client,
        headers,
        [
            {"primaryPhone": phone(1), "firstName": "Amina"},
            {"primaryPhone": "0612345678"},
            {"primaryPhone": phone(2), "nickname": "x"},
            {"firstName": "No phone"},
            {"primaryPhone": phone(3), "customAttributes": {"unknown_attr": 1}},
        ],
    )

    assert (summary["created"], summary["updated"]) == (2, 0)
    assert [(f["index"], list(f["fieldErrors"])) for f in summary["failed"]] == [
        (1, ["primaryPhone"]),
        (2, ["nickname"]),
        (3, ["primaryPhone"]),
    ]
    assert summary["attributeErrors"] == [
        {
            "index": 4,
            "name": "unknown_attr",
            "code": "unknownAttribute",
            "message": "unknown_attr is not a custom attribute of this organization",
        }
    ]
    assert [r["index"] for r in summary["results"]] == [0, 4]


async def test_a_phone_repeated_in_one_request_keeps_the_later_item(client, headers) -> None:
    summary = await upsert(
        client,
        headers,
        [{"primaryPhone": phone(1), "firstName": "First"}, {"primaryPhone": phone(1), "firstName": "Second"}],
    )

    assert summary["created"] == 1
    assert summary["failed"][0]["index"] == 0
    assert summary["failed"][0]["fieldDetails"]["primaryPhone"][0]["code"] == "duplicateInRequest"
    contact = (await client.get(f"/api/contact/{summary['results'][0]['id']}", headers=headers)).json()
    assert contact["firstName"] == "Second"


async def test_upsert_updates_a_contact_created_one_by_one_and_merges_attributes(client, headers) -> None:
    await client.post("/api/custom-attributes", json={"displayName": "Tier", "type": "text"}, headers=headers)
    await client.post("/api/custom-attributes", json={"displayName": "Balance", "type": "number"}, headers=headers)
    created = await client.post(
        "/api/contact",
        json={"primaryPhone": phone(5), "firstName": "Amina", "customAttributes": {"tier": "gold"}},
        headers=headers,
    )

    summary = await upsert(client, headers, [{"primaryPhone": phone(5), "customAttributes": {"balance": 10}}])

    assert summary["results"] == [{"index": 0, "id": created.json()["id"], "status": "updated"}]
    contact = (await client.get(f"/api/contact/{created.json()['id']}", headers=headers)).json()
    assert contact["firstName"] == "Amina"
    assert contact["customAttributes"] == {"tier": "gold", "balance": 10}


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": [{"primaryPhone": "+212600000001"}] * 1001},
        {"data": [{"primaryPhone": "+212600000001"}], "mode": "replace"},
        {"contacts": []},
        {"data": ["+212600000001"]},
    ],
)
async def test_a_malformed_upsert_body_answers_400(client, headers, body: dict[str, Any]) -> None:
    response = await client.post("/api/contact/upsert", json=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "VALIDATION_FAILED"
