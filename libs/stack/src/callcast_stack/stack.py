"""The whole local stack: NATS, PostgreSQL and every service, started and stopped in order.

Start: NATS and PostgreSQL (ours, or the ones ``NATS_URL``/``DATABASE_URL`` name, used as they
are), then all services together. ``stack.json`` is written as soon as the backbone runs (status
``starting``, so a second stack on the same state dir backs off) and again once every service is
ready (``ready``). Stop: the services first (they drain and disconnect), then NATS, then
PostgreSQL. ``just up``, ``just demo`` and the end-to-end tests all go through
:class:`LocalStack`.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from callcast_stack.nats import NatsServer, start_nats_server
from callcast_stack.postgres import (
    DEFAULT_DATABASE,
    PostgresServer,
    create_database,
    start_embedded_postgres,
)
from callcast_stack.services import GATEWAY, SERVICES, ServiceSpec
from callcast_stack.state import (
    NoRunningStack,
    StackInfo,
    remove_stack_info,
    running_stack_info,
    write_stack_info,
)
from callcast_stack.supervisor import DEFAULT_READY_TIMEOUT_S, Supervisor
from callcast_stack.system_dictionaries import install_system_dictionaries

DEV_GATEWAY_PORT = 8080


class StackAlreadyRunning(RuntimeError):
    pass


@dataclass
class StackOptions:
    state_dir: Path
    #: None: use ``NATS_URL`` if set, else start the pinned server. A URL: use it as it is.
    nats_url: str | None = None
    #: None: use ``DATABASE_URL`` if set, else start embedded PostgreSQL. A URL: use it.
    database_url: str | None = None
    #: None: a free port (tests); ``just up`` pins 8080.
    gateway_port: int | None = None
    sip_trunk: str | None = None
    log_format: str | None = None
    echo: TextIO | None = None
    services: Sequence[ServiceSpec] = SERVICES
    extra_env: Mapping[str, str] = field(default_factory=dict)
    #: False for throw-away stacks (tests): PostgreSQL without fsync.
    durable: bool = True
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S
    cwd: Path | None = None


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.nats: NatsServer | None = None
        self.postgres: PostgresServer | None = None
        self.supervisor: Supervisor | None = None
        self.nats_url = ""
        self.database_url = ""
        self.info: StackInfo | None = None
        #: Seconds each part took to start ("nats", "postgres", "services").
        self.timings: dict[str, float] = {}

    @property
    def logs_dir(self) -> Path:
        return self.options.state_dir / "logs"

    @property
    def gateway_url(self) -> str:
        assert self.supervisor is not None, "the stack is not started"
        return self.supervisor.url(GATEWAY.name)

    @property
    def api_url(self) -> str:
        return self.gateway_url + "/api"

    def start(self) -> StackInfo:
        self.refuse_if_running()
        try:
            self._start_backbone()
            # Recorded already while starting, so a second stack on this state dir backs off.
            self._record(status="starting")
            began = time.monotonic()
            self._start_services()
            self.timings["services"] = time.monotonic() - began
            install_system_dictionaries(self.database_url, self.nats_url, echo=self.options.echo)
            self._record(status="ready")
        except BaseException:
            self.stop()
            raise
        assert self.info is not None
        return self.info

    def refuse_if_running(self) -> None:
        """Two stacks on one state dir would share (and fight over) its PostgreSQL data."""
        try:
            info = running_stack_info(self.options.state_dir)
        except NoRunningStack:
            return
        raise StackAlreadyRunning(
            f"a stack already runs from {self.options.state_dir} (supervisor pid "
            f"{info.supervisor_pid}, gateway {info.gateway_url}); stop it first"
        )

    def restart_service(self, name: str, env: Mapping[str, str] | None = None) -> None:
        """Restart one service (same port), ``env`` overriding its settings; stack.json follows."""
        assert self.supervisor is not None, "the stack is not started"
        self.supervisor.restart(name, env=env)
        self._record()

    def kill_service(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Fault injection: kill -9 (by default) one service; its exit code."""
        assert self.supervisor is not None, "the stack is not started"
        return self.supervisor.kill(name, sig)

    def stop(self) -> None:
        """Services, then NATS, then PostgreSQL; safe to call more than once."""
        try:
            if self.supervisor is not None:
                self.supervisor.stop()
        finally:
            try:
                if self.nats is not None:
                    self.nats.stop()
            finally:
                if self.postgres is not None:
                    self.postgres.stop()
                if self.info is not None:  # only the stack.json we wrote
                    remove_stack_info(self.options.state_dir)
                    self.info = None

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _start_backbone(self) -> None:
        opts = self.options
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        nats_url = opts.nats_url or os.environ.get("NATS_URL")
        if nats_url:
            self.nats_url = nats_url
        else:
            self.nats = start_nats_server(opts.state_dir / "nats", log_path=self.logs_dir / "nats.log")
            self.nats_url = self.nats.url
            self.timings["nats"] = self.nats.started_in_s
        database_url = opts.database_url or os.environ.get("DATABASE_URL")
        if database_url:
            self.database_url = database_url
        else:
            self.postgres = start_embedded_postgres(
                opts.state_dir / "pg",
                log_path=self.logs_dir / "postgres.log",
                durable=opts.durable,
            )
            self.timings["postgres"] = self.postgres.started_in_s
            self.database_url = create_database(self.postgres.admin_url, DEFAULT_DATABASE, exist_ok=True)

    def _start_services(self) -> None:
        opts = self.options
        ports = {GATEWAY.name: opts.gateway_port} if opts.gateway_port else {}
        self.supervisor = Supervisor(
            nats_url=self.nats_url,
            database_url=self.database_url,
            logs_dir=self.logs_dir,
            specs=opts.services,
            ports=ports,
            sip_trunk=opts.sip_trunk,
            log_format=opts.log_format,
            echo=opts.echo,
            extra_env=opts.extra_env,
            cwd=opts.cwd,
            ready_timeout_s=opts.ready_timeout_s,
        )
        self.supervisor.start()

    def _record(self, status: str | None = None) -> None:
        supervisor = self.supervisor
        self.info = StackInfo(
            nats_url=self.nats_url,
            database_url=self.database_url,
            gateway_url=self.gateway_url if supervisor else "",
            services=supervisor.urls if supervisor else {},
            pids=self._pids(),
            logs_dir=str(self.logs_dir),
            sip_trunk=self.options.sip_trunk,
            status=status or (self.info.status if self.info else "starting"),
            started_at=self.info.started_at if self.info else _now(),
        )
        write_stack_info(self.info, self.options.state_dir)

    def _pids(self) -> dict[str, int]:
        pids = {"supervisor": os.getpid()}
        if self.nats is not None and self.nats.pid is not None:
            pids["nats"] = self.nats.pid
        if self.postgres is not None and self.postgres.pid is not None:
            pids["postgres"] = self.postgres.pid
        if self.supervisor is not None:
            pids.update(self.supervisor.pids)
        return pids


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
