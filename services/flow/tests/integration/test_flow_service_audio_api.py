"""The audio API end to end: upload → conversion → object store + PostgreSQL + AudioUploaded."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import soundfile as sf
from litestar.testing import AsyncTestClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from callcast_contracts.envelope import decode
from callcast_contracts.events.flows import AudioUploaded

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]
MessagesOn = Callable[..., Awaitable[list[Msg]]]
MakeAudio = Callable[..., bytes]

UPLOAD = "/api/audio-management/upload"


async def upload(
    client: Client, headers: dict[str, str], data: bytes, name: str = "welcome.wav", **fields: Any
) -> dict[str, Any]:
    response = await client.post(UPLOAD, files={"file": (name, data, "audio/wav")}, data=fields, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_uploading_a_wav_stores_telephony_audio_and_publishes_audio_uploaded(
    client: Client,
    headers: dict[str, str],
    org_id: str,
    js: JetStreamContext,
    messages_on: MessagesOn,
    make_audio: MakeAudio,
) -> None:
    wav = make_audio(1.25, rate=44100, channels=2)

    audio = await upload(
        client, headers, wav, title="Welcome", description="Greeting", usageType="welcome", tags=["greeting", "fr"]
    )

    assert (audio["title"], audio["description"], audio["usageType"]) == ("Welcome", "Greeting", "welcome")
    assert audio["tags"] == ["greeting", "fr"]
    assert abs(audio["durationSeconds"] - 1.25) <= 0.02
    assert (audio["sampleRate"], audio["channels"], audio["bitDepth"]) == (8000, 1, 16)
    assert (audio["organizationId"], audio["originalFileName"]) == (org_id, "welcome.wav")
    assert audio["file"]["name"] == "welcome.wav"
    assert audio["file"]["contentType"] == "audio/wav"
    assert audio["file"]["fileSize"] == len(wav)
    assert audio["file"]["checksum"] == "sha256:" + hashlib.sha256(wav).hexdigest()
    assert audio["createdAt"].endswith("Z")

    bucket = await js.object_store("callcast-audio")
    ulaw_name = f"{org_id}/{audio['id']}.ulaw"
    samples = round(audio["durationSeconds"] * 8000)
    assert (await bucket.get_info(ulaw_name)).size == samples  # one μ-law byte per 8 kHz sample
    assert (await bucket.get_info(f"{org_id}/{audio['id']}.pcm16")).size == 2 * samples

    [msg] = await messages_on("FLOWS", f"flows.{org_id}.audio.{audio['id']}", expect=1)
    assert msg.headers is not None
    assert msg.headers["Nats-Msg-Id"] == f"audio-{audio['id']}-uploaded"
    event = decode(msg.data).data
    assert isinstance(event, AudioUploaded)
    assert (event.audio_id, event.title, event.object_name, event.codec) == (audio["id"], "Welcome", ulaw_name, "PCMU")
    assert event.duration_ms == round(audio["durationSeconds"] * 1000)


async def test_the_stream_is_the_converted_audio_as_an_8k_mono_wav(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    audio = await upload(client, headers, make_audio(0.5, rate=16000, channels=1))

    response = await client.get(f"/api/audio-management/{audio['id']}/stream", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("audio/wav")
    info = sf.info(io.BytesIO(response.content))
    assert (info.samplerate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert info.frames == round(audio["durationSeconds"] * 8000)


async def test_an_mp3_upload_is_converted_too(client: Client, headers: dict[str, str], make_audio: MakeAudio) -> None:
    mp3 = make_audio(1.0, rate=44100, channels=2, fmt="MP3", subtype="MPEG_LAYER_III")
    response = await client.post(UPLOAD, files={"file": ("promo.mp3", mp3, "audio/mpeg")}, headers=headers)
    assert response.status_code == 201, response.text
    audio = response.json()
    assert (audio["title"], audio["usageType"], audio["tags"]) == ("promo", "other", None)
    assert audio["file"]["contentType"] == "audio/mpeg"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"just some text, definitely not audio", "not a readable audio file"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00", "not a readable audio file"),
    ],
)
async def test_empty_corrupt_or_non_audio_files_are_refused_naming_file(
    client: Client, headers: dict[str, str], content: bytes, message: str
) -> None:
    response = await client.post(UPLOAD, files={"file": ("x.wav", content, "audio/wav")}, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert message in body["fieldErrors"]["file"][0]


async def test_a_file_over_20_mb_is_refused_with_413(client: Client, headers: dict[str, str]) -> None:
    just_over = bytes(20 * 1024 * 1024 + 1)
    far_over = bytes(25 * 1024 * 1024)

    for content in (just_over, far_over):
        response = await client.post(UPLOAD, files={"file": ("big.wav", content, "audio/wav")}, headers=headers)
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"usageType": "jingle"}, "usageType"),
        ({"title": "t" * 256}, "title"),
        ({"description": "d" * 501}, "description"),
        ({"tags": "x" * 65}, "tags"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_bad_upload_fields_are_refused_naming_the_field(
    client: Client, headers: dict[str, str], make_audio: MakeAudio, fields: dict[str, str], field: str
) -> None:
    response = await client.post(
        UPLOAD, files={"file": ("a.wav", make_audio(0.1), "audio/wav")}, data=fields, headers=headers
    )
    assert response.status_code == 400
    assert field in response.json()["fieldErrors"]


async def test_an_upload_without_a_file_part_is_refused_naming_file(client: Client, headers: dict[str, str]) -> None:
    for response in (
        await client.post(UPLOAD, files={"title": (None, "no file")}, headers=headers),
        await client.post(UPLOAD, data={"file": "not a file"}, headers=headers),
        await client.post(UPLOAD, json={"file": "x"}, headers=headers),
    ):
        assert response.status_code == 400, response.text
        assert "file" in response.json()["fieldErrors"]


async def test_audio_metadata_can_be_updated_listed_and_deleted(
    client: Client, headers: dict[str, str], org_id: str, make_audio: MakeAudio
) -> None:
    audio = await upload(client, headers, make_audio(0.2), title="Hold", description="Music")
    other = await upload(client, headers, make_audio(0.4), title="Bye", usageType="goodbye", tags="end,polite")
    path = f"/api/audio-management/{audio['id']}"

    patched = await client.patch(
        path, json={"usageType": "hold_music", "tags": "music,queue", "description": None}, headers=headers
    )
    put = await client.put(path, json={"title": "Hold music"}, headers=headers)

    assert patched.status_code == 200, patched.text
    assert (patched.json()["usageType"], patched.json()["tags"], patched.json()["description"]) == (
        "hold_music",
        ["music", "queue"],
        None,
    )
    assert put.status_code == 200
    assert (put.json()["title"], put.json()["usageType"]) == ("Hold music", "hold_music")
    got = (await client.get(path, headers=headers)).json()
    assert got == put.json()

    by_tag = (await client.get("/api/audio-management", params={"search": "QUEUE"}, headers=headers)).json()
    assert [a["id"] for a in by_tag["data"]] == [audio["id"]]
    goodbyes = (await client.get("/api/audio-management", params={"usageType": "goodbye"}, headers=headers)).json()
    assert [a["id"] for a in goodbyes["data"]] == [other["id"]]
    tagged = (await client.get("/api/audio-management", params={"tags": "polite,nothing"}, headers=headers)).json()
    assert [a["id"] for a in tagged["data"]] == [other["id"]]
    longest = (
        await client.get("/api/audio-management", params={"sortBy": "durationSeconds", "limit": 1}, headers=headers)
    ).json()
    assert [a["id"] for a in longest["data"]] == [other["id"]]
    assert longest["meta"]["total"] == 2
    own = (await client.get("/api/audio-management", params={"organizationId": org_id}, headers=headers)).json()
    assert own["meta"]["total"] == 2
    foreign = {"organizationId": str(uuid.uuid4())}
    assert (await client.get("/api/audio-management", params=foreign, headers=headers)).json()["meta"]["total"] == 0
    bad = await client.get("/api/audio-management", params={"organizationId": "acme"}, headers=headers)
    assert bad.status_code == 400

    assert (await client.delete(path, headers=headers)).status_code == 204
    assert (await client.get(path, headers=headers)).status_code == 404
    assert (await client.get(f"{path}/stream", headers=headers)).status_code == 404
    assert (await client.get("/api/audio-management", headers=headers)).json()["meta"]["total"] == 1


async def test_bad_metadata_updates_are_refused_naming_the_field(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    path = f"/api/audio-management/{(await upload(client, headers, make_audio(0.1)))['id']}"
    for body, field in (({"title": None}, "title"), ({"usageType": "x"}, "usageType"), ({"url": "x"}, "url")):
        response = await client.patch(path, json=body, headers=headers)
        assert response.status_code == 400, body
        assert field in response.json()["fieldErrors"]


async def test_another_organizations_audio_reads_as_missing(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    path = f"/api/audio-management/{(await upload(client, headers, make_audio(0.1)))['id']}"
    stranger = {"X-Callcast-Org-Id": str(uuid.uuid4())}

    for response in (
        await client.get(path, headers=stranger),
        await client.get(f"{path}/stream", headers=stranger),
        await client.patch(path, json={"title": "mine"}, headers=stranger),
        await client.delete(path, headers=stranger),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "AudioNotFoundError"
    assert (await client.get("/api/audio-management", headers=stranger)).json()["meta"]["total"] == 0


async def test_a_flow_may_play_audio_of_its_own_organization_only(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    audio_id = (await upload(client, headers, make_audio(0.2)))["id"]
    graph = {
        "startNodeId": "dial",
        "nodes": [
            {"id": "dial", "type": "dial", "outputs": {"onAnswer": "hello"}},
            {"id": "hello", "type": "play", "config": {"items": [{"type": "audioFile", "audioId": audio_id}]}},
        ],
    }

    mine = await client.post("/api/flows", json={"name": "Hello", "graph": graph}, headers=headers)
    theirs = await client.post(
        "/api/flows", json={"name": "Hello", "graph": graph}, headers={"X-Callcast-Org-Id": str(uuid.uuid4())}
    )
    await client.delete(f"/api/audio-management/{audio_id}", headers=headers)
    after_delete = await client.put(f"/api/flows/{mine.json()['id']}", json={"name": "Hello again"}, headers=headers)

    assert mine.status_code == 201, mine.text
    assert theirs.status_code == 400
    assert [f["code"] for f in theirs.json()["findings"]] == ["AUDIO_NOT_FOUND"]
    assert after_delete.status_code == 400
    assert [f["code"] for f in after_delete.json()["findings"]] == ["AUDIO_NOT_FOUND"]
