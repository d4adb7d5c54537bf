"""The gateway's own resources: ``GET /users/me`` and ``/auth/api-keys`` (Gomobile API §1.1, §16)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from callcast_gateway import handlers
from callcast_gateway.domain.api_keys import Principal
from callcast_gateway.entrypoints.schemas import (
    ApiKeyResponse,
    ApiKeysListResponse,
    ApiKeyWithSecretResponse,
    CreateApiKeyRequest,
    CurrentUserResponse,
    MessageResponse,
    ProblemDocument,
    UpdateApiKeyRequest,
)
from callcast_gateway.gateway import Gateway
from callcast_runtime.api import parse_uuid, require_tz
from callcast_runtime.errors import PROBLEM_JSON, ValidationFailed


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDocument, description=description, media_type=PROBLEM_JSON, generate_examples=False
    )


UNAUTHORIZED = {401: _problem("The API key is missing, unknown, expired, disabled or revoked.")}
BAD_REQUEST = {400: _problem("Invalid body or path id (`VALIDATION_FAILED`, the field named).")}
NOT_FOUND = {404: _problem("No such key in the caller's organization (`ApiKeyNotFoundError`).")}


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValidationFailed.single("name", "name must not be blank", "isNotEmpty")
    return name


def _future(value: datetime, field: str) -> datetime:
    require_tz(value, field)
    if value <= datetime.now(UTC):
        raise ValidationFailed.single(field, f"{field} must be in the future", "minDate")
    return value


class UsersController(Controller):
    path = "/users"
    tags = ["Users"]

    @get("/me", operation_id="getCurrentUser", summary="Get the current user", responses=UNAUTHORIZED)
    async def me(self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]) -> CurrentUserResponse:
        """The user the API key acts as, with its organization (a cheap way to check a key)."""
        async with gateway.pool.connection() as conn:
            user, organization = await handlers.current_user(conn, principal)
        return CurrentUserResponse.of(user, organization)


class ApiKeysController(Controller):
    path = "/auth/api-keys"
    tags = ["API keys"]

    @post(
        "/",
        operation_id="createApiKey",
        summary="Create an API key",
        status_code=201,
        responses={**UNAUTHORIZED, **BAD_REQUEST},
    )
    async def create(
        self,
        data: JSONBody[CreateApiKeyRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> ApiKeyWithSecretResponse:
        """Create a key for the caller's organization. The `secret` is in this answer only: store it."""
        name = _name(data.name)
        expires_at = _future(data.expires_at, "expiresAt") if data.expires_at is not None else None
        async with gateway.pool.connection() as conn:
            key, secret = await handlers.create_api_key(
                conn,
                org_id=principal.org_id,
                user_id=principal.user_id,
                name=name,
                prefix=data.prefix,
                expires_at=expires_at,
            )
        return ApiKeyWithSecretResponse.created(key, secret)

    @get("/", operation_id="listApiKeys", summary="List API keys", responses=UNAUTHORIZED)
    async def list_keys(
        self, principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> ApiKeysListResponse:
        """Every key of the caller's organization, newest first (never their secrets)."""
        async with gateway.pool.connection() as conn:
            keys = await handlers.list_api_keys(conn, principal)
        return ApiKeysListResponse(api_keys=[ApiKeyResponse.of(k) for k in keys])

    @patch(
        "/{id:str}",
        operation_id="updateApiKey",
        summary="Update an API key",
        responses={**UNAUTHORIZED, **BAD_REQUEST, **NOT_FOUND},
    )
    async def update(
        self,
        id: FromPath[str],
        data: JSONBody[UpdateApiKeyRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> ApiKeyResponse:
        """Rename, disable/enable (`isActive`), or change the expiration (`expiresAt: null` removes it).

        A disabled key is refused at once by this gateway, and within a few seconds by every replica.
        """
        return await _update(id, data, principal, gateway)

    @put(
        "/{id:str}",
        operation_id="replaceApiKey",
        summary="Update an API key (PUT)",
        responses={**UNAUTHORIZED, **BAD_REQUEST, **NOT_FOUND},
    )
    async def replace(
        self,
        id: FromPath[str],
        data: JSONBody[UpdateApiKeyRequest],
        principal: NamedDependency[Principal],
        gateway: NamedDependency[Gateway],
    ) -> ApiKeyResponse:
        """Same as PATCH (the API documents both)."""
        return await _update(id, data, principal, gateway)

    @delete(
        "/{id:str}",
        operation_id="deleteApiKey",
        summary="Revoke an API key",
        status_code=200,
        responses={**UNAUTHORIZED, **BAD_REQUEST, **NOT_FOUND},
    )
    async def revoke(
        self, id: FromPath[str], principal: NamedDependency[Principal], gateway: NamedDependency[Gateway]
    ) -> MessageResponse:
        """Revoke a key for good: it never authenticates again and leaves the list."""
        key_id = parse_uuid(id, "id")
        async with gateway.pool.connection() as conn:
            await handlers.revoke_api_key(conn, principal, key_id)
        gateway.verifier.forget(key_id)
        return MessageResponse(message="API key deleted")


async def _update(api_key_id: str, data: UpdateApiKeyRequest, principal: Principal, gateway: Gateway) -> ApiKeyResponse:
    key_id = parse_uuid(api_key_id, "id")
    changes: dict[str, Any] = {}
    if data.name is not msgspec.UNSET:
        changes["name"] = _name(data.name)
    if data.is_active is not msgspec.UNSET:
        changes["is_active"] = data.is_active
    if data.expires_at is not msgspec.UNSET:
        changes["expires_at"] = _future(data.expires_at, "expiresAt") if data.expires_at is not None else None
    async with gateway.pool.connection() as conn:
        key = await handlers.update_api_key(conn, principal, key_id, changes)
    gateway.verifier.forget(key_id)
    return ApiKeyResponse.of(key)
