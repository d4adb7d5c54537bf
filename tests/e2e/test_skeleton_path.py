"""The walking skeleton, for real: API → scheduler → JetStream → dialer → SIP/RTP to SIPp →
call events → reporting → call report through the gateway. Nothing is faked."""

from __future__ import annotations

import math
import secrets
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from support.otlp import OtlpReceiver

from callcast_stack.audio import synthesize_prompt
from callcast_stack.client import CallcastClient, resource_id
from callcast_stack.demo import demo_flow_graph
from callcast_stack.stack import LocalStack

PHONE = "+212600000042"
CALLER_ID = "+212500000042"


@dataclass
class Campaign:
    api: CallcastClient
    api_key: str
    contact_id: str
    audience_id: str
    audio: dict[str, Any]
    flow: dict[str, Any]
    program_id: str
    execution_id: str
    execution: dict[str, Any]
    job_id: str
    calls: dict[str, Any]
    report: dict[str, Any]
    trace_id: str
    prompt_seconds: float  # measured on the WAV the test uploaded, not taken from the API


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def campaign(
    running_stack: LocalStack, create_org: Callable[..., str], tmp_path_factory: pytest.TempPathFactory
) -> Campaign:
    api_key = create_org("Skeleton org")
    api = CallcastClient(running_stack.api_url, api_key)
    prompt = synthesize_prompt("Hello, this is Callcast calling.", tmp_path_factory.mktemp("audio") / "p.wav")
    with wave.open(str(prompt.path), "rb") as wav:
        prompt_seconds = wav.getnframes() / wav.getframerate()
    contact_id = resource_id(api.create_contact(PHONE, firstName="Amina", lastName="Skeleton"))
    audience_id = resource_id(api.create_audience("Skeleton audience"))
    api.add_contacts(audience_id, [contact_id])
    audio = api.upload_audio(prompt.path, "Skeleton prompt")
    flow = api.create_flow("Skeleton flow", demo_flow_graph(resource_id(audio)))
    did_id = resource_id(api.create_did(CALLER_ID, "MA"))
    program_id = resource_id(
        api.create_program("Skeleton campaign", flow_id=resource_id(flow), audience_id=audience_id, did_pool=[did_id])
    )
    trace_id = secrets.token_hex(16)
    launched = api.request(
        "POST", f"/programs/{program_id}/launch", headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    )
    assert launched.status_code in (200, 201), launched.text
    execution_id = launched.json()["executionId"]
    execution = api.wait_for_execution(execution_id, timeout_s=90)
    calls = api.list_calls(executionId=execution_id)
    job_id = calls["data"][0]["jobId"]
    report = api.wait_for_call_report(job_id, timeout_s=30)
    return Campaign(
        api=api,
        api_key=api_key,
        contact_id=contact_id,
        audience_id=audience_id,
        audio=audio,
        flow=flow,
        program_id=program_id,
        execution_id=execution_id,
        execution=execution,
        job_id=job_id,
        calls=calls,
        report=report,
        trace_id=trace_id,
        prompt_seconds=prompt_seconds,
    )


def test_execution_counters_add_up_to_total_contacts(campaign: Campaign) -> None:
    ex = campaign.api.get_execution(campaign.execution_id)
    assert ex["id"] == campaign.execution_id
    assert ex["programId"] == campaign.program_id
    assert ex["audienceId"] == campaign.audience_id
    assert ex["flowId"] == campaign.flow["id"]
    assert ex["totalContacts"] == 1
    assert ex["contactsCompleted"] == 1
    assert ex["contactsFailed"] == 0
    assert ex["contactsPending"] == 0
    assert ex["contactsInProgress"] == 0
    assert (
        ex["contactsCompleted"] + ex["contactsFailed"] + ex["contactsPending"] + ex["contactsInProgress"]
        == ex["totalContacts"]
    )
    assert ex["actualStartAt"] is not None


def test_calls_list_the_executions_attempt_with_its_job_id(campaign: Campaign) -> None:
    calls = campaign.calls
    assert calls["meta"]["total"] == 1
    assert calls["meta"]["page"] == 1
    row = calls["data"][0]
    assert row["jobId"] == campaign.job_id
    assert row["executionId"] == campaign.execution_id
    assert row["to"] == PHONE
    assert row["from"] == CALLER_ID
    final = campaign.api.list_calls(executionId=campaign.execution_id)["data"][0]
    assert final["outcome"] == "completed"


def test_call_report_has_every_documented_field(campaign: Campaign) -> None:
    r = campaign.report
    assert r["jobId"] == campaign.job_id
    assert r["status"] == "completed"
    assert r["outcome"] == "completed"
    assert r["outcomeReason"] is None
    assert "answeredBy" in r

    assert len(r["attempts"]) == 1
    attempt = r["attempts"][0]
    assert attempt["attemptNumber"] == 1
    assert attempt["outcome"] == "completed"
    assert attempt["from"] == CALLER_ID
    assert attempt["to"] == PHONE
    assert attempt["sipStatus"] == 200

    call = r["call"]
    assert call["direction"] == "outbound"
    assert call["from"] == CALLER_ID
    assert call["to"] == PHONE
    assert call["status"] == "completed"
    dialed, answered, ended = _ts(call["dialedAt"]), _ts(call["answeredAt"]), _ts(call["terminatedAt"])
    assert _ts(call["createdAt"]) <= dialed <= answered <= ended
    assert call["durationMs"] == pytest.approx((ended - answered).total_seconds() * 1000, abs=50)
    assert call["durationMs"] >= campaign.audio["durationSeconds"] * 1000 * 0.9

    fx = r["flowExecution"]
    assert fx["flowId"] == campaign.flow["id"]
    assert fx["flowName"] == "Skeleton flow"
    assert fx["flowVersion"] == 1
    path = fx["executionPath"]
    assert [(e["nodeId"], e["nodeType"], e.get("outputPath")) for e in path] == [
        ("dial-1", "dial", "onAnswer"),
        ("play-1", "play", "onComplete"),
        ("hangup-1", "hangup", None),
    ]
    stamps = [_ts(e["timestamp"]) for e in path]
    assert stamps == sorted(stamps)
    assert fx["nodeExecutionCount"] == 3
    assert fx["finalVariables"] == {}
    assert _ts(fx["flowStartedAt"]) <= _ts(fx["flowCompletedAt"])

    types = [e["type"] for e in r["events"]]
    for expected in ("dial", "answer", "play", "hangup"):
        assert expected in types, types
    assert types.index("dial") < types.index("answer") < types.index("play") < types.index("hangup")
    event_times = [_ts(e["timestamp"]) for e in r["events"]]
    assert event_times == sorted(event_times)


def test_prompt_audio_came_back_complete_over_rtp(campaign: Campaign) -> None:
    """SIPp echoes every RTP packet: all of them came back, with no gap over 40 ms."""
    played = [e for e in campaign.report["events"] if e["type"] == "playback"]
    assert len(played) == 1, campaign.report["events"]
    media = played[0]["data"]
    assert campaign.audio["durationSeconds"] == pytest.approx(campaign.prompt_seconds, abs=0.02)
    expected_packets = math.ceil(campaign.prompt_seconds * 8000 / 160)
    assert abs(media["packetsSent"] - expected_packets) <= 1
    assert media["packetsReceived"] == media["packetsSent"]
    # SIPp's echo thread alone stalls for up to ~100 ms on a busy 2-core machine; frame counts are
    # checked exactly above, this only catches a stream that stopped.
    assert media["maxReceiveGapMs"] <= 250
    assert media["interrupted"] is False


def test_one_trace_follows_the_launch_through_every_service(campaign: Campaign, otlp_receiver: OtlpReceiver) -> None:
    wanted = {"callcast-gateway", "callcast-scheduler", "callcast-dialer", "callcast-reporting"}
    deadline = time.monotonic() + 15
    while not wanted <= otlp_receiver.services_in_trace(campaign.trace_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert wanted <= otlp_receiver.services_in_trace(campaign.trace_id)
    names = {s.name for s in otlp_receiver.spans_in_trace(campaign.trace_id)}
    assert any("dialer call" in n for n in names), names


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer cc_live_not-a-real-key"}, {"X-API-Key": "cc_live_not-a-real-key"}],
    ids=["missing", "wrong-bearer", "wrong-x-api-key"],
)
def test_missing_or_wrong_api_key_is_401_with_the_documented_body(
    running_stack: LocalStack, campaign: Campaign, headers: dict[str, str]
) -> None:
    response = httpx.get(f"{running_stack.api_url}/call-report/{campaign.job_id}", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["statusCode"] == 401
    assert body["error"] == "UNAUTHORIZED"
    assert body["code"] == "UNAUTHORIZED"
    assert body["message"]
    assert body["path"] == f"/api/call-report/{campaign.job_id}"
    assert _ts(body["timestamp"])


def test_both_key_headers_authenticate(running_stack: LocalStack, campaign: Campaign) -> None:
    key = campaign.api_key
    for headers in ({"Authorization": f"Bearer {key}"}, {"X-API-Key": key}, {"x-api-key": key}):
        response = httpx.get(f"{running_stack.api_url}/call-report/{campaign.job_id}", headers=headers)
        assert response.status_code == 200, headers


def test_another_organizations_ids_are_not_found(
    running_stack: LocalStack, campaign: Campaign, create_org: Callable[..., str]
) -> None:
    with CallcastClient(running_stack.api_url, create_org("Intruder org")) as other:
        for path in (
            f"/call-report/{campaign.job_id}",
            f"/program-executions/{campaign.execution_id}",
            f"/programs/{campaign.program_id}",
            f"/contact/{campaign.contact_id}",
            f"/audience/{campaign.audience_id}",
            f"/flows/{campaign.flow['id']}",
            f"/audio-management/{campaign.audio['id']}",
        ):
            response = other.request("GET", path)
            assert response.status_code == 404, (path, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
        assert other.list_calls(executionId=campaign.execution_id)["meta"]["total"] == 0


def test_uploaded_prompt_was_converted_to_telephony_audio(campaign: Campaign) -> None:
    assert campaign.audio["sampleRate"] == 8000
    assert campaign.audio["channels"] == 1
    assert campaign.audio["durationSeconds"] > 0.5
