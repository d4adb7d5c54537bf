"""Wires the scheduler: programs, DIDs, executions, the dispatcher and its subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from callcast_runtime.service import Runtime, ServiceSpec
from callcast_scheduler.entrypoints import events
from callcast_scheduler.entrypoints.http import DidController, ExecutionController, ProgramController
from callcast_scheduler.entrypoints.openapi import OPENAPI_DESCRIPTION
from callcast_scheduler.handlers import Scheduler

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _wire(runtime: Runtime) -> dict[str, Any]:
    return {"scheduler": Scheduler(runtime)}


async def _start_dispatcher(runtime: Runtime) -> None:
    scheduler: Scheduler = runtime.components["scheduler"]
    runtime.spawn(scheduler.run_dispatcher(), "dispatcher")


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name="scheduler",
        route_handlers=[DidController, ProgramController, ExecutionController],
        migrations=MIGRATIONS,
        wire=_wire,
        register_subscribers=events.register,
        on_start=[_start_dispatcher],
        openapi_description=OPENAPI_DESCRIPTION,
    )
