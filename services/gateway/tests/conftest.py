"""Fixtures of the gateway tests.

Integration tests need a real NATS JetStream and PostgreSQL: ``NATS_URL`` / ``DATABASE_URL`` when
set, else the project's shared ``nats_url`` / ``database_url`` fixtures. The services behind the
gateway are fakes (``gateway_fakes.FakeService``), one per service, on free ports. Helpers live in
``gateway_support`` (not here: every service has a ``conftest`` module).
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# Helpers next to this file must import under any --import-mode.
sys.path.insert(0, str(Path(__file__).parent))

from gateway_fakes import FakeService
from gateway_support import SERVICES, GatewayUnderTest, ProvisionedOrg, provision_org, running_gateway


def _from_env_or_fixture(request: pytest.FixtureRequest, env: str, fixture: str) -> str:
    value = os.environ.get(env)
    return value if value else str(request.getfixturevalue(fixture))


@pytest.fixture(scope="session")
def gateway_nats_url(request: pytest.FixtureRequest) -> str:
    return _from_env_or_fixture(request, "NATS_URL", "nats_url")


@pytest.fixture(scope="session")
def gateway_database_url(request: pytest.FixtureRequest) -> str:
    return _from_env_or_fixture(request, "DATABASE_URL", "database_url")


@pytest.fixture(scope="session")
def fake_services() -> Iterator[dict[str, FakeService]]:
    fakes = {name: FakeService(name) for name in SERVICES}
    for fake in fakes.values():
        fake.start()
    try:
        yield fakes
    finally:
        for fake in fakes.values():
            fake.stop()


@pytest.fixture(scope="session")
async def gateway(
    fake_services: dict[str, FakeService], gateway_nats_url: str, gateway_database_url: str
) -> AsyncIterator[GatewayUnderTest]:
    urls = {name: fake.url for name, fake in fake_services.items()}
    async with running_gateway(urls, gateway_nats_url, gateway_database_url) as under_test:
        yield under_test


@pytest.fixture
async def org(gateway: GatewayUnderTest) -> ProvisionedOrg:
    """A brand-new organization and its first key (tests never see each other's data)."""
    return await provision_org(gateway)


@pytest.fixture
async def other_org(gateway: GatewayUnderTest) -> ProvisionedOrg:
    return await provision_org(gateway)
