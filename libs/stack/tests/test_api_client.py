"""The thin API client: ids from create answers, problem documents as errors, polling."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from callcast_stack.client import ApiError, CallcastClient, call_report_settled, execution_settled, resource_id

pytestmark = pytest.mark.unit


def client_answering(handler: object) -> CallcastClient:
    return CallcastClient("http://gw/api", "key-1", transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_requests_carry_the_api_key_and_go_under_api() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={"id": "c-1"})

    with client_answering(handler) as api:
        assert resource_id(api.create_contact("+212600000001", firstName="Demo")) == "c-1"
    assert seen[0].url == "http://gw/api/contact"
    assert seen[0].headers["X-API-Key"] == "key-1"
    assert json.loads(seen[0].content) == {"primaryPhone": "+212600000001", "firstName": "Demo"}


def test_a_problem_document_becomes_an_api_error_with_its_code() -> None:
    problem = {
        "code": "VALIDATION_FAILED",
        "message": "Validation failed",
        "statusCode": 400,
        "fieldErrors": {"primaryPhone": ["must be E.164"]},
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=problem, headers={"content-type": "application/problem+json"})

    with client_answering(handler) as api, pytest.raises(ApiError) as err:
        api.create_contact("0612")
    assert err.value.status == 400
    assert err.value.code == "VALIDATION_FAILED"
    assert "primaryPhone" in str(err.value)


def test_audio_upload_is_multipart_with_file_and_title(tmp_path: Path) -> None:
    wav = tmp_path / "prompt.wav"
    wav.write_bytes(b"RIFF....WAVE")
    bodies: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        bodies.append(request.read())
        assert request.headers["content-type"].startswith("multipart/form-data")
        return httpx.Response(201, json={"id": "a-1"})

    with client_answering(handler) as api:
        assert api.upload_audio(wav, "Demo prompt")["id"] == "a-1"
    assert b'name="file"; filename="prompt.wav"' in bodies[0]
    assert b'name="title"' in bodies[0]
    assert b"Demo prompt" in bodies[0]


def test_waiting_for_an_execution_polls_until_nothing_is_pending_or_in_progress() -> None:
    answers = iter(
        [
            {"status": "running", "totalContacts": 0, "contactsPending": 0, "contactsInProgress": 0},
            {"status": "running", "totalContacts": 1, "contactsPending": 0, "contactsInProgress": 1},
            {"status": "completed", "totalContacts": 1, "contactsPending": 0, "contactsInProgress": 0},
        ]
    )
    progress: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    with client_answering(handler) as api:
        final = api.wait_for_execution("e-1", interval_s=0.0, on_progress=lambda e: progress.append(str(e["status"])))
    assert final["status"] == "completed"
    assert progress == ["running", "running", "completed"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [({"id": "x"}, "x"), ({"contact": {"id": "y"}, "attributeErrors": []}, "y"), ({"data": {"id": "z"}}, "z")],
)
def test_resource_id_reads_bare_and_wrapped_create_answers(body: dict[str, object], expected: str) -> None:
    assert resource_id(body) == expected


def test_an_execution_that_has_not_counted_its_audience_is_not_settled() -> None:
    assert not execution_settled({"status": "running", "totalContacts": 0})
    assert execution_settled({"status": "completed", "totalContacts": 0})


def test_a_call_report_is_final_once_the_job_is_final_and_the_call_ended() -> None:
    ended = {"terminatedAt": "2026-01-01T00:00:00Z"}
    assert not call_report_settled({"status": "active", "outcome": None, "call": {"terminatedAt": None}})
    assert not call_report_settled({"status": "active", "outcome": "completed", "call": {"terminatedAt": None}})
    # The call ended but the scheduler has not decided yet (a retry may follow).
    assert not call_report_settled({"status": "active", "outcome": "busy", "call": ended})
    assert call_report_settled({"status": "completed", "outcome": "completed", "call": ended})
    assert call_report_settled({"status": "failed", "outcome": "failed", "call": None})
