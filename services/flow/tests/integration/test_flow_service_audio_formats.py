"""Uploads in every accepted format become 8 kHz mono telephony audio of the source's duration."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from litestar.testing import AsyncTestClient
from nats.js import JetStreamContext

pytestmark = pytest.mark.integration

Client = AsyncTestClient[Any]
MakeAudio = Callable[..., bytes]

UPLOAD = "/api/audio-management/upload"


@pytest.mark.parametrize(
    ("name", "content_type", "rate", "channels", "fmt", "subtype"),
    [
        ("prompt.mp3", "audio/mpeg", 44100, 2, "MP3", "MPEG_LAYER_III"),
        ("prompt.wav", "audio/wav", 44100, 2, "WAV", "PCM_16"),
        ("prompt.ogg", "audio/ogg", 48000, 2, "OGG", "VORBIS"),
    ],
)
async def test_an_mp3_a_44k_stereo_wav_and_an_ogg_become_8k_mono_audio_of_the_source_duration(
    client: Client,
    headers: dict[str, str],
    org_id: str,
    js: JetStreamContext,
    make_audio: MakeAudio,
    name: str,
    content_type: str,
    rate: int,
    channels: int,
    fmt: str,
    subtype: str,
) -> None:
    seconds = 2.345
    source = make_audio(seconds, rate=rate, channels=channels, fmt=fmt, subtype=subtype)
    assert (sf.info(io.BytesIO(source)).samplerate, sf.info(io.BytesIO(source)).channels) == (rate, channels)

    response = await client.post(UPLOAD, files={"file": (name, source, content_type)}, headers=headers)
    assert response.status_code == 201, response.text
    audio = response.json()
    stream = await client.get(f"/api/audio-management/{audio['id']}/stream", headers=headers)

    assert audio["file"]["contentType"] == content_type
    assert (audio["sampleRate"], audio["channels"], audio["bitDepth"]) == (8000, 1, 16)
    pcm, stream_rate = sf.read(io.BytesIO(stream.content), dtype="int16")
    info = sf.info(io.BytesIO(stream.content))
    assert (stream_rate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert abs(len(pcm) / 8000 - seconds) <= 0.020
    assert abs(audio["durationSeconds"] - seconds) <= 0.020
    ulaw = await (await js.object_store("callcast-audio")).get(f"{org_id}/{audio['id']}.ulaw")
    assert len(ulaw.data or b"") == len(pcm)  # the call audio is the same 8 kHz samples, one byte each
    # The 440 Hz tone survived decoding, mixing down and resampling.
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 8000 / len(pcm) - 440) < 5


async def test_audio_lists_page_by_page_sorted_by_title(
    client: Client, headers: dict[str, str], make_audio: MakeAudio
) -> None:
    clip = make_audio(0.1, rate=8000, channels=1)
    for title in ("Charlie", "alpha", "Bravo"):
        response = await client.post(
            UPLOAD, files={"file": ("a.wav", clip, "audio/wav")}, data={"title": title}, headers=headers
        )
        assert response.status_code == 201

    first = (
        await client.get(
            "/api/audio-management", params={"sortBy": "title", "sortOrder": "asc", "limit": 2}, headers=headers
        )
    ).json()
    second = (
        await client.get(
            "/api/audio-management",
            params={"sortBy": "title", "sortOrder": "asc", "limit": 2, "page": 2},
            headers=headers,
        )
    ).json()

    assert [a["title"] for a in first["data"] + second["data"]] == sorted(["Charlie", "alpha", "Bravo"])
    assert first["meta"] == {
        "page": 1,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "hasNextPage": True,
        "hasPreviousPage": False,
    }
    bad = await client.get("/api/audio-management", params={"sortBy": "size"}, headers=headers)
    assert bad.status_code == 400
    assert "sortBy" in bad.json()["fieldErrors"]
