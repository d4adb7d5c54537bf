"""Wires the scheduler: programs, DIDs, executions, the dispatcher and its subscribers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nats.aio.subscription import Subscription

from callcast_runtime.service import Runtime, ServiceSpec
from callcast_scheduler.entrypoints import events
from callcast_scheduler.entrypoints.executions_http import ExecutionController
from callcast_scheduler.entrypoints.http import CallingLimitsController, DidController, ProgramController
from callcast_scheduler.entrypoints.openapi import OPENAPI_DESCRIPTION
from callcast_scheduler.entrypoints.test_call_rpc import subscribe_test_call_responder
from callcast_scheduler.handlers import Scheduler

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _wire(runtime: Runtime) -> dict[str, Any]:
    return {"scheduler": Scheduler(runtime)}


async def _start_dispatcher(runtime: Runtime) -> None:
    scheduler: Scheduler = runtime.components["scheduler"]
    for name, projection in scheduler.projections.items():
        runtime.spawn(projection.run(runtime.js, runtime.db), f"projection-{name}")
    runtime.spawn(scheduler.run_dispatcher(), "dispatcher")
    runtime.spawn(scheduler.run_lease_sweeper(), "attempt-lease-sweeper")
    runtime.spawn(scheduler.run_launch_resumer(), "launch-resumer")


def build_spec() -> ServiceSpec:
    responders: list[Subscription] = []

    async def _start_test_call_responder(runtime: Runtime) -> None:
        scheduler: Scheduler = runtime.components["scheduler"]
        responders.append(await subscribe_test_call_responder(runtime.broker.connection, scheduler))

    async def _stop_test_call_responder(runtime: Runtime) -> None:
        while responders:
            await responders.pop().unsubscribe()

    return ServiceSpec(
        name="scheduler",
        route_handlers=[DidController, ProgramController, ExecutionController, CallingLimitsController],
        migrations=MIGRATIONS,
        wire=_wire,
        register_subscribers=events.register,
        on_start=[_start_dispatcher, _start_test_call_responder],
        on_stop=[_stop_test_call_responder],
        openapi_description=OPENAPI_DESCRIPTION,
    )
