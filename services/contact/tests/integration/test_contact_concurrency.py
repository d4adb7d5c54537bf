"""Concurrent writers: one phone gives one contact, and a refused change publishes nothing."""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.integration

PHONE = "+212612345678"


async def test_concurrent_creates_of_one_phone_make_exactly_one_contact_and_one_event(
    client, headers, org_id, messages_on
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/api/contact", json={"primaryPhone": PHONE, "firstName": f"Writer{i}"}, headers=headers)
            for i in range(8)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7
    assert len(await messages_on(f"contacts.{org_id}.contact.*", expect=1)) == 1


async def test_concurrent_upserts_of_the_same_phones_neither_deadlock_nor_duplicate(client, headers) -> None:
    phones = [f"+21261{i:07d}" for i in range(200)]
    forward = {"data": [{"primaryPhone": p, "city": "Fes"} for p in phones]}
    backward = {"data": [{"primaryPhone": p, "city": "Rabat"} for p in reversed(phones)]}

    results = await asyncio.gather(
        client.post("/api/contact/upsert", json=forward, headers=headers),
        client.post("/api/contact/upsert", json=backward, headers=headers),
    )

    assert [r.status_code for r in results] == [200, 200]
    created = sum(r.json()["created"] for r in results)
    assert created == 200
    listed = (await client.get("/api/contact?limit=1", headers=headers)).json()
    assert listed["meta"]["total"] == 200


async def test_a_refused_change_publishes_nothing(client, headers, org_id, messages_on) -> None:
    first = (await client.post("/api/contact", json={"primaryPhone": PHONE}, headers=headers)).json()
    other = (await client.post("/api/contact", json={"primaryPhone": "+212600000001"}, headers=headers)).json()

    refused = await client.put(
        f"/api/contact/{other['id']}", json={"primaryPhone": PHONE, "firstName": "Ghost"}, headers=headers
    )

    assert refused.status_code == 409
    messages = await messages_on(f"contacts.{org_id}.contact.*", expect=2)
    assert sorted(m.subject for m in messages) == sorted(f"contacts.{org_id}.contact.{c['id']}" for c in (first, other))
    contact = (await client.get(f"/api/contact/{other['id']}", headers=headers)).json()
    assert contact["firstName"] is None


async def test_an_organization_header_that_is_not_a_uuid_is_unauthorized(client) -> None:
    response = await client.get("/api/contact", headers={"X-Callcast-Org-Id": "acme"})
    assert response.status_code == 401
