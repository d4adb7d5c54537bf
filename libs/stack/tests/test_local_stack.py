"""The whole local stack (with fake services): backbone first, stack.json, orderly stop."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from callcast_stack.ports import free_port
from callcast_stack.processes import pid_is_alive
from callcast_stack.stack import LocalStack, StackAlreadyRunning, StackOptions

pytestmark = pytest.mark.integration


@pytest.fixture
def state_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh state dir (outside pytest's private tmp: PostgreSQL runs as another user as root),
    and no NATS_URL/DATABASE_URL, so the embedded path is what runs."""
    monkeypatch.delenv("NATS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    directory = Path(tempfile.mkdtemp(prefix="callcast-stack-test-"))
    monkeypatch.setenv("CALLCAST_STATE_DIR", str(directory))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


def wait_for(predicate: object, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_stack_starts_backbone_and_services_and_records_them(fake_services_env: Path, state_dir: Path) -> None:
    stack = LocalStack(StackOptions(state_dir=state_dir, durable=False, ready_timeout_s=30))
    info = stack.start()
    try:
        recorded = json.loads((state_dir / "stack.json").read_text())
        assert recorded["natsUrl"] == info.nats_url
        assert recorded["natsUrl"].startswith("nats://127.0.0.1:")
        assert recorded["databaseUrl"].endswith("/callcast")
        assert recorded["gatewayUrl"] == stack.gateway_url
        assert recorded["status"] == "ready"
        assert set(recorded["services"]) == {"gateway", "contact", "flow", "scheduler", "dialer", "reporting"}
        assert {"supervisor", "nats", "postgres", "gateway", "dialer"} <= set(recorded["pids"])
        with psycopg.connect(info.database_url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        assert httpx.get(stack.gateway_url + "/health/ready").status_code == 200
        with pytest.raises(StackAlreadyRunning):
            LocalStack(StackOptions(state_dir=state_dir)).start()
    finally:
        stack.stop()
    assert not (state_dir / "stack.json").exists()
    for name, pid in recorded["pids"].items():
        if name != "supervisor":
            assert not pid_is_alive(pid), f"{name} (pid {pid}) still runs"
    assert (state_dir / "logs" / "gateway.log").exists()
    assert (state_dir / "logs" / "nats.log").exists()
    assert (state_dir / "logs" / "postgres.log").exists()


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "callcast_stack", *args], capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_up_runs_until_interrupted_and_then_stops_everything(
    fake_services_env: Path, state_dir: Path, stop_signal: int
) -> None:
    port = free_port()
    up = subprocess.Popen(
        [sys.executable, "-m", "callcast_stack", "up", "--gateway-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CALLCAST_STATE_DIR": str(state_dir)},
    )
    try:
        stack_json = state_dir / "stack.json"
        wait_for(lambda: stack_json.exists() and json.loads(stack_json.read_text())["status"] == "ready")
        recorded = json.loads(stack_json.read_text())
        assert recorded["gatewayUrl"] == f"http://127.0.0.1:{port}"

        env = run_cli("env")
        assert env.returncode == 0, env.stderr
        assert f"export CALLCAST_GATEWAY_URL=http://127.0.0.1:{port}" in env.stdout
        assert f"export NATS_URL={recorded['natsUrl']}" in env.stdout

        org = run_cli("create-org", "Acme Inc")
        assert org.returncode == 0, org.stderr
        assert org.stdout.splitlines()[-1] == "cc_fake_key_for_Acme_Inc"
        assert recorded["databaseUrl"] in org.stdout  # ran against the stack's database

        again = run_cli("up", "--gateway-port", str(free_port()))
        assert again.returncode == 1
        assert "already runs" in again.stderr

        up.send_signal(stop_signal)
        output, _ = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 0, output
    assert "stopped." in output
    assert "gateway   | listening on" in output
    assert not stack_json.exists()
    for name, pid in recorded["pids"].items():
        assert not pid_is_alive(pid), f"{name} (pid {pid}) still runs"


def test_up_stops_the_stack_and_fails_when_a_service_crashes(fake_services_env: Path, state_dir: Path) -> None:
    up = subprocess.Popen(
        [sys.executable, "-m", "callcast_stack", "up", "--gateway-port", str(free_port())],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "CALLCAST_STATE_DIR": str(state_dir)},
    )
    try:
        stack_json = state_dir / "stack.json"
        wait_for(lambda: stack_json.exists() and json.loads(stack_json.read_text())["status"] == "ready")
        os.kill(json.loads(stack_json.read_text())["pids"]["flow"], signal.SIGKILL)
        output, _ = up.communicate(timeout=30)
    finally:
        if up.poll() is None:
            up.kill()
    assert up.returncode == 1
    assert "flow exited unexpectedly" in output


def test_commands_needing_a_stack_say_how_to_start_one(state_dir: Path) -> None:
    result = run_cli("create-org", "Nobody")
    assert result.returncode == 1
    assert "just up" in result.stderr


@pytest.mark.parametrize(("outcome", "exit_code"), [("completed", 0), ("failed", 1)])
def test_demo_runs_one_campaign_and_exits_by_the_calls_outcome(
    fake_services_env: Path,
    state_dir: Path,
    sipp_installed: str,
    outcome: str,
    exit_code: int,
) -> None:
    demo = subprocess.run(
        [sys.executable, "-m", "callcast_stack", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FAKE_OUTCOME": outcome},
    )
    assert demo.returncode == exit_code, demo.stdout + demo.stderr
    assert "execution completed" in demo.stdout
    assert f"outcome   {outcome}" in demo.stdout
    assert "dial-1 (onAnswer) → play-1 (onComplete) → hangup-1" in demo.stdout
    assert '"jobId": "job-1"' in demo.stdout
    assert (state_dir / "demo" / "prompt.wav").exists()
    assert not (state_dir / "demo" / "stack.json").exists()


def test_killing_the_supervisor_outright_leaves_no_orphan_process(fake_services_env: Path, state_dir: Path) -> None:
    up = subprocess.Popen(
        [sys.executable, "-m", "callcast_stack", "up", "--gateway-port", str(free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "CALLCAST_STATE_DIR": str(state_dir)},
    )
    try:
        stack_json = state_dir / "stack.json"
        wait_for(lambda: stack_json.exists() and json.loads(stack_json.read_text())["status"] == "ready")
        pids = json.loads(stack_json.read_text())["pids"]
    finally:
        up.kill()  # SIGKILL: no handler, no cleanup of its own
        up.wait()
    children = {name: pid for name, pid in pids.items() if name != "supervisor"}
    wait_for(lambda: not any(pid_is_alive(pid) for pid in children.values()), timeout_s=10)
