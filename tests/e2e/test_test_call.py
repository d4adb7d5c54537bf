"""A test call (`POST /flows/execute`) through the gateway: flow service → scheduler → dialer →
a SIPp callee that answers; the call report follows the job the API answered with."""

from __future__ import annotations

import time
from pathlib import Path

from callcast_stack.audio import synthesize_prompt
from callcast_stack.client import JSON, ApiError, CallcastClient, resource_id
from callcast_stack.demo import demo_flow_graph


def _final_report(api: CallcastClient, job_id: str, *, timeout_s: float) -> JSON:
    """The job's report once its status is final and its flow finished (404 until reporting has
    seen the call). Both: the status follows the scheduler's verdict (PROGRAMS stream) and the
    flow the call's events (CALLS), projected apart, so one can be shown before the other."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            report = api.get_call_report(job_id)
        except ApiError as err:
            if err.status != 404 or time.monotonic() >= deadline:
                raise
        else:
            final = report["status"] in ("completed", "failed")
            flow_done = (report.get("flowExecution") or {}).get("flowCompletedAt") is not None
            if (final and flow_done) or time.monotonic() >= deadline:
                return report
        time.sleep(0.25)


def test_a_test_call_to_an_inline_contact_plays_the_flow_and_reports_one_completed_attempt(
    gateway_client: CallcastClient, tmp_path: Path
) -> None:
    api = gateway_client
    prompt = synthesize_prompt("This is a test call.", tmp_path / "prompt.wav")
    audio_id = resource_id(api.upload_audio(prompt.path, "Test call prompt"))
    flow_id = resource_id(api.create_flow("Test call flow", demo_flow_graph(audio_id)))
    did_id = resource_id(api.create_did("+212522009901", "MA"))

    answer = api.post(
        "/flows/execute",
        {
            "flowId": flow_id,
            "contact": {"primaryPhone": "+212600009901", "firstName": "Test", "lastName": "Caller"},
            "didId": did_id,
            "variables": {"greeting": "hello"},
        },
    )
    assert answer["status"] == "queued", answer
    job_id = answer["jobId"]

    report = _final_report(api, job_id, timeout_s=90)

    assert report["jobId"] == job_id
    assert (report["outcome"], report["status"]) == ("completed", "completed"), report
    path = [entry["nodeId"] for entry in report["flowExecution"]["executionPath"]]
    assert path == ["dial-1", "play-1", "hangup-1"]
    assert len(report["attempts"]) == 1, report["attempts"]
    assert report["call"]["durationMs"] > 0

    calls = api.list_calls(jobId=job_id)
    assert [row["jobId"] for row in calls["data"]] == [job_id], calls
