"""Small pure pieces: ports, stack.json, system tool checks, the demo's report summary."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from callcast_stack.demo import demo_flow_graph, summarize
from callcast_stack.ports import RESERVED_PORTS, free_ports
from callcast_stack.pytest_plugin import require_sipp
from callcast_stack.state import NoRunningStack, StackInfo, running_stack_info, workspace_root, write_stack_info
from callcast_stack.tools import ALL_TOOLS, MissingSystemTools, ensure_system_tools, install_instructions

pytestmark = pytest.mark.unit


def test_free_ports_are_distinct_and_never_the_well_known_ones() -> None:
    ports = free_ports(20)
    assert len(set(ports)) == 20
    assert not RESERVED_PORTS & set(ports)


def info(pid: int) -> StackInfo:
    return StackInfo(
        nats_url="nats://127.0.0.1:1",
        database_url="postgresql://p@127.0.0.1:2/callcast",
        gateway_url="http://127.0.0.1:8080",
        services={"gateway": "http://127.0.0.1:8080"},
        pids={"supervisor": pid},
        logs_dir="/x/logs",
    )


def test_stack_json_is_camel_case_and_round_trips(tmp_path: Path) -> None:
    path = write_stack_info(info(os.getpid()), tmp_path)
    raw = json.loads(path.read_text())
    assert {"natsUrl", "databaseUrl", "gatewayUrl", "services", "pids"} <= set(raw)
    assert running_stack_info(tmp_path) == info(os.getpid())


def test_a_stack_json_whose_supervisor_died_is_not_a_running_stack(tmp_path: Path) -> None:
    write_stack_info(info(2**22 + 12345), tmp_path)  # above pid_max: never alive
    with pytest.raises(NoRunningStack, match="no longer running"):
        running_stack_info(tmp_path)


def test_workspace_root_is_found_from_a_subdirectory() -> None:
    root = workspace_root(Path(__file__).parent)
    assert (root / "justfile").exists() or (root / "pyproject.toml").exists()
    assert "[tool.uv.workspace]" in (root / "pyproject.toml").read_text()


def test_missing_sipp_fails_the_test_instead_of_skipping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y sip-tester"):
        require_sipp()


def test_missing_tools_without_root_exit_non_zero_saying_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("callcast_stack.tools.can_install", lambda: False)
    with pytest.raises(MissingSystemTools) as exit_info:
        ensure_system_tools()
    assert exit_info.value.code == 1
    assert "sudo apt-get update && sudo apt-get install -y espeak-ng sip-tester sox" in capsys.readouterr().err


def test_install_instructions_name_each_tool_and_its_package() -> None:
    text = install_instructions(ALL_TOOLS)
    assert "sipp (Debian package sip-tester)" in text
    assert "espeak-ng (Debian package espeak-ng)" in text


def test_the_demo_flow_dials_plays_the_prompt_and_hangs_up() -> None:
    graph = demo_flow_graph("audio-1")
    assert graph["startNodeId"] == "dial-1"
    nodes = {n["id"]: n for n in graph["nodes"]}
    assert nodes["dial-1"]["outputs"] == {"onAnswer": "play-1"}
    assert nodes["dial-1"]["config"] == {"timeout": 30000, "enableAMD": False}
    assert nodes["play-1"]["config"]["items"] == [{"type": "audioFile", "audioId": "audio-1"}]
    assert nodes["play-1"]["outputs"] == {"onComplete": "hangup-1"}


def test_the_demo_summary_names_outcome_duration_and_path() -> None:
    report = {
        "outcome": "completed",
        "answeredBy": "human",
        "call": {"durationMs": 4200},
        "flowExecution": {
            "executionPath": [
                {"nodeId": "dial-1", "outputPath": "onAnswer"},
                {"nodeId": "play-1", "outputPath": "onComplete"},
                {"nodeId": "hangup-1"},
            ]
        },
    }
    text = summarize(report, {"status": "completed", "contactsCompleted": 1, "totalContacts": 1})
    assert "outcome   completed" in text
    assert "duration  4.2 s" in text
    assert "dial-1 (onAnswer) → play-1 (onComplete) → hangup-1" in text
