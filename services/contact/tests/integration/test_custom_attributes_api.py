"""``/api/custom-attributes``: definitions, their slug names and their events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from callcast_contracts.envelope import decode
from callcast_contracts.events.contacts import CustomAttributeDeleted, CustomAttributeSaved

pytestmark = pytest.mark.integration


async def define(client: Any, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/custom-attributes", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_defining_an_attribute_derives_its_name_and_publishes_it(client, headers, org_id, messages_on) -> None:
    attribute = await define(client, headers, displayName="Customer Tier", type="text", description="Loyalty level")

    assert attribute["name"] == "customer_tier"
    assert (attribute["displayName"], attribute["type"], attribute["description"]) == (
        "Customer Tier",
        "text",
        "Loyalty level",
    )
    assert attribute["organizationId"] == org_id
    assert attribute["deletedAt"] is None
    [message] = await messages_on(f"contacts.{org_id}.attribute.{attribute['id']}", expect=1)
    event = decode(message.data).data
    assert isinstance(event, CustomAttributeSaved)
    assert (event.name, event.attribute_type) == ("customer_tier", "text")


async def test_a_second_attribute_with_the_same_name_answers_409(client, headers) -> None:
    await define(client, headers, displayName="Customer Tier", type="text")

    response = await client.post(
        "/api/custom-attributes", json={"displayName": "customer-tier", "type": "number"}, headers=headers
    )

    assert response.status_code == 409
    assert response.json()["code"] == "CustomAttributeAlreadyExistsError"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"displayName": "Tier", "type": "colour"}, "type"),
        ({"displayName": "Ti", "type": "text"}, "displayName"),
        ({"type": "text"}, "displayName"),
        ({"displayName": "Tier", "type": "text", "description": ""}, "description"),
        ({"displayName": "Tier", "type": "text", "name": "tier"}, "name"),
        ({"displayName": "!!!", "type": "text"}, "displayName"),
    ],
)
async def test_invalid_definitions_answer_400_naming_the_field(
    client, headers, body: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/custom-attributes", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["fieldErrors"]


async def test_only_the_description_can_change(client, headers) -> None:
    attribute = await define(client, headers, displayName="Balance", type="number")
    path = f"/api/custom-attributes/{attribute['id']}"

    renamed = await client.put(path, json={"displayName": "Solde"}, headers=headers)
    described = await client.put(path, json={"description": "In MAD"}, headers=headers)

    assert renamed.status_code == 400
    assert described.status_code == 200
    assert described.json()["description"] == "In MAD"
    assert (await client.get(path, headers=headers)).json()["description"] == "In MAD"


async def test_deleting_an_attribute_refuses_new_values_and_frees_the_name(
    client, headers, org_id, messages_on
) -> None:
    attribute = await define(client, headers, displayName="Balance", type="number")

    response = await client.delete(f"/api/custom-attributes/{attribute['id']}", headers=headers)

    assert response.status_code == 200
    assert (await client.get(f"/api/custom-attributes/{attribute['id']}", headers=headers)).status_code == 404
    created = await client.post(
        "/api/contact", json={"primaryPhone": "+212612345678", "customAttributes": {"balance": 1}}, headers=headers
    )
    assert created.json()["attributeErrors"][0]["code"] == "unknownAttribute"
    messages = await messages_on(f"contacts.{org_id}.attribute.{attribute['id']}", expect=2)
    assert isinstance(decode(messages[-1].data).data, CustomAttributeDeleted)
    await define(client, headers, displayName="Balance", type="text")


async def test_the_list_is_paged_and_searchable(client, headers) -> None:
    for name in ("Alpha one", "Beta two", "Gamma three"):
        await define(client, headers, displayName=name, type="text")

    page = (await client.get("/api/custom-attributes?limit=2&sortBy=name&sortOrder=asc", headers=headers)).json()
    found = (await client.get("/api/custom-attributes?search=beta", headers=headers)).json()

    assert [a["name"] for a in page["data"]] == ["alpha_one", "beta_two"]
    assert page["meta"]["total"] == 3
    assert page["meta"]["totalPages"] == 2
    assert [a["name"] for a in found["data"]] == ["beta_two"]


async def test_another_organizations_attribute_is_not_found(client, headers) -> None:
    attribute = await define(client, headers, displayName="Balance", type="number")
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}

    assert (await client.get(f"/api/custom-attributes/{attribute['id']}", headers=stranger)).status_code == 404
    assert (await client.delete(f"/api/custom-attributes/{attribute['id']}", headers=stranger)).status_code == 404
