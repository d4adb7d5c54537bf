"""Live audiences: membership follows the rules as contacts change."""

from __future__ import annotations

from typing import Any

import pytest

from callcast_contracts.envelope import decode
from callcast_contracts.events.contacts import AudienceMembersAdded, AudienceMembersRemoved

pytestmark = pytest.mark.integration

IN_CASABLANCA = {"operator": "AND", "conditions": [{"field": "city", "operator": "equals", "value": "Casablanca"}]}


async def contact(client: Any, headers: dict[str, str], phone: str, **fields: Any) -> str:
    response = await client.post("/api/contact", json={"primaryPhone": phone, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_a_live_audience_starts_with_the_contacts_its_rules_match(client, headers) -> None:
    casa = await contact(client, headers, "+212600000001", city="Casablanca")
    await contact(client, headers, "+212600000002", city="Fes")

    response = await client.post(
        "/api/audience", json={"name": "Casa", "type": "live", "rules": IN_CASABLANCA}, headers=headers
    )

    assert response.status_code == 201, response.text
    audience = response.json()
    assert (audience["type"], audience["contactCount"], audience["rules"]) == ("live", 1, IN_CASABLANCA)
    members = (await client.get(f"/api/audience/{audience['id']}/contacts", headers=headers)).json()
    assert [c["id"] for c in members["data"]] == [casa]


async def test_contacts_join_and_leave_a_live_audience_as_they_change(client, headers, org_id, messages_on) -> None:
    audience = (
        await client.post(
            "/api/audience", json={"name": "Casa", "type": "live", "rules": IN_CASABLANCA}, headers=headers
        )
    ).json()
    subject = f"contacts.{org_id}.audience.{audience['id']}"

    joined = await contact(client, headers, "+212600000003", city="Casablanca")
    await client.put(f"/api/contact/{joined}", json={"city": "Rabat"}, headers=headers)
    await client.post(
        "/api/contact/upsert", json={"data": [{"primaryPhone": "+212600000004", "city": "Casablanca"}]}, headers=headers
    )

    events = [decode(m.data).data for m in await messages_on(subject, expect=4)]
    assert isinstance(events[1], AudienceMembersAdded)
    assert events[1].contact_ids == [joined]
    assert isinstance(events[2], AudienceMembersRemoved)
    assert events[2].contact_ids == [joined]
    assert isinstance(events[3], AudienceMembersAdded)
    assert len(events[3].contact_ids) == 1
    assert (await client.get(f"/api/audience/{audience['id']}", headers=headers)).json()["contactCount"] == 1


async def test_changing_the_rules_recomputes_membership(client, headers) -> None:
    await client.post("/api/custom-attributes", json={"displayName": "Balance", "type": "number"}, headers=headers)
    rich = await contact(client, headers, "+212600000005", city="Fes", customAttributes={"balance": 5000})
    await contact(client, headers, "+212600000006", city="Casablanca", customAttributes={"balance": 10})
    audience = (
        await client.post(
            "/api/audience", json={"name": "Casa", "type": "live", "rules": IN_CASABLANCA}, headers=headers
        )
    ).json()

    rules = {"operator": "AND", "conditions": [{"field": "customAttributes.balance", "operator": "gte", "value": 1000}]}
    response = await client.put(f"/api/audience/{audience['id']}", json={"rules": rules}, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["contactCount"] == 1
    members = (await client.get(f"/api/audience/{audience['id']}/contacts", headers=headers)).json()
    assert [c["id"] for c in members["data"]] == [rich]


async def test_preview_counts_matches_without_saving(client, headers) -> None:
    await contact(client, headers, "+212600000007", city="Casablanca")
    await contact(client, headers, "+212600000008", city="casablanca")

    response = await client.post("/api/audience/preview", json={"rules": IN_CASABLANCA}, headers=headers)

    assert response.status_code == 200
    assert response.json() == {"contactCount": 2}
    assert (await client.get("/api/audience", headers=headers)).json()["meta"]["total"] == 0


async def test_members_of_a_live_audience_cannot_be_added_by_hand(client, headers) -> None:
    someone = await contact(client, headers, "+212600000009")
    audience = (
        await client.post(
            "/api/audience", json={"name": "Casa", "type": "live", "rules": IN_CASABLANCA}, headers=headers
        )
    ).json()

    response = await client.post(
        f"/api/audience/{audience['id']}/add-contacts", json={"contacts": [someone]}, headers=headers
    )

    assert response.status_code == 400
    assert response.json()["code"] == "AudienceNotStaticError"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Casa", "type": "live"}, "rules"),
        (
            {"name": "Casa", "type": "live", "rules": {"operator": "AND", "conditions": [{"field": "age"}]}},
            "rules.conditions[0].field",
        ),
    ],
)
async def test_a_live_audience_needs_valid_rules(client, headers, body: dict[str, Any], field: str) -> None:
    response = await client.post("/api/audience", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert field in response.json()["fieldErrors"]
