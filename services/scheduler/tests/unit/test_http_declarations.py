"""The HTTP API is declared explicitly (no litestar deprecation warnings) and documented."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from litestar import Litestar

from callcast_runtime.service import create_app
from callcast_runtime.settings import load_settings
from callcast_scheduler.bootstrap import build_spec

pytestmark = pytest.mark.unit

CREATED = {"createDid", "createProgram", "launchProgram"}


def _app() -> Litestar:
    return create_app(build_spec(), load_settings("scheduler"))


def _operations() -> list[dict[str, Any]]:
    schema = _app().openapi_schema.to_schema()
    return [op for path in schema["paths"].values() for op in path.values()]


def test_building_the_app_raises_no_deprecation_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _app()


def test_every_operation_has_an_id_and_a_summary() -> None:
    operations = _operations()
    ids = [op.get("operationId") for op in operations]
    assert all(ids)
    assert len(set(ids)) == len(ids)
    assert {
        "createDid",
        "listDids",
        "listAvailableDids",
        "assignDid",
        "createProgram",
        "launchProgram",
        "getProgramExecution",
        "getCallingLimits",
        "putCallingLimits",
    } <= set(ids)
    assert all(op.get("summary") for op in operations)


def test_creating_answers_201_and_everything_else_200() -> None:
    for op in _operations():
        success = {code for code in op["responses"] if code.startswith("2")}
        assert success == ({"201"} if op["operationId"] in CREATED else {"200"}), op["operationId"]


def test_every_operation_documents_its_errors_as_problem_documents() -> None:
    for op in _operations():
        for code in ("400", "401"):
            assert "application/problem+json" in op["responses"][code]["content"], (op["operationId"], code)
    launch = next(op for op in _operations() if op["operationId"] == "launchProgram")
    assert {"404", "409"} <= set(launch["responses"])


def test_list_parameters_keep_their_documented_names() -> None:
    listing = next(op for op in _operations() if op["operationId"] == "listDids")
    names = [p["name"] for p in listing["parameters"]]
    assert names == ["page", "limit", "search", "sortBy", "sortOrder", "status", "isShared", "organizationId"]
