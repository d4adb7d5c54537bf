"""The route table: the first segment after /api decides the owning service."""

from __future__ import annotations

import pytest

from callcast_gateway.domain.routing import ROUTE_TABLE, owning_service, routed_services

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("path", "service"),
    [
        ("/api/contact", "contact"),
        ("/api/contact/upsert", "contact"),
        ("/api/custom-attributes/3f1c", "contact"),
        ("/api/audience/1/add-contacts", "contact"),
        ("/api/flows", "flow"),
        ("/api/flows/validate", "flow"),
        ("/api/audio-management/upload", "flow"),
        ("/api/dictionaries/1/entries", "flow"),
        ("/api/dids", "scheduler"),
        ("/api/programs/1/launch", "scheduler"),
        ("/api/program-executions/1/pause", "scheduler"),
        ("/api/call-requests", "scheduler"),
        ("/api/calling-limits", "scheduler"),
        ("/api/calls", "reporting"),
        ("/api/call-report/job-1", "reporting"),
        ("/api/recordings/0192f0c1-5a1e-7000-8000-00000000e001", "reporting"),
        ("/api/program-execution/1/report", "reporting"),
        ("/api/executions", "reporting"),
        ("/api/contact/", "contact"),
        ("/api//contact", "contact"),
    ],
)
def test_documented_resources_go_to_their_service(path: str, service: str) -> None:
    assert owning_service(path) == service


@pytest.mark.parametrize(
    "path",
    [
        "/api",
        "/api/",
        "/api/nowhere",
        "/api/Contact",
        "/api/users/me",
        "/api/auth/api-keys",
        "/contact",
        "/apix/contact",
        "/api/contact/../auth",
        "/api/./contact",
        "/api/..",
    ],
)
def test_anything_else_has_no_owner(path: str) -> None:
    assert owning_service(path) is None


def test_singular_program_execution_is_reporting_and_plural_is_scheduler() -> None:
    assert ROUTE_TABLE["program-execution"] == "reporting"
    assert ROUTE_TABLE["program-executions"] == "scheduler"


def test_gateway_routes_to_the_four_api_serving_services() -> None:
    assert routed_services() == {"contact", "flow", "scheduler", "reporting"}
