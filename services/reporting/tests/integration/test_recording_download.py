"""``GET /api/recordings/{recordingId}`` serves what the dialer stored, to its organization only.

The recording is written by the dialer's own ``RecordingStore`` (not a copy of its naming), so
this test fails if writer and reader ever disagree on the object store contract.
"""

from __future__ import annotations

import io
import uuid
import wave
from typing import Any

import numpy as np
import pytest
from nats.aio.client import Client as NatsClient

from callcast_dialer.adapters.recording_store import RecordingStore
from callcast_telephony.media import Recording

pytestmark = pytest.mark.integration


def a_recording() -> Recording:
    t = np.arange(6400) / 8000
    pcm = (np.sin(2 * np.pi * 523.0 * t) * 7000).astype("<i2").tobytes()
    return Recording(pcm=pcm, duration_ms=800, ended_by="silence", speech_ms=600, started_at=0.0)


async def test_the_owner_downloads_the_recording_as_wav(client: Any, nc: NatsClient) -> None:
    org, attempt = str(uuid.uuid4()), str(uuid.uuid4())
    rec = a_recording()
    stored = await RecordingStore(nc.jetstream()).save(
        org_id=org, attempt_id=attempt, node_id="voicemail", node_execution_index=0, recording=rec
    )
    response = await client.get(f"/api/recordings/{stored.recording_id}", headers={"X-Callcast-Org-Id": org})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("audio/wav")
    assert response.content == rec.wav_bytes()
    with wave.open(io.BytesIO(response.content), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes()) == (8000, 1, 2, 6400)


async def test_another_organization_gets_404_as_for_a_missing_recording(client: Any, nc: NatsClient) -> None:
    org, attempt = str(uuid.uuid4()), str(uuid.uuid4())
    stored = await RecordingStore(nc.jetstream()).save(
        org_id=org, attempt_id=attempt, node_id="voicemail", node_execution_index=0, recording=a_recording()
    )
    for asker, rid in ((str(uuid.uuid4()), stored.recording_id), (org, str(uuid.uuid4()))):
        response = await client.get(f"/api/recordings/{rid}", headers={"X-Callcast-Org-Id": asker})
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["code"] == "RecordingNotFoundError"
        assert body["statusCode"] == 404
        assert org not in response.text  # nothing about the owner leaks


async def test_without_an_organization_nothing_is_served(client: Any) -> None:
    response = await client.get(f"/api/recordings/{uuid.uuid4()}")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_recording_id_must_be_a_uuid(client: Any) -> None:
    response = await client.get("/api/recordings/not-a-uuid", headers={"X-Callcast-Org-Id": str(uuid.uuid4())})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert "recordingId" in response.text
