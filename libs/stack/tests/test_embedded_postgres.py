"""Embedded PostgreSQL from the wheel: starts on a free port, answers, makes fresh databases."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from callcast_stack.ports import RESERVED_PORTS
from callcast_stack.postgres import (
    create_database,
    database_name,
    drop_database,
    fresh_database_url,
    postgres_from_env_or_start,
    start_embedded_postgres,
    with_database,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_base() -> Iterator[Path]:
    # Outside pytest's private tmp dir: as root the server runs as another user.
    base = Path(tempfile.mkdtemp(prefix="callcast-pg-test-"))
    yield base
    shutil.rmtree(base, ignore_errors=True)


def test_embedded_server_starts_answers_and_stops(pg_base: Path) -> None:
    began = time.monotonic()
    server = start_embedded_postgres(pg_base / "data", durable=False)
    try:
        elapsed = time.monotonic() - began
        assert elapsed < 15, f"embedded PostgreSQL took {elapsed:.1f} s"
        port = int(server.admin_url.rsplit(":", 1)[1].split("/")[0])
        assert port not in RESERVED_PORTS
        with psycopg.connect(server.admin_url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        server.stop()
    assert server.process is not None
    assert server.process.returncode == 0


def test_a_second_start_reuses_the_data_directory(pg_base: Path) -> None:
    with start_embedded_postgres(pg_base / "data", durable=False) as server:
        create_database(server.admin_url, "kept")
    with (
        start_embedded_postgres(pg_base / "data", durable=False) as server,
        psycopg.connect(server.url("kept")) as conn,
    ):
        assert conn.execute("select current_database()").fetchone() == ("kept",)


def test_fresh_databases_are_distinct_and_can_be_dropped(postgres_admin_url: str) -> None:
    first = fresh_database_url(postgres_admin_url)
    second = fresh_database_url(postgres_admin_url)
    assert first != second
    with psycopg.connect(first) as conn:
        conn.execute("create table marker (id int)")
    with psycopg.connect(second) as conn:
        row = conn.execute("select count(*) from pg_tables where tablename = 'marker'").fetchone()
        assert row == (0,)
    drop_database(postgres_admin_url, database_name(first))
    drop_database(postgres_admin_url, database_name(second))
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(first, connect_timeout=2).close()


def test_create_database_rejects_names_that_would_need_quoting(postgres_admin_url: str) -> None:
    with pytest.raises(ValueError, match="plain database name"):
        create_database(postgres_admin_url, 'x"; drop database postgres; --')


def test_database_url_from_the_environment_is_used_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql://someone@db.invalid:5432/app"
    monkeypatch.setenv("DATABASE_URL", url)
    server, database_url = postgres_from_env_or_start(tmp_path / "pg")
    assert database_url == url
    assert not server.owned
    assert not (tmp_path / "pg").exists()


def test_with_database_keeps_credentials_and_query() -> None:
    url = "postgresql://u:p@h:5/one?sslmode=disable"
    assert with_database(url, "two") == "postgresql://u:p@h:5/two?sslmode=disable"


def test_session_database_url_fixture_is_a_fresh_database(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        name = conn.execute("select current_database()").fetchone()
    assert name is not None
    assert name[0].startswith("callcast_test_")
