"""End-to-end fixtures: the whole stack as separate processes, a SIPp callee as its SIP trunk.

- ``sip_callee`` (session): SIPp answering every call and echoing RTP; the stack's trunk.
- ``running_stack`` (session): every service started by the supervisor (see ``support.stack``);
  tests can kill and restart services (``running_stack.kill_service("dialer")``,
  ``running_stack.restart_service("dialer", env={"CALLCAST_SIP_TRUNK": other.trunk})``).
- ``create_org`` (session): ``create_org("Acme")`` runs ``python -m callcast_gateway create-org``
  against the stack's database and returns the new API key.
- ``gateway_client``: a :class:`CallcastClient` on the stack's API with the key of a brand-new
  organization (one per test: tests never see each other's data).
- ``anonymous_client``: the same API, no key.

Any test using ``running_stack`` is marked ``e2e``; when it fails, its report carries the tail of
every service's log. A missing SIPp fails these tests, it never skips them.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# `support` must import under any --import-mode (importlib mode adds nothing to sys.path).
sys.path.insert(0, str(Path(__file__).parent))

from support.failures import service_log_sections
from support.otlp import OtlpReceiver
from support.stack import start_test_stack

from callcast_stack.callee import BackgroundCallee
from callcast_stack.client import CallcastClient
from callcast_stack.org import create_org as run_create_org
from callcast_stack.stack import LocalStack


@pytest.fixture(scope="session")
def sip_callee(sipp_installed: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundCallee]:
    with BackgroundCallee("answer", log_dir=tmp_path_factory.mktemp("sipp")) as callee:
        yield callee


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Every process of the test stack exports its spans here (OTLP/HTTP)."""
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def running_stack(
    sipp_installed: str,
    sip_callee: BackgroundCallee,
    new_database: Callable[[], str],
    otlp_receiver: OtlpReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LocalStack]:
    stack = start_test_stack(
        state_dir=tmp_path_factory.mktemp("stack"),
        database_url=new_database(),
        sip_trunk=sip_callee.trunk,
        extra_env={"OTEL_EXPORTER_OTLP_ENDPOINT": otlp_receiver.endpoint, "OTEL_BSP_SCHEDULE_DELAY": "200"},
    )
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def create_org(running_stack: LocalStack) -> Callable[..., str]:
    def create(name: str | None = None) -> str:
        return run_create_org(
            name or f"Test org {uuid.uuid4().hex[:8]}",
            database_url=running_stack.database_url,
            nats_url=running_stack.nats_url,
            cwd=running_stack.options.cwd,
        )

    return create


@pytest.fixture
def gateway_client(running_stack: LocalStack, create_org: Callable[..., str]) -> Iterator[CallcastClient]:
    with CallcastClient(running_stack.api_url, create_org()) as client:
        yield client


@pytest.fixture
def anonymous_client(running_stack: LocalStack) -> Iterator[CallcastClient]:
    with CallcastClient(running_stack.api_url) as client:
        yield client


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests on the whole stack are end-to-end tests, whatever their file says (before ``-m``)."""
    for item in items:
        if "running_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.failed and "running_stack" in getattr(item, "fixturenames", ()):
        stack = getattr(item, "funcargs", {}).get("running_stack")
        if isinstance(stack, LocalStack):
            for title, text in service_log_sections(stack):
                report.sections.append((title, text))
