"""GET /api/users/me: the user a key acts as, with its organization."""

from __future__ import annotations

import pytest
from gateway_support import GatewayUnderTest, ProvisionedOrg

pytestmark = pytest.mark.integration


async def test_current_user_answers_with_the_keys_user_and_organization(
    gateway: GatewayUnderTest, org: ProvisionedOrg
) -> None:
    response = await gateway.client.get("/api/users/me", headers=org.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": org.user_id,
        "email": f"owner@{org.slug}.invalid",
        "firstName": "Organization",
        "lastName": "Owner",
        "organization": {"id": org.id, "name": org.name, "slug": org.slug},
    }


async def test_each_key_sees_its_own_organization(
    gateway: GatewayUnderTest, org: ProvisionedOrg, other_org: ProvisionedOrg
) -> None:
    mine = (await gateway.client.get("/api/users/me", headers=org.headers)).json()
    theirs = (await gateway.client.get("/api/users/me", headers=other_org.headers)).json()
    assert mine["organization"]["id"] == org.id
    assert theirs["organization"]["id"] == other_org.id
