"""Every benchmark suite runs end to end in a tiny configuration: the bench code works.

These prove structure and zero failures, never speed (the figures are the benchmark's job).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from callcast_runtime.gc_tuning import DEFAULT_THRESHOLDS
from callcast_stack import bench, bench_store

pytestmark = pytest.mark.integration


def run_suite(tmp_path: Path, *argv: str) -> tuple[int, dict[str, Any]]:
    output = tmp_path / "bench.json"
    code = bench.main([*argv, "--output", str(output)])
    return code, json.loads(output.read_text())


def assert_checks(suite: dict[str, Any]) -> None:
    assert "error" not in suite, suite.get("traceback")
    assert suite["checks"]
    for c in suite["checks"]:
        assert {"name", "value", "limit", "op", "passed"} <= c.keys()
    assert suite["passed"] == all(c["passed"] for c in suite["checks"])


def test_media_suite_runs_real_calls_with_echo_digits_and_listeners(tmp_path: Path, sipp_installed: str) -> None:
    code, result = run_suite(tmp_path, "media", "--calls", "5", "--media-seconds", "1")
    media = result["suites"]["media"]
    assert_checks(media)
    assert code == 1  # 5 calls cannot meet the 500-call limit: the suite says so
    assert not media["passed"]
    # Each call count runs against both far ends: the even echo peer, then SIPp's own echo.
    assert [s["far_end"] for s in media["stages"]] == ["even", "sipp"]
    for stage in media["stages"]:
        assert stage["calls"] == stage["calls_answered"] == 5
        assert stage["failed_calls"] == 0
        assert stage["frames_sent"] == 5 * 50
        assert stage["echo_lost"] == 0
        assert stage["listener_calls"] == stage["frames_sent"]  # the listener saw every echo
        assert stage["digits_pressed"] > 0
        assert stage["digits_lost"] == 0
        assert stage["send_lateness_ms"]["frames"] == 250
        assert stage["raw_udp_sendto_per_second"] > 0
        assert set(stage["gc_pauses_while_playing"]) <= {"gen0", "gen1", "gen2"}
    assert media["stages"][0]["echo_dropped_at_sipp_socket"] == 0  # SIPp's media socket unused
    assert set(media["with_sipp_echo"]["p99_send_lateness_ms"]) == {"5"}  # JSON object keys
    assert result["machine"]["gc_tuning"]["thresholds"] == list(DEFAULT_THRESHOLDS)
    assert media["sipp_counts"] == {"successful": 10, "failed": 0}
    assert result["machine"]["load_average"]


def test_setup_suite_sustains_a_small_rate_without_failures(tmp_path: Path, sipp_installed: str) -> None:
    code, result = run_suite(tmp_path, "setup", "--rate", "20", "--seconds", "2", "--hold", "0.05")
    setup = result["suites"]["setup"]
    assert_checks(setup)
    assert setup["calls_started"] == 40
    assert setup["calls_ok"] == 40
    assert setup["failed_calls"] == 0
    assert setup["sipp_counts"] == {"successful": 40, "failed": 0}
    assert setup["setup_latency_ms"]["p50"] > 0
    assert code == 1  # 20 calls/s is under the 200 calls/s limit


def test_store_suite_measures_every_figure(tmp_path: Path) -> None:
    code, result = run_suite(tmp_path, "store", "--events", "200")
    store = result["suites"]["store"]
    assert_checks(store)
    names = ("append_awaited", "attempt_gate", "publish_pipelined", "ordered_apply")
    for name in names:
        assert store[name]["per_second"] > 0
    # Whether 200 events reach the rates is the benchmark's business (speed is never asserted
    # here); that each figure is checked against its own limit, and the exit code follows, is ours.
    assert [c["name"] for c in store["checks"]] == [f"{name}_per_second" for name in names]
    for c, name in zip(store["checks"], names, strict=True):
        assert c["value"] == store[name]["per_second"]
        assert (c["op"], c["limit"]) == (">=", bench_store.LIMITS[c["name"]])
        assert c["passed"] == (c["value"] >= c["limit"])
    assert code == (0 if store["passed"] else 1)


def test_amd_suite_reports_the_detector_benchmark(tmp_path: Path) -> None:
    code, result = run_suite(tmp_path, "amd", "--clips", "8")
    amd = result["suites"]["amd"]
    assert "missing" not in amd, amd.get("missing")
    assert "error" not in amd, amd.get("traceback")
    assert isinstance(amd["passed"], bool)
    assert code == (0 if amd["passed"] else 1)


def test_unknown_suites_are_refused() -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["mediaa"])


def test_no_suite_means_all_and_the_output_is_named_after_them() -> None:
    args = bench.parse_args([])
    assert args.suites == list(bench.SUITES)
    assert args.output.parent == Path("bench-results")
    assert args.output.name.startswith("bench-all-")
    assert bench.parse_args(["setup", "media"]).output.name.startswith("bench-setup-media-")


def test_dispatch_suite_launches_a_real_execution_and_counts_every_dial_command_once(tmp_path: Path) -> None:
    code, result = run_suite(tmp_path, "dispatch", "--contacts", "300")
    dispatch = result["suites"]["dispatch"]
    assert_checks(dispatch)
    assert dispatch["dial_commands"] == 300
    assert dispatch["exactly_once"] == {"attempt_subjects": 300, "stored_dial_commands": 300, "passed": True}
    assert [c["name"] for c in dispatch["checks"]] == [
        "launch_to_first_dial_s",
        "dial_commands_per_second",
        "dial_commands_exactly_once",
    ]
    assert code == (0 if dispatch["passed"] else 1)
