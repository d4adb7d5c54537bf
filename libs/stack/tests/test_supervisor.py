"""The supervisor, driven with fake services (stdlib HTTP servers honouring the contract)."""

from __future__ import annotations

import io
import signal
import time
from pathlib import Path

import httpx
import pytest

from callcast_stack.services import SERVICES, ServiceSpec
from callcast_stack.supervisor import ServiceFailedToStart, Supervisor

pytestmark = pytest.mark.integration

TWO = (ServiceSpec("gateway", "callcast_gateway", 8080), ServiceSpec("contact", "callcast_contact", 8101))


def supervisor(tmp_path: Path, echo: io.StringIO | None = None, **kwargs: object) -> Supervisor:
    options: dict[str, object] = {"specs": TWO, "echo": echo, "stop_grace_s": 3.0, "ready_timeout_s": 20.0}
    options.update(kwargs)
    return Supervisor(
        nats_url="nats://127.0.0.1:1",
        database_url="postgresql://nobody@127.0.0.1:1/none",
        logs_dir=tmp_path / "logs",
        **options,  # type: ignore[arg-type]
    )


def test_services_start_ready_with_the_contract_environment(fake_services_env: Path, tmp_path: Path) -> None:
    sup = supervisor(tmp_path, sip_trunk="127.0.0.1:5999", log_format="console", extra_env={"OTEL_X": "1"})
    with sup:
        env = httpx.get(sup.url("gateway") + "/env").json()
    assert env["NATS_URL"] == "nats://127.0.0.1:1"
    assert env["DATABASE_URL"] == "postgresql://nobody@127.0.0.1:1/none"
    assert env["CALLCAST_HTTP_PORT"] == str(sup.services["gateway"].port)
    assert env["CALLCAST_CONTACT_URL"] == sup.url("contact")
    assert env["CALLCAST_SIP_TRUNK"] == "127.0.0.1:5999"
    assert env["CALLCAST_LOG_FORMAT"] == "console"
    assert env["OTEL_X"] == "1"


def test_otel_variables_pass_through_from_the_environment(
    fake_services_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    sup = supervisor(tmp_path)
    with sup:
        env = httpx.get(sup.url("contact") + "/env").json()
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318"


def test_output_is_prefixed_by_service_and_teed_to_its_log_file(fake_services_env: Path, tmp_path: Path) -> None:
    echo = io.StringIO()
    with supervisor(tmp_path, echo=echo) as sup:
        port = sup.services["contact"].port
    lines = echo.getvalue().splitlines()
    assert f"contact | listening on 127.0.0.1:{port}" in lines
    assert "gateway | a line on stderr" in lines
    assert "\x1b[" not in echo.getvalue()  # not a terminal: no colours
    log = (tmp_path / "logs" / "contact.log").read_text().splitlines()
    assert f"listening on 127.0.0.1:{port}" in log
    assert "stopping on SIGTERM" in log  # stopped with SIGTERM, and the pump drained it


def test_prefixes_are_padded_to_the_longest_service_name(fake_services_env: Path, tmp_path: Path) -> None:
    echo = io.StringIO()
    with supervisor(tmp_path, echo=echo, specs=SERVICES):
        pass
    assert any(line.startswith("contact   | ") for line in echo.getvalue().splitlines())
    assert any(line.startswith("reporting | ") for line in echo.getvalue().splitlines())


def test_start_waits_until_every_service_is_ready(
    fake_services_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CONTACT_READY_AFTER_S", "1.0")
    began = time.monotonic()
    with supervisor(tmp_path) as sup:
        assert time.monotonic() - began >= 1.0
        assert httpx.get(sup.url("contact") + "/health/ready").status_code == 200


def test_a_service_that_exits_while_starting_fails_the_start_with_its_output(
    fake_services_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CONTACT_EXIT_CODE", "3")
    sup = supervisor(tmp_path)
    with pytest.raises(ServiceFailedToStart, match=r"contact .* exited with code 3") as err:
        sup.start()
    assert "failing on purpose" in str(err.value)
    gateway = sup.services["gateway"].process
    assert gateway is not None
    assert gateway.poll() is not None


def test_a_service_that_never_gets_ready_times_out(
    fake_services_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_GATEWAY_READY_AFTER_S", "60")
    sup = supervisor(tmp_path, ready_timeout_s=1.0)
    with pytest.raises(ServiceFailedToStart, match="not ready after 1 s: gateway"):
        sup.start()


def test_a_service_ignoring_sigterm_is_killed_after_the_grace_period(
    fake_services_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_CONTACT_IGNORE_SIGTERM", "1")
    sup = supervisor(tmp_path, stop_grace_s=0.5)
    sup.start()
    began = time.monotonic()
    sup.stop()
    assert time.monotonic() - began < 3
    contact = sup.services["contact"].process
    assert contact is not None
    assert contact.returncode == -signal.SIGKILL


def test_killed_service_is_not_a_crash_and_restarts_on_the_same_port(fake_services_env: Path, tmp_path: Path) -> None:
    with supervisor(tmp_path) as sup:
        port, pid = sup.services["contact"].port, sup.services["contact"].pid
        assert sup.kill("contact") == -signal.SIGKILL
        assert sup.crashed() == {}
        sup.restart("contact", env={"CALLCAST_SIP_TRUNK": "127.0.0.1:6000"})
        assert sup.services["contact"].port == port
        assert sup.services["contact"].pid != pid
        env = httpx.get(sup.url("contact") + "/env").json()
        assert env["CALLCAST_SIP_TRUNK"] == "127.0.0.1:6000"


def test_an_unexpected_exit_is_reported_as_a_crash(fake_services_env: Path, tmp_path: Path) -> None:
    with supervisor(tmp_path) as sup:
        process = sup.services["gateway"].process
        assert process is not None
        process.send_signal(signal.SIGKILL)  # not through the supervisor
        process.wait()
        assert sup.crashed() == {"gateway": -signal.SIGKILL}


def test_a_pinned_port_in_use_is_reported_clearly(fake_services_env: Path, tmp_path: Path) -> None:
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        sup = supervisor(tmp_path, ports={"gateway": port})
        with pytest.raises(ServiceFailedToStart, match=f"port {port} for the gateway is already in use"):
            sup.start()
