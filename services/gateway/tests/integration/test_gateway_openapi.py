"""The gateway's OpenAPI document: its own routes, documented; forwarded ones left to the services."""

from __future__ import annotations

import pytest
from gateway_support import GatewayUnderTest

pytestmark = pytest.mark.integration


async def test_openapi_documents_the_gateways_own_routes(gateway: GatewayUnderTest) -> None:
    response = await gateway.client.get("/schema/openapi.json")
    assert response.status_code == 200, response.text
    document = response.json()
    operations = {
        (path, method): op["operationId"] for path, item in document["paths"].items() for method, op in item.items()
    }
    assert operations == {
        ("/api/users/me", "get"): "getCurrentUser",
        ("/api/auth/api-keys", "get"): "listApiKeys",
        ("/api/auth/api-keys", "post"): "createApiKey",
        ("/api/auth/api-keys/{id}", "patch"): "updateApiKey",
        ("/api/auth/api-keys/{id}", "put"): "replaceApiKey",
        ("/api/auth/api-keys/{id}", "delete"): "deleteApiKey",
    }
    assert set(document["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert "union" in document["info"]["description"]
