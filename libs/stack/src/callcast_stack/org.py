"""Creating an organization and its first API key, through the gateway's own command.

``python -m callcast_gateway create-org NAME`` writes to the gateway's tables (the gateway owns
organizations and keys) and prints the new key alone on its last line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


class CreateOrgFailed(RuntimeError):
    pass


def create_org_command(name: str, python: str = sys.executable) -> list[str]:
    return [python, "-m", "callcast_gateway", "create-org", name]


def create_org_env(database_url: str, nats_url: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    if nats_url:
        env["NATS_URL"] = nats_url
    return env


def create_org(
    name: str,
    *,
    database_url: str,
    nats_url: str | None = None,
    cwd: Path | None = None,
    timeout_s: float = 60.0,
    extra_env: Mapping[str, str] | None = None,
) -> str:
    """Run the gateway's ``create-org``; the API key it printed (last line of its output)."""
    env = create_org_env(database_url, nats_url)
    env.update(extra_env or {})
    result = subprocess.run(
        create_org_command(name),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    if result.returncode != 0 or not lines:
        raise CreateOrgFailed(
            f"`{' '.join(create_org_command(name))}` exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return lines[-1]
