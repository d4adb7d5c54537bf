"""The whole stack for end-to-end tests: every service as its own process, a SIPp trunk.

Its NATS is its own (unless ``NATS_URL`` is set) and its database is a fresh one on the session's
PostgreSQL server, so integration tests sharing ``nats_url``/``database_url`` (durable consumers,
schemas) cannot leak into it. Service output goes to ``<state_dir>/logs/<service>.log``;
``CALLCAST_TEST_ECHO=1`` also prints it, prefixed, as it happens.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from callcast_stack.stack import LocalStack, StackOptions
from callcast_stack.state import workspace_root

ECHO_ENV = "CALLCAST_TEST_ECHO"


def start_test_stack(
    *,
    state_dir: Path,
    database_url: str,
    sip_trunk: str,
    nats_url: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> LocalStack:
    """Start and return a ready stack; the caller stops it (``stack.stop()``)."""
    stack = LocalStack(
        StackOptions(
            state_dir=state_dir,
            nats_url=nats_url,
            database_url=database_url,
            sip_trunk=sip_trunk,
            durable=False,
            echo=sys.__stdout__ if os.environ.get(ECHO_ENV) else None,
            cwd=workspace_root(Path(__file__)),
            extra_env=extra_env or {},
        )
    )
    stack.start()
    return stack
