"""Helpers of the gateway tests: a gateway app under test and organizations provisioned for it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

import psycopg
from gateway_fakes import environment
from litestar import Litestar
from litestar.testing import AsyncTestClient
from psycopg.rows import DictRow, dict_row

from callcast_gateway import handlers
from callcast_gateway.bootstrap import build_spec
from callcast_gateway.config import GatewayConfig
from callcast_gateway.gateway import AdmissionCheck
from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings

SERVICES = ("contact", "flow", "scheduler", "dialer", "reporting")
#: Short forward timeout so a slow service is a quick test; the default key cache window (5 s).
TEST_CONFIG = GatewayConfig(forward_timeout_s=1.0, connect_timeout_s=1.0, readiness_timeout_s=0.5)


@dataclass
class GatewayUnderTest:
    """A running gateway app and a client on it.

    The test client runs the app on an event loop of its own (another thread): tests reach the
    gateway's tables through :meth:`execute`, with their own connection, never the app's pool.
    """

    client: AsyncTestClient[Litestar]
    app: Litestar
    database_url: str

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[DictRow]]:
        async with await psycopg.AsyncConnection.connect(
            self.database_url, autocommit=True, row_factory=dict_row
        ) as conn:
            await conn.execute("SET search_path TO gateway, public")
            yield conn

    async def execute(self, query: str, params: tuple[object, ...] = ()) -> list[DictRow]:
        async with self.connection() as conn:
            cur = await conn.execute(query, params)  # type: ignore[arg-type]
            return await cur.fetchall() if cur.description else []


@contextlib.asynccontextmanager
async def running_gateway(
    service_urls: Mapping[str, str],
    nats_url: str,
    database_url: str,
    config: GatewayConfig = TEST_CONFIG,
    admission_checks: Sequence[AdmissionCheck] = (),
) -> AsyncIterator[GatewayUnderTest]:
    """A gateway app whose settings come from the environment, as in production."""
    env = {f"CALLCAST_{name.upper()}_URL": url for name, url in service_urls.items()}
    env.update(NATS_URL=nats_url, DATABASE_URL=database_url)
    with environment(env):
        settings = load_settings("gateway")
    app = create_app(build_spec(config, admission_checks), settings)
    async with AsyncTestClient(app=app) as client:
        yield GatewayUnderTest(client=client, app=app, database_url=database_url)


@dataclass(frozen=True)
class ProvisionedOrg:
    id: str
    name: str
    slug: str
    user_id: str
    key_id: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.key}


async def provision_org(gateway: GatewayUnderTest, name: str | None = None) -> ProvisionedOrg:
    async with gateway.connection() as conn, conn.transaction():
        created = await handlers.create_organization(conn, name=name or f"Org {uuid.uuid4().hex[:8]}")
    return ProvisionedOrg(
        id=created.organization.id,
        name=created.organization.name,
        slug=created.organization.slug,
        user_id=created.owner.id,
        key_id=created.api_key.id,
        key=created.secret,
    )
