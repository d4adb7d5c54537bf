"""Pytest fixtures for real infrastructure, available to every test tree in the workspace.

Registered as a ``pytest11`` entry point of callcast-stack, so services' integration tests get
them without importing anything:

- ``nats_url`` (session): ``NATS_URL`` if set, else the pinned nats-server started for the
  session with JetStream in a temporary store.
- ``postgres_admin_url`` (session): ``DATABASE_URL``'s server if set, else an embedded PostgreSQL
  started for the session (no fsync: the data is thrown away).
- ``database_url`` (session): a fresh database on that server, dropped at the end.
- ``new_database`` (session): a factory for more fresh databases (each dropped at the end).
- ``sipp_installed`` (session): the path of ``sipp``; a missing SIPp FAILS the test (never skips).

``CALLCAST_TEST_BACKEND=testcontainers`` runs NATS and PostgreSQL in Docker instead (optional,
never required; needs the ``testcontainers`` package and a working Docker).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

BACKEND_ENV = "CALLCAST_TEST_BACKEND"


def _backend() -> str:
    return os.environ.get(BACKEND_ENV, "local")


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    if _backend() == "testcontainers":
        from callcast_stack.containers import nats_container_url

        with nats_container_url() as url:
            yield url
        return
    from callcast_stack.nats import start_nats_server

    store = tmp_path_factory.mktemp("nats")
    with start_nats_server(store, log_path=store / "nats.log") as server:
        yield server.url


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    if _backend() == "testcontainers":
        from callcast_stack.containers import postgres_container_url

        with postgres_container_url() as url:
            yield url
        return
    from callcast_stack.postgres import start_embedded_postgres

    # Not under pytest's tmp dir: that one is private (0700) and, as root, PostgreSQL runs as
    # another user that must be able to reach its data directory.
    base = Path(tempfile.mkdtemp(prefix="callcast-test-pg-"))
    try:
        with start_embedded_postgres(base / "data", durable=False) as server:
            yield server.admin_url
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def new_database(postgres_admin_url: str) -> Iterator[Callable[[], str]]:
    """Call it for another fresh, empty database on the session's server; its URL."""
    from callcast_stack.postgres import database_name, drop_database, fresh_database_url

    created: list[str] = []

    def make() -> str:
        url = fresh_database_url(postgres_admin_url)
        created.append(url)
        return url

    yield make
    for url in created:
        drop_database(postgres_admin_url, database_name(url))


@pytest.fixture(scope="session")
def database_url(new_database: Callable[[], str]) -> str:
    return new_database()


@pytest.fixture(scope="session")
def sipp_installed() -> str:
    return require_sipp()


def require_sipp() -> str:
    """The path of ``sipp``; fails (never skips) with what to install when it is missing."""
    path = shutil.which("sipp")
    if path is None:
        from callcast_stack.tools import SIPP, install_instructions

        pytest.fail(
            "SIPp is required by the end-to-end tests and is not installed.\n"
            + install_instructions([SIPP])
            + "\n(`just test` installs it automatically when run as root.)",
            pytrace=False,
        )
    return path
