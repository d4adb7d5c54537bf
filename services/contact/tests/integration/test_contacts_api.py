"""``/api/contact``: create, read, update, delete, list — and the events each change publishes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from callcast_contracts.envelope import decode
from callcast_contracts.events.contacts import ContactDeleted, ContactSaved

pytestmark = pytest.mark.integration

PHONE = "+212612345678"


def contact_subject(org_id: str, contact_id: str) -> str:
    return f"contacts.{org_id}.contact.{contact_id}"


async def create(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/contact", json={"primaryPhone": PHONE, **body}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_creating_a_contact_answers_201_and_publishes_one_contact_saved(
    client, headers, org_id, messages_on
) -> None:
    response = await client.post(
        "/api/contact",
        json={"primaryPhone": PHONE, "firstName": "Amina", "lastName": "Bennani", "city": "Casablanca"},
        headers=headers,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["contact"]["id"] == body["id"]
    assert body["attributeErrors"] == []
    assert body["organizationId"] == org_id
    assert (body["primaryPhone"], body["firstName"], body["city"]) == (PHONE, "Amina", "Casablanca")
    assert body["createdAt"].endswith("Z")
    assert body["deletedAt"] is None

    [message] = await messages_on(contact_subject(org_id, body["id"]), expect=1)
    assert message.headers is not None
    assert message.headers["Nats-Msg-Id"] == f"contact-{body['id']}-saved-1"
    assert message.headers["Callcast-Event-Type"] == "ContactSaved"
    env = decode(message.data)
    assert isinstance(env.data, ContactSaved)
    assert env.org_id == org_id
    assert env.data.contact.primary_phone == PHONE
    assert (env.data.contact.first_name, env.data.contact.revision) == ("Amina", 1)


async def test_a_duplicate_phone_answers_409_contact_already_exists(client, headers) -> None:
    first = await create(client, headers)

    response = await client.post("/api/contact", json={"primaryPhone": PHONE, "firstName": "Other"}, headers=headers)

    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "ContactAlreadyExistsError"
    assert body["statusCode"] == 409
    assert body["error"] == "CONFLICT"
    assert body["path"] == "/api/contact"
    assert "primaryPhone" in body["fieldErrors"]
    assert first["id"] in body["message"]


async def test_the_same_phone_in_another_organization_is_no_duplicate(client, headers) -> None:
    await create(client, headers)
    await create(client, {"X-Callcast-Org-Id": str(uuid.uuid4())})


@pytest.mark.parametrize("phone", ["06-12-34-56-78", "0612345678"])
async def test_a_phone_that_is_not_e164_answers_400_naming_primary_phone(client, headers, phone: str) -> None:
    response = await client.post("/api/contact", json={"primaryPhone": phone}, headers=headers)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert list(body["fieldErrors"]) == ["primaryPhone"]
    assert "E.164" in body["fieldErrors"]["primaryPhone"][0]


async def test_an_unknown_body_field_answers_400_naming_it(client, headers) -> None:
    response = await client.post("/api/contact", json={"primaryPhone": PHONE, "nickname": "Ami"}, headers=headers)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert list(body["fieldErrors"]) == ["nickname"]


async def test_a_field_too_short_answers_400_with_its_limit(client, headers) -> None:
    response = await client.post("/api/contact", json={"primaryPhone": PHONE, "firstName": "A"}, headers=headers)

    assert response.status_code == 400
    assert response.json()["fieldDetails"]["firstName"] == [{"code": "minLength", "params": {"min": 2}}]


async def test_without_an_organization_the_request_is_unauthorized(client) -> None:
    response = await client.get("/api/contact")
    assert response.status_code == 401


async def test_another_organizations_contact_is_not_found(client, headers) -> None:
    contact = await create(client, headers)
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}

    for method, extra in (("GET", {}), ("PUT", {"json": {"firstName": "Eve"}}), ("DELETE", {})):
        response = await client.request(method, f"/api/contact/{contact['id']}", headers=stranger, **extra)
        assert response.status_code == 404, method
        assert response.json()["code"] == "ContactNotFoundError"


async def test_a_path_id_that_is_not_a_uuid_answers_400(client, headers) -> None:
    response = await client.get("/api/contact/not-a-uuid", headers=headers)
    assert response.status_code == 400
    assert list(response.json()["fieldErrors"]) == ["id"]


async def test_reading_a_contact_returns_every_field(client, headers) -> None:
    created = await create(
        client,
        headers,
        firstName="Amina",
        primaryEmail="amina@example.ma",
        gender="female",
        channels=["phone"],
        preferredChannel="phone",
    )

    response = await client.get(f"/api/contact/{created['id']}", headers=headers)

    assert response.status_code == 200
    body = response.json()
    assert body == created["contact"]
    assert (body["gender"], body["channels"], body["customAttributes"]) == ("female", ["phone"], {})


async def test_an_update_changes_the_given_fields_and_publishes_the_next_revision(
    client, headers, org_id, messages_on
) -> None:
    created = await create(client, headers, firstName="Amina", city="Fes")

    response = await client.put(
        f"/api/contact/{created['id']}", json={"lastName": "Bennani", "city": None}, headers=headers
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["firstName"], body["lastName"], body["city"]) == ("Amina", "Bennani", None)
    assert body["attributeErrors"] == []
    messages = await messages_on(contact_subject(org_id, created["id"]), expect=2)
    assert [m.headers["Nats-Msg-Id"] for m in messages if m.headers] == [
        f"contact-{created['id']}-saved-1",
        f"contact-{created['id']}-saved-2",
    ]
    saved = decode(messages[1].data).data
    assert isinstance(saved, ContactSaved)
    assert (saved.contact.last_name, saved.contact.city, saved.contact.revision) == ("Bennani", None, 2)


async def test_an_update_that_changes_nothing_publishes_nothing(client, headers, org_id, messages_on) -> None:
    created = await create(client, headers, firstName="Amina")

    response = await client.put(f"/api/contact/{created['id']}", json={"firstName": "Amina"}, headers=headers)

    assert response.status_code == 200
    assert len(await messages_on(contact_subject(org_id, created["id"]), expect=1)) == 1


async def test_updating_to_a_phone_another_contact_has_answers_409(client, headers) -> None:
    await create(client, headers)
    other = await create(client, headers, primaryPhone="+212600000001")

    response = await client.put(f"/api/contact/{other['id']}", json={"primaryPhone": PHONE}, headers=headers)

    assert response.status_code == 409
    assert response.json()["code"] == "ContactAlreadyExistsError"


async def test_deleting_a_contact_hides_it_frees_its_phone_and_publishes_contact_deleted(
    client, headers, org_id, messages_on
) -> None:
    created = await create(client, headers)

    response = await client.delete(f"/api/contact/{created['id']}", headers=headers)

    assert response.status_code == 200
    assert created["id"] in response.json()["message"]
    assert (await client.get(f"/api/contact/{created['id']}", headers=headers)).status_code == 404
    assert (await client.delete(f"/api/contact/{created['id']}", headers=headers)).status_code == 404
    listed = (await client.get("/api/contact", headers=headers)).json()
    assert listed["meta"]["total"] == 0
    messages = await messages_on(contact_subject(org_id, created["id"]), expect=2)
    deleted = decode(messages[-1].data).data
    assert isinstance(deleted, ContactDeleted)
    assert (deleted.contact_id, deleted.revision) == (created["id"], 2)
    assert messages[-1].headers
    assert messages[-1].headers["Nats-Msg-Id"] == f"contact-{created['id']}-deleted"
    await create(client, headers)  # the phone is free again


async def test_the_list_is_paged_with_correct_meta(client, headers) -> None:
    for i in range(25):
        await create(client, headers, primaryPhone=f"+2126000000{i:02d}", firstName=f"Name{i:02d}")

    first = (await client.get("/api/contact", headers=headers)).json()
    last = (await client.get("/api/contact?page=3&limit=10", headers=headers)).json()
    beyond = (await client.get("/api/contact?page=9&limit=10", headers=headers)).json()

    assert len(first["data"]) == 20
    assert first["meta"] == {
        "page": 1,
        "limit": 20,
        "total": 25,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    assert len(last["data"]) == 5
    assert last["meta"] == {
        "page": 3,
        "limit": 10,
        "total": 25,
        "totalPages": 3,
        "hasNextPage": False,
        "hasPreviousPage": True,
    }
    assert beyond["data"] == []
    assert beyond["meta"]["total"] == 25


async def test_the_list_searches_and_sorts(client, headers) -> None:
    await create(client, headers, primaryPhone="+212600000001", firstName="Amina", lastName="Zaki")
    await create(client, headers, primaryPhone="+212600000002", firstName="Karim", lastName="Alaoui")
    await create(client, headers, primaryPhone="+212600000003", firstName="Salma", primaryEmail="salma@amin.ma")

    found = (await client.get("/api/contact?search=AMIN&sortBy=firstName&sortOrder=asc", headers=headers)).json()
    by_last = (await client.get("/api/contact?sortBy=lastName&sortOrder=asc", headers=headers)).json()
    by_phone = (await client.get("/api/contact?search=%2B212600000002", headers=headers)).json()
    literal = (await client.get("/api/contact?search=%25", headers=headers)).json()

    assert [c["firstName"] for c in found["data"]] == ["Amina", "Salma"]
    assert [c["lastName"] for c in by_last["data"]] == ["Alaoui", "Zaki", None]
    assert [c["firstName"] for c in by_phone["data"]] == ["Karim"]
    assert literal["data"] == []


@pytest.mark.parametrize(
    "query",
    ["page=0", "limit=101", "limit=abc", "sortBy=city", "sortOrder=up", "include=notes", "search=" + "x" * 101],
)
async def test_bad_list_parameters_answer_400(client, headers, query: str) -> None:
    response = await client.get(f"/api/contact?{query}", headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "VALIDATION_FAILED"


async def test_the_list_shows_custom_attributes_only_when_asked(client, headers) -> None:
    await client.post("/api/custom-attributes", json={"displayName": "Customer Tier", "type": "text"}, headers=headers)
    await create(client, headers, customAttributes={"customer_tier": "gold"})

    plain = (await client.get("/api/contact", headers=headers)).json()["data"][0]
    included = (await client.get("/api/contact?include=customAttributes", headers=headers)).json()["data"][0]

    assert "customAttributes" not in plain
    assert included["customAttributes"] == {"customer_tier": "gold"}


async def test_custom_attribute_values_are_typed_and_bad_ones_reported(client, headers, org_id, messages_on) -> None:
    for name, kind in (("Balance", "number"), ("VIP", "boolean"), ("Due date", "date")):
        response = await client.post(
            "/api/custom-attributes", json={"displayName": name, "type": kind}, headers=headers
        )
        assert response.status_code == 201

    created = await create(
        client,
        headers,
        customAttributes={"balance": "1500.5", "vip": "true", "due_date": "tomorrow", "shoe_size": 42},
    )

    assert created["customAttributes"] == {"balance": 1500.5, "vip": True}
    assert {(e["name"], e["code"]) for e in created["attributeErrors"]} == {
        ("due_date", "invalidValue"),
        ("shoe_size", "unknownAttribute"),
    }
    [message] = await messages_on(contact_subject(org_id, created["id"]), expect=1)
    saved = decode(message.data).data
    assert isinstance(saved, ContactSaved)
    assert saved.contact.custom_attributes == {"balance": 1500.5, "vip": True}

    updated = await client.put(
        f"/api/contact/{created['id']}",
        json={"customAttributes": {"vip": None, "due_date": "2025-12-20"}},
        headers=headers,
    )
    assert updated.json()["customAttributes"] == {"balance": 1500.5, "due_date": "2025-12-20"}
