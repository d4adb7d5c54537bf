"""Recordings in the real JetStream object store: saved once per node execution, read per organization."""

from __future__ import annotations

import hashlib
import io
import uuid
import wave
from collections.abc import AsyncIterator

import nats
import numpy as np
import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from callcast_dialer.adapters.recording_store import (
    RECORDINGS_BUCKET,
    RecordingStore,
    open_recordings_bucket,
    recording_id_for,
)
from callcast_telephony.media import Recording

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(loop_scope="session")
async def js(nats_url: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    yield nc.jetstream()
    await nc.close()


def a_recording(seconds: float = 1.5, hz: float = 440.0) -> Recording:
    t = np.arange(int(seconds * 8000)) / 8000
    pcm = (np.sin(2 * np.pi * hz * t) * 9000).astype("<i2").tobytes()
    ms = int(seconds * 1000)
    return Recording(pcm=pcm, duration_ms=ms, ended_by="silence", speech_ms=ms - 200, started_at=1.0)


def ids() -> tuple[str, str]:
    return str(uuid.uuid4()), str(uuid.uuid4())


async def chunk_messages(js: JetStreamContext) -> int:
    info = await js.stream_info(f"OBJ_{RECORDINGS_BUCKET}")
    return info.state.messages


async def test_a_saved_recording_reopens_as_the_same_wav(js: JetStreamContext) -> None:
    store = RecordingStore(js)
    org, attempt = ids()
    rec = a_recording()
    stored = await store.save(
        org_id=org, attempt_id=attempt, node_id="leave_message", node_execution_index=0, recording=rec
    )

    assert stored.bucket == RECORDINGS_BUCKET
    assert stored.object_name == f"{org}/{stored.recording_id}.wav"
    assert stored.recording_id == recording_id_for(
        org_id=org, attempt_id=attempt, node_id="leave_message", node_execution_index=0
    )
    assert stored.duration_ms == 1500
    assert (stored.ended_by, stored.speech_ms, stored.content_type) == ("silence", 1300, "audio/wav")
    wav = await RecordingStore(js).open(org, stored.recording_id)  # another instance: nothing cached
    assert wav == rec.wav_bytes()
    assert stored.size_bytes == len(wav)
    assert stored.sha256 == hashlib.sha256(wav).hexdigest()
    with wave.open(io.BytesIO(wav), "rb") as w:
        assert (w.getframerate(), w.getnchannels(), w.getnframes()) == (8000, 1, 12000)

    info = await (await store.bucket()).get_info(stored.object_name)
    assert info.headers == {
        "Callcast-Org-Id": [org],
        "Callcast-Attempt-Id": [attempt],
        "Callcast-Node-Id": ["leave_message"],
        "Callcast-Node-Execution-Index": ["0"],
        "Callcast-Duration-Ms": ["1500"],
        "Callcast-Speech-Ms": ["1300"],
        "Callcast-Ended-By": ["silence"],
        "Content-Type": ["audio/wav"],
    }


async def test_a_retried_save_is_not_a_duplicate(js: JetStreamContext) -> None:
    store = RecordingStore(js)
    org, attempt = ids()
    rec = a_recording()
    first = await store.save(org_id=org, attempt_id=attempt, node_id="r", node_execution_index=2, recording=rec)
    messages = await chunk_messages(js)
    again = await RecordingStore(js).save(
        org_id=org, attempt_id=attempt, node_id="r", node_execution_index=2, recording=rec
    )
    assert again == first
    assert await chunk_messages(js) == messages  # the identical retry wrote nothing

    # A different take for the same node execution replaces the object: still one, old chunks gone.
    other = a_recording(seconds=0.5, hz=880.0)
    replaced = await store.save(org_id=org, attempt_id=attempt, node_id="r", node_execution_index=2, recording=other)
    assert replaced.recording_id == first.recording_id
    assert await store.open(org, first.recording_id) == other.wav_bytes()
    names = [o.name for o in await (await store.bucket()).list() if o.name.startswith(f"{org}/")]
    assert names == [first.object_name]
    # One meta message (rolled up) and one chunk before and after: the old take's chunk was purged.
    assert len(rec.wav_bytes()) < 128 * 1024
    assert await chunk_messages(js) == messages


async def test_each_node_execution_gets_its_own_recording(js: JetStreamContext) -> None:
    store = RecordingStore(js)
    org, attempt = ids()
    rec = a_recording(0.2)
    saved = {
        (node, n): (
            await store.save(org_id=org, attempt_id=attempt, node_id=node, node_execution_index=n, recording=rec)
        )
        for node in ("record_a", "record/b")
        for n in (0, 1)
    }
    assert len({s.recording_id for s in saved.values()}) == 4
    _, other_attempt = ids()
    elsewhere = await store.save(
        org_id=org, attempt_id=other_attempt, node_id="record_a", node_execution_index=0, recording=rec
    )
    assert elsewhere.recording_id != saved[("record_a", 0)].recording_id


async def test_another_organization_cannot_open_a_recording(js: JetStreamContext) -> None:
    store = RecordingStore(js)
    org, attempt = ids()
    intruder, _ = ids()
    stored = await store.save(
        org_id=org, attempt_id=attempt, node_id="r", node_execution_index=0, recording=a_recording(0.2)
    )
    assert await store.open(intruder, stored.recording_id) is None
    assert await store.open(org, str(uuid.uuid4())) is None
    assert await store.open(org, stored.recording_id) is not None


async def test_the_bucket_is_created_once_however_many_open_it(js: JetStreamContext) -> None:
    first = await open_recordings_bucket(js)
    second = await open_recordings_bucket(js)
    assert (await first.status()).bucket == (await second.status()).bucket == RECORDINGS_BUCKET
