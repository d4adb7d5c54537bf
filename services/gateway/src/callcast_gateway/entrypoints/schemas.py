"""Wire shapes of the gateway's own resources (Gomobile's ``/users/me`` and ``/auth/api-keys``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from callcast_gateway.domain.api_keys import KEY_PREFIX_PATTERN, ApiKey
from callcast_gateway.domain.organizations import Organization, User
from callcast_runtime.api import ApiModel, ApiResponse

KeyName = Annotated[str, Meta(min_length=1, max_length=255, description="A label for the key (1–255 characters).")]
KeyPrefix = Annotated[
    str,
    Meta(
        max_length=20,
        pattern=KEY_PREFIX_PATTERN,
        description=(
            "Optional start of the secret, e.g. `prod_` or `dev_` (letters, digits, `_`, `-`; at most 20). "
            "Default `cc_live_`."
        ),
    ),
]


def utc_iso(dt: datetime | None) -> str | None:
    """ISO-8601 in UTC with ``Z``, whatever the database session's time zone."""
    if dt is None:
        return None
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


class CreateApiKeyRequest(ApiModel):
    name: KeyName
    prefix: KeyPrefix | None = None
    expires_at: Annotated[
        datetime | None, Meta(description="When the key stops working (ISO-8601 with a timezone, in the future).")
    ] = None


class UpdateApiKeyRequest(ApiModel):
    """Every field optional; ``expiresAt: null`` removes the expiration."""

    name: KeyName | UnsetType = UNSET
    is_active: bool | UnsetType = UNSET
    expires_at: datetime | UnsetType | None = UNSET


class ApiKeyResponse(ApiResponse):
    id: str
    name: str
    key_prefix: str
    is_active: bool
    expires_at: str | None
    last_used_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyResponse:
        return cls(**_key_fields(key))


class ApiKeyWithSecretResponse(ApiKeyResponse):
    """The created key; ``secret`` appears here once and can never be read again."""

    secret: str

    @classmethod
    def created(cls, key: ApiKey, secret: str) -> ApiKeyWithSecretResponse:
        return cls(**_key_fields(key), secret=secret)


def _key_fields(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "name": key.name,
        "key_prefix": key.key_prefix,
        "is_active": key.is_active,
        "expires_at": utc_iso(key.expires_at),
        "last_used_at": utc_iso(key.last_used_at),
        "created_at": utc_iso(key.created_at),
        "updated_at": utc_iso(key.updated_at),
    }


class ApiKeysListResponse(ApiResponse):
    api_keys: list[ApiKeyResponse]


class MessageResponse(ApiResponse):
    message: str


class OrganizationSummary(ApiResponse):
    id: str
    name: str
    slug: str


class CurrentUserResponse(ApiResponse):
    id: str
    email: str
    first_name: str | None
    last_name: str | None
    organization: OrganizationSummary

    @classmethod
    def of(cls, user: User, organization: Organization) -> CurrentUserResponse:
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            organization=OrganizationSummary(id=organization.id, name=organization.name, slug=organization.slug),
        )


class ProblemDocument(msgspec.Struct, kw_only=True, rename="camel"):
    """The error body (RFC 9457 problem document carrying Gomobile's documented members)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    message: str
    status_code: int
    error: str
    field_errors: dict[str, list[str]]
    field_details: dict[str, list[dict[str, Any]]]
    timestamp: str
    path: str
