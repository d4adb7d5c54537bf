"""``python -m callcast_gateway create-org``: provisions an organization; its key is the last line."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid

import pytest
from gateway_support import GatewayUnderTest

pytestmark = pytest.mark.integration

KEY = re.compile(r"cc_live_[A-Za-z0-9_-]{43}")


async def _create_org(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "callcast_gateway", "create-org", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_create_org_prints_a_working_key_alone_on_its_last_line(gateway: GatewayUnderTest) -> None:
    name = f"Café Atlas {uuid.uuid4().hex[:6]}"
    result = await _create_org(gateway.database_url, name)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) >= 2
    assert KEY.fullmatch(lines[-1]), result.stdout
    assert all(lines[-1] not in line for line in lines[:-1])

    me = await gateway.client.get("/api/users/me", headers={"X-API-Key": lines[-1]})
    assert me.status_code == 200, me.text
    assert me.json()["organization"]["name"] == name
    assert me.json()["organization"]["slug"].startswith("cafe-atlas-")


async def test_create_org_with_a_taken_slug_fails_without_printing_a_key(gateway: GatewayUnderTest) -> None:
    slug = f"taken-{uuid.uuid4().hex[:8]}"
    first = await _create_org(gateway.database_url, "First", "--slug", slug)
    assert first.returncode == 0, first.stderr
    second = await _create_org(gateway.database_url, "Second", "--slug", slug)
    assert second.returncode == 1
    assert slug in second.stderr
    assert not KEY.search(second.stdout)


async def test_create_org_twice_with_one_name_gives_two_organizations(gateway: GatewayUnderTest) -> None:
    name = f"Twin {uuid.uuid4().hex[:6]}"
    keys = []
    for _ in range(2):
        result = await _create_org(gateway.database_url, name)
        assert result.returncode == 0, result.stderr
        keys.append(result.stdout.splitlines()[-1])
    slugs = []
    for key in keys:
        me = await gateway.client.get("/api/users/me", headers={"X-API-Key": key})
        slugs.append(me.json()["organization"]["slug"])
    assert slugs[0] != slugs[1]
    assert slugs[1] == f"{slugs[0]}-2"


async def test_create_org_without_a_database_says_so(gateway: GatewayUnderTest) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "callcast_gateway", "create-org", "Nobody"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert result.stdout == ""
