"""The demo's campaign as a test: one contact, dial → play → hangup, a SIPp callee that answers."""

from __future__ import annotations

from pathlib import Path

from callcast_stack.audio import synthesize_prompt
from callcast_stack.client import CallcastClient
from callcast_stack.demo import run_one_call_campaign


def test_an_answered_call_plays_the_prompt_hangs_up_and_completes(
    gateway_client: CallcastClient, tmp_path: Path
) -> None:
    prompt = synthesize_prompt("Hello from the end to end tests.", tmp_path / "prompt.wav")

    execution, report = run_one_call_campaign(gateway_client, prompt.path, timeout_s=120)

    assert execution["contactsCompleted"] == 1
    assert report["outcome"] == "completed", report
    path = [entry["nodeId"] for entry in report["flowExecution"]["executionPath"]]
    assert path == ["dial-1", "play-1", "hangup-1"]
    assert report["call"]["durationMs"] > 0
