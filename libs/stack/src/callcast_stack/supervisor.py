"""Runs each service as its own process and keeps an eye on it.

Every service is ``python -m callcast_<name>`` with its settings in the environment (the contract
in docs/architecture.md): ``NATS_URL``, ``DATABASE_URL``, ``CALLCAST_HTTP_HOST``/``_PORT``,
``CALLCAST_<SERVICE>_URL`` for every service (the gateway routes through them),
``CALLCAST_SIP_TRUNK`` and ``CALLCAST_LOG_FORMAT`` when given; everything else, ``OTEL_*``
included, is inherited as it is. The supervisor starts them together, waits until each answers
``GET /health/ready``, and stops them with SIGTERM, then SIGKILL after a grace period.

Tests use :meth:`Supervisor.kill` and :meth:`Supervisor.restart` to inject faults: a service the
tests killed is not reported as a crash.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import httpx

from callcast_stack.logs import LinePrefixer, OutputPump
from callcast_stack.ports import LOOPBACK, free_ports, port_is_free
from callcast_stack.processes import spawn, stop_processes
from callcast_stack.services import READY_PATH, SERVICES, ServiceSpec

DEFAULT_READY_TIMEOUT_S = float(os.environ.get("CALLCAST_STACK_READY_TIMEOUT", "120"))
DEFAULT_STOP_GRACE_S = 15.0  # services drain live calls and flush outboxes on SIGTERM


class ServiceFailedToStart(RuntimeError):
    pass


@dataclass
class RunningService:
    spec: ServiceSpec
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    pump: OutputPump | None = None
    #: Set when we stopped or killed it on purpose; an exit is then not a crash.
    expected_exit: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def tail(self, lines: int = 40) -> str:
        return self.pump.tail(lines) if self.pump is not None else ""


@dataclass
class Supervisor:
    nats_url: str
    database_url: str
    logs_dir: Path
    specs: Sequence[ServiceSpec] = SERVICES
    #: Fixed ports by service name (``just up`` pins the gateway to 8080); others get free ports.
    ports: Mapping[str, int] = field(default_factory=dict)
    sip_trunk: str | None = None
    log_format: str | None = None
    #: Where prefixed lines go (None: only to the log files).
    echo: TextIO | None = None
    extra_env: Mapping[str, str] = field(default_factory=dict)
    python: str = sys.executable
    cwd: Path | None = None
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    stop_grace_s: float = DEFAULT_STOP_GRACE_S
    services: dict[str, RunningService] = field(default_factory=dict, init=False)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every service, then wait until all are ready; on failure stop what started."""
        self._assign_ports()
        try:
            for service in self.services.values():
                self._spawn(service)
            self.wait_ready(list(self.services))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """SIGTERM every service at once; SIGKILL whichever is still running after the grace."""
        running = [s for s in self.services.values() if s.process is not None]
        for service in running:
            service.expected_exit = True
        stop_processes(
            [s.process for s in running if s.process is not None],
            first_signal=signal.SIGTERM,
            grace_s=self.stop_grace_s,
        )
        for service in running:
            if service.pump is not None:
                service.pump.join(timeout=2)

    def __enter__(self) -> Supervisor:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- fault injection and restarts -----------------------------------------------------------

    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` to a service (default: kill -9) and wait for it to exit; its exit code."""
        service = self.services[name]
        assert service.process is not None
        service.expected_exit = True
        service.process.send_signal(sig)
        code = service.process.wait()
        if service.pump is not None:
            service.pump.join(timeout=2)
        return code

    def restart(
        self,
        name: str,
        *,
        env: Mapping[str, str] | None = None,
        wait_ready: bool = True,
    ) -> RunningService:
        """Stop ``name`` if it runs and start it again on the same port, ``env`` overriding."""
        service = self.services[name]
        if service.process is not None and service.process.poll() is None:
            service.expected_exit = True
            stop_processes([service.process], grace_s=self.stop_grace_s)
            if service.pump is not None:
                service.pump.join(timeout=2)
        if env:
            service.env.update(env)
        self._spawn(service)
        if wait_ready:
            self.wait_ready([name])
        return service

    # --- state ----------------------------------------------------------------------------------

    def url(self, name: str) -> str:
        return self.services[name].url

    @property
    def urls(self) -> dict[str, str]:
        return {name: s.url for name, s in self.services.items()}

    @property
    def pids(self) -> dict[str, int]:
        return {name: s.pid for name, s in self.services.items() if s.pid is not None}

    def crashed(self) -> dict[str, int]:
        """Services that exited without being asked to, with their exit codes."""
        return {
            name: s.process.returncode
            for name, s in self.services.items()
            if s.process is not None and s.process.poll() is not None and not s.expected_exit
        }

    def wait_ready(self, names: Sequence[str], timeout_s: float | None = None) -> None:
        """Poll ``GET /health/ready`` of each until 200; fail early if a process exits."""
        deadline = time.monotonic() + (timeout_s or self.ready_timeout_s)
        pending = list(names)
        with httpx.Client(timeout=2.0) as http:
            while pending:
                for name in list(pending):
                    service = self.services[name]
                    self._fail_if_exited(service)
                    try:
                        response = http.get(service.url + READY_PATH)
                    except httpx.HTTPError:
                        continue
                    if response.status_code == 200:
                        pending.remove(name)
                if not pending:
                    return
                if time.monotonic() >= deadline:
                    details = "\n".join(
                        f"--- {n} (last lines of {self.services[n].log_path}):\n{self.services[n].tail()}"
                        for n in pending
                    )
                    raise ServiceFailedToStart(
                        f"not ready after {timeout_s or self.ready_timeout_s:.0f} s: {', '.join(pending)}\n{details}"
                    )
                time.sleep(0.1)

    # --- internals ------------------------------------------------------------------------------

    def _assign_ports(self) -> None:
        for name, port in self.ports.items():
            if not port_is_free(port):
                raise ServiceFailedToStart(
                    f"port {port} for the {name} is already in use on {LOOPBACK}; stop whatever "
                    "holds it (`ss -ltnp`), or choose another port"
                )
        unpinned = [s for s in self.specs if s.name not in self.ports]
        chosen = dict(zip((s.name for s in unpinned), free_ports(len(unpinned)), strict=True))
        chosen.update(self.ports)
        urls = {s.url_env: f"http://{LOOPBACK}:{chosen[s.name]}" for s in self.specs}
        for spec in self.specs:
            env = dict(os.environ)
            env.update(
                {
                    "NATS_URL": self.nats_url,
                    "DATABASE_URL": self.database_url,
                    "CALLCAST_HTTP_HOST": LOOPBACK,
                    "CALLCAST_HTTP_PORT": str(chosen[spec.name]),
                    # Line by line, so the prefixed console and the log files keep up.
                    "PYTHONUNBUFFERED": "1",
                }
            )
            env.update(urls)
            if self.sip_trunk:
                env["CALLCAST_SIP_TRUNK"] = self.sip_trunk
            # The dialer drains live calls on SIGTERM; it must finish (and record the calls it
            # hangs up) before this supervisor's own grace runs out and SIGKILL strands them.
            env.setdefault("CALLCAST_DIALER_DRAIN_TIMEOUT_S", str(max(1.0, self.stop_grace_s - 5.0)))
            if self.log_format:
                env["CALLCAST_LOG_FORMAT"] = self.log_format
            env.update(self.extra_env)
            self.services[spec.name] = RunningService(
                spec=spec,
                port=chosen[spec.name],
                env=env,
                log_path=self.logs_dir / f"{spec.name}.log",
            )

    def _spawn(self, service: RunningService) -> None:
        width = max(len(s.name) for s in self.specs)
        index = [s.name for s in self.specs].index(service.name)
        proc = spawn(
            [self.python, "-m", service.spec.module],
            env=service.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert proc.stdout is not None
        service.process = proc
        service.expected_exit = False
        prefixer = LinePrefixer(service.name, width, index, self.echo)
        service.pump = OutputPump(proc.stdout, service.log_path, prefixer).start()

    def _fail_if_exited(self, service: RunningService) -> None:
        assert service.process is not None
        code = service.process.poll()
        if code is None:
            return
        if service.pump is not None:
            service.pump.join(timeout=2)
        raise ServiceFailedToStart(
            f"{service.name} (python -m {service.spec.module}) exited with code {code} while "
            f"starting; last lines of {service.log_path}:\n{service.tail()}"
        )
