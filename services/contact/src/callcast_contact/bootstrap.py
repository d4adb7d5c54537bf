"""Wires the contact service: routes, migrations, outbox, and the unit of work handlers use."""

from __future__ import annotations

from pathlib import Path

from litestar.di import NamedDependency, Provide

from callcast_contact.adapters.unit_of_work import UnitOfWork
from callcast_contact.entrypoints.http import OPENAPI_DESCRIPTION, ROUTES
from callcast_runtime.service import Runtime, ServiceSpec

SERVICE_NAME = "contact"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def unit_of_work(runtime: NamedDependency[Runtime]) -> UnitOfWork:
    return UnitOfWork(runtime.db, runtime.relay)


def build_spec() -> ServiceSpec:
    return ServiceSpec(
        name=SERVICE_NAME,
        route_handlers=ROUTES,
        migrations=MIGRATIONS,
        uses_database=True,
        uses_outbox=True,
        openapi_description=OPENAPI_DESCRIPTION,
        extra_dependencies={"uow": Provide(unit_of_work, sync_to_thread=False)},
    )
