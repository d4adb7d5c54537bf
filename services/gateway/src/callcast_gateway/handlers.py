"""The gateway's use cases: provisioning organizations and managing API keys.

Each takes an open connection (the caller owns the transaction) and plain values; HTTP and the
CLI decode their input, call one of these, and encode the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callcast_contracts.ids import new_id
from callcast_gateway.adapters import repository
from callcast_gateway.adapters.repository import Conn
from callcast_gateway.domain.api_keys import DEFAULT_KEY_PREFIX, ApiKey, Principal, generate_api_key
from callcast_gateway.domain.organizations import (
    DEFAULT_TIMEZONE,
    Organization,
    User,
    default_owner_email,
    numbered_slug,
    slugify,
)
from callcast_runtime.errors import Conflict, NotFound

FIRST_KEY_NAME = "default"
#: How many ``-2``, ``-3``… alternatives a derived slug tries before giving up.
_SLUG_ATTEMPTS = 1000


@dataclass(frozen=True)
class ProvisionedOrganization:
    organization: Organization
    owner: User
    api_key: ApiKey
    #: The first key's secret: shown once, never stored.
    secret: str


class SlugTaken(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"An organization with slug {slug!r} already exists", code="OrganizationSlugTakenError")


def api_key_not_found() -> NotFound:
    return NotFound("API key not found", code="ApiKeyNotFoundError")


async def create_organization(
    conn: Conn,
    *,
    name: str,
    slug: str | None = None,
    timezone: str = DEFAULT_TIMEZONE,
    owner_email: str | None = None,
    owner_first_name: str | None = "Organization",
    owner_last_name: str | None = "Owner",
    key_name: str = FIRST_KEY_NAME,
) -> ProvisionedOrganization:
    """A new organization, its owner user and a first API key (one transaction: the caller's).

    An explicit ``slug`` must be free; one derived from the name gets ``-2``, ``-3``… when taken,
    so creating two organizations with the same name works.
    """
    if slug is not None:
        if await repository.slug_taken(conn, slug):
            raise SlugTaken(slug)
        chosen = slug
    else:
        base = slugify(name) or "org"
        for n in range(1, _SLUG_ATTEMPTS + 1):
            chosen = numbered_slug(base, n)
            if not await repository.slug_taken(conn, chosen):
                break
        else:
            raise SlugTaken(base)
    organization = await repository.insert_organization(
        conn, org_id=new_id(), name=name, slug=chosen, timezone=timezone
    )
    owner = await repository.insert_user(
        conn,
        user_id=new_id(),
        org_id=organization.id,
        email=owner_email or default_owner_email(chosen),
        first_name=owner_first_name,
        last_name=owner_last_name,
    )
    api_key, secret = await create_api_key(conn, org_id=organization.id, user_id=owner.id, name=key_name)
    return ProvisionedOrganization(organization=organization, owner=owner, api_key=api_key, secret=secret)


async def create_api_key(
    conn: Conn,
    *,
    org_id: str,
    user_id: str,
    name: str,
    prefix: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key of ``org_id`` acting as ``user_id``, and its secret (to be shown once)."""
    issued = generate_api_key(prefix or DEFAULT_KEY_PREFIX)
    api_key = await repository.insert_api_key(
        conn,
        key_id=new_id(),
        org_id=org_id,
        user_id=user_id,
        name=name,
        key_prefix=issued.key_prefix,
        secret_hash=issued.secret_hash,
        expires_at=expires_at,
    )
    return api_key, issued.secret


async def list_api_keys(conn: Conn, principal: Principal) -> list[ApiKey]:
    return await repository.list_api_keys(conn, principal.org_id)


async def update_api_key(conn: Conn, principal: Principal, key_id: str, changes: dict[str, Any]) -> ApiKey:
    updated = await repository.update_api_key(conn, principal.org_id, key_id, changes)
    if updated is None:
        raise api_key_not_found()
    return updated


async def revoke_api_key(conn: Conn, principal: Principal, key_id: str) -> None:
    if not await repository.revoke_api_key(conn, principal.org_id, key_id):
        raise api_key_not_found()


async def current_user(conn: Conn, principal: Principal) -> tuple[User, Organization]:
    found = await repository.user_with_organization(conn, principal.user_id, principal.org_id)
    if found is None:
        # The key authenticated a moment ago; its user vanishing means the key is no good either.
        raise NotFound("User not found", code="UserNotFoundError")
    return found
