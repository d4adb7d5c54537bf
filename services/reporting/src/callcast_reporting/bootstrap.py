"""Wires the reporting service: its routes, its two projections, its migrations and its outbox."""

from __future__ import annotations

from pathlib import Path

from callcast_reporting.entrypoints.events import views
from callcast_reporting.entrypoints.http import CallReportController
from callcast_reporting.entrypoints.recordings import RecordingController
from callcast_runtime.service import Runtime, ServiceSpec

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

DESCRIPTION = """\
Read models of Callcast: call reports per job and one row per call attempt, projected from the
call-event stream (CALLS) and the scheduler's job events (PROGRAMS). The views are eventually
consistent: a report appears shortly after its first event. Reporting also publishes the public
outcome events (`outcomes.<orgId>.job.<jobId>`, see docs/outcome-events.md).
"""


def build_spec(*, consumer_suffix: str = "") -> ServiceSpec:
    """The service; ``consumer_suffix`` renames its projections (tests that share a NATS server and
    a database with a running stack use it to stay apart)."""

    async def start_views(runtime: Runtime) -> None:
        projections = views(runtime, suffix=consumer_suffix)
        runtime.components["reporting_views"] = projections
        for view in projections:
            runtime.spawn(view.run(runtime.js, runtime.db), f"view-{view.name}")

    return ServiceSpec(
        name="reporting",
        route_handlers=[CallReportController, RecordingController],
        migrations=MIGRATIONS,
        uses_database=True,
        # CallOutcomeReported leaves through the outbox, committed with the projection change.
        uses_outbox=True,
        on_start=[start_views],
        openapi_description=DESCRIPTION,
    )
