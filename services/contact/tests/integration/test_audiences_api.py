"""``/api/audience``: static audiences, their members and their events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from callcast_contracts.envelope import decode
from callcast_contracts.events.contacts import (
    AudienceCreated,
    AudienceDeleted,
    AudienceMembersAdded,
    AudienceMembersRemoved,
    AudienceUpdated,
)

pytestmark = pytest.mark.integration


def audience_subject(org_id: str, audience_id: str) -> str:
    return f"contacts.{org_id}.audience.{audience_id}"


async def new_audience(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/audience", json={"name": "Clients", **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def new_contacts(client: Any, headers: dict[str, str], count: int, start: int = 0) -> list[str]:
    ids = []
    for i in range(start, start + count):
        response = await client.post(
            "/api/contact", json={"primaryPhone": f"+2126100000{i:02d}", "firstName": f"Name{i:02d}"}, headers=headers
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


async def test_creating_an_audience_answers_201_empty_static_and_publishes_it(
    client, headers, org_id, messages_on
) -> None:
    audience = await new_audience(client, headers, description="Our best clients")

    assert (audience["name"], audience["description"], audience["type"]) == ("Clients", "Our best clients", "static")
    assert audience["contactCount"] == 0
    assert audience["rules"] is None
    [message] = await messages_on(audience_subject(org_id, audience["id"]), expect=1)
    event = decode(message.data).data
    assert isinstance(event, AudienceCreated)
    assert (event.name, event.audience_type) == ("Clients", "static")
    assert message.headers
    assert message.headers["Nats-Msg-Id"] == f"audience-{audience['id']}-created"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "ab"}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"name": "Clients", "description": "x" * 257}, "description"),
        ({"name": "Clients", "type": "dynamic"}, "type"),
        ({"name": "Clients", "owner": "me"}, "owner"),
        ({"name": "Clients", "rules": {"operator": "AND", "conditions": []}}, "rules"),
    ],
)
async def test_invalid_audiences_answer_400_naming_the_field(client, headers, body: dict[str, Any], field: str) -> None:
    response = await client.post("/api/audience", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["fieldErrors"]


async def test_adding_contacts_publishes_members_added_and_is_idempotent(client, headers, org_id, messages_on) -> None:
    audience = await new_audience(client, headers)
    contacts = await new_contacts(client, headers, 3)
    path = f"/api/audience/{audience['id']}/add-contacts"

    first = await client.post(path, json={"contacts": contacts[:2]}, headers=headers)
    again = await client.post(path, json={"contacts": contacts}, headers=headers)

    assert first.status_code == 200, first.text
    assert first.json() == {
        "audienceId": audience["id"],
        "requested": 2,
        "added": 2,
        "alreadyMembers": 0,
        "contactCount": 2,
    }
    assert (again.json()["added"], again.json()["alreadyMembers"], again.json()["contactCount"]) == (1, 2, 3)
    messages = await messages_on(audience_subject(org_id, audience["id"]), expect=3)
    events = [decode(m.data).data for m in messages]
    assert isinstance(events[1], AudienceMembersAdded)
    assert isinstance(events[2], AudienceMembersAdded)
    assert sorted(events[1].contact_ids) == sorted(contacts[:2])
    assert events[2].contact_ids == [contacts[2]]
    assert [m.headers["Nats-Msg-Id"] for m in messages[1:] if m.headers] == [
        f"audience-{audience['id']}-members-added-2",
        f"audience-{audience['id']}-members-added-3",
    ]

    # Adding only existing members changes nothing and publishes nothing.
    third = await client.post(path, json={"contacts": contacts[:1]}, headers=headers)
    assert third.json()["added"] == 0
    assert len(await messages_on(audience_subject(org_id, audience["id"]), expect=3)) == 3


async def test_adding_an_id_that_is_not_a_contact_of_the_org_answers_400_naming_it(client, headers) -> None:
    audience = await new_audience(client, headers)
    [mine] = await new_contacts(client, headers, 1)
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}
    [theirs] = await new_contacts(client, stranger, 1)
    path = f"/api/audience/{audience['id']}/add-contacts"

    foreign = await client.post(path, json={"contacts": [mine, theirs]}, headers=headers)
    malformed = await client.post(path, json={"contacts": ["nope", mine]}, headers=headers)
    empty = await client.post(path, json={"contacts": []}, headers=headers)

    assert foreign.status_code == 400
    assert list(foreign.json()["fieldErrors"]) == ["contacts[1]"]
    assert malformed.status_code == 400
    assert list(malformed.json()["fieldErrors"]) == ["contacts[0]"]
    assert empty.status_code == 400
    assert (await client.get(f"/api/audience/{audience['id']}", headers=headers)).json()["contactCount"] == 0


async def test_removing_contacts_publishes_members_removed(client, headers, org_id, messages_on) -> None:
    audience = await new_audience(client, headers)
    contacts = await new_contacts(client, headers, 3)
    await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": contacts}, headers=headers)

    response = await client.post(
        f"/api/audience/{audience['id']}/remove-contacts", json={"contacts": contacts[:2]}, headers=headers
    )

    assert response.status_code == 200
    assert response.json() == {
        "audienceId": audience["id"],
        "requested": 2,
        "removed": 2,
        "notMembers": 0,
        "contactCount": 1,
    }
    messages = await messages_on(audience_subject(org_id, audience["id"]), expect=3)
    removed = decode(messages[-1].data).data
    assert isinstance(removed, AudienceMembersRemoved)
    assert sorted(removed.contact_ids) == sorted(contacts[:2])
    exited = (await client.get(f"/api/audience/{audience['id']}/contacts?membership=exited", headers=headers)).json()
    assert sorted(c["id"] for c in exited["data"]) == sorted(contacts[:2])


async def test_members_are_listed_paged_like_contacts(client, headers) -> None:
    audience = await new_audience(client, headers)
    contacts = await new_contacts(client, headers, 12)
    await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": contacts[:11]}, headers=headers)

    page = (
        await client.get(
            f"/api/audience/{audience['id']}/contacts?limit=5&page=3&sortBy=firstName&sortOrder=asc", headers=headers
        )
    ).json()
    found = (await client.get(f"/api/audience/{audience['id']}/contacts?search=name03", headers=headers)).json()

    assert [c["firstName"] for c in page["data"]] == ["Name10"]
    assert page["meta"] == {
        "page": 3,
        "limit": 5,
        "total": 11,
        "totalPages": 3,
        "hasNextPage": False,
        "hasPreviousPage": True,
    }
    assert [c["id"] for c in found["data"]] == [contacts[3]]


async def test_the_audience_list_is_paged_searchable_and_counts_members(client, headers) -> None:
    contacts = await new_contacts(client, headers, 2)
    audiences = [await new_audience(client, headers, name=f"Segment {i}", description=f"desc {i}") for i in range(3)]
    await client.post(f"/api/audience/{audiences[1]['id']}/add-contacts", json={"contacts": contacts}, headers=headers)

    page = (await client.get("/api/audience?sortBy=name&sortOrder=asc&limit=2", headers=headers)).json()
    found = (await client.get("/api/audience?search=DESC 1", headers=headers)).json()

    assert [(a["name"], a["contactCount"]) for a in page["data"]] == [("Segment 0", 0), ("Segment 1", 2)]
    assert page["meta"]["total"] == 3
    assert page["meta"]["hasNextPage"] is True
    assert [a["name"] for a in found["data"]] == ["Segment 1"]


async def test_updating_an_audience_renames_it_and_publishes_audience_updated(
    client, headers, org_id, messages_on
) -> None:
    audience = await new_audience(client, headers)

    response = await client.put(
        f"/api/audience/{audience['id']}", json={"name": "VIP clients", "description": None}, headers=headers
    )
    refused = await client.put(f"/api/audience/{audience['id']}", json={"type": "live"}, headers=headers)

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["description"]) == ("VIP clients", None)
    assert refused.status_code == 400
    messages = await messages_on(audience_subject(org_id, audience["id"]), expect=2)
    updated = decode(messages[-1].data).data
    assert isinstance(updated, AudienceUpdated)
    assert updated.name == "VIP clients"


async def test_deleting_a_contact_removes_it_from_its_audiences(client, headers, org_id, messages_on) -> None:
    audience = await new_audience(client, headers)
    contacts = await new_contacts(client, headers, 2)
    await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": contacts}, headers=headers)

    await client.delete(f"/api/contact/{contacts[0]}", headers=headers)

    assert (await client.get(f"/api/audience/{audience['id']}", headers=headers)).json()["contactCount"] == 1
    messages = await messages_on(audience_subject(org_id, audience["id"]), expect=3)
    removed = decode(messages[-1].data).data
    assert isinstance(removed, AudienceMembersRemoved)
    assert removed.contact_ids == [contacts[0]]


async def test_deleting_an_audience_keeps_its_contacts(client, headers, org_id, messages_on) -> None:
    audience = await new_audience(client, headers)
    contacts = await new_contacts(client, headers, 1)
    await client.post(f"/api/audience/{audience['id']}/add-contacts", json={"contacts": contacts}, headers=headers)

    response = await client.delete(f"/api/audience/{audience['id']}", headers=headers)

    assert response.status_code == 200
    assert (await client.get(f"/api/audience/{audience['id']}", headers=headers)).status_code == 404
    assert (await client.get(f"/api/contact/{contacts[0]}", headers=headers)).status_code == 200
    messages = await messages_on(audience_subject(org_id, audience["id"]), expect=3)
    assert isinstance(decode(messages[-1].data).data, AudienceDeleted)


async def test_another_organizations_audience_is_not_found(client, headers) -> None:
    audience = await new_audience(client, headers)
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}
    [theirs] = await new_contacts(client, stranger, 1)
    base = f"/api/audience/{audience['id']}"

    assert (await client.get(base, headers=stranger)).status_code == 404
    assert (await client.put(base, json={"name": "Mine now"}, headers=stranger)).status_code == 404
    assert (await client.get(f"{base}/contacts", headers=stranger)).status_code == 404
    added = await client.post(f"{base}/add-contacts", json={"contacts": [theirs]}, headers=stranger)
    assert added.status_code == 404
    assert (await client.delete(base, headers=stranger)).status_code == 404
