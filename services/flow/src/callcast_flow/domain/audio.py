"""Audio assets: uploaded prompts, converted for telephony.

An upload is decoded, mixed down to mono, resampled to 8 kHz and padded with silence to whole
20 ms frames, then stored twice in the object store: raw G.711 μ-law (what the dialer streams,
160 bytes per 20 ms packet) and 16-bit PCM (what the stream endpoint serves as WAV).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from callcast_contracts.events.flows import AudioUploaded
from callcast_contracts.subjects import Aggregate, Context, subject

USAGE_TYPES: tuple[str, ...] = ("welcome", "goodbye", "question", "prompt", "hold_music", "notification", "other")
DEFAULT_USAGE_TYPE = "other"

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Longest accepted recording; bounds the work one upload can cause whatever its compression.
MAX_DURATION_S = 30 * 60

TITLE_MAX = 255
DESCRIPTION_MAX = 500
TAG_MAX = 64
MAX_TAGS = 50

SAMPLE_RATE = 8000
CHANNELS = 1
BIT_DEPTH = 16
#: Samples in one 20 ms RTP packet at 8 kHz (one μ-law byte each).
FRAME_SAMPLES = 160

#: Object-store bucket holding converted audio (shared with the dialer, which reads it).
AUDIO_BUCKET = "callcast-audio"

#: Container formats we accept (libsndfile's names), with the media type we report for them.
ACCEPTED_FORMATS: dict[str, str] = {
    "WAV": "audio/wav",
    "WAVEX": "audio/wav",
    "RF64": "audio/wav",
    "MP3": "audio/mpeg",
    "OGG": "audio/ogg",
}


class AudioRejected(ValueError):
    """The upload is not audio we can use; ``message`` says why, for the client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ConvertedAudio:
    """An upload after conversion: 8 kHz mono, a whole number of 20 ms frames."""

    ulaw: bytes
    pcm16: bytes
    source_format: str
    source_sample_rate: int
    source_channels: int

    @property
    def sample_count(self) -> int:
        return len(self.ulaw)

    @property
    def duration_ms(self) -> int:
        return self.sample_count * 1000 // SAMPLE_RATE

    @property
    def content_type(self) -> str:
        return ACCEPTED_FORMATS[self.source_format]


@dataclass(frozen=True)
class AudioFile:
    """The original upload (what the client sent), as described in the API's ``file``."""

    id: str
    name: str | None
    content_type: str
    file_size: int
    #: ``sha256:<hex>`` of the uploaded bytes.
    checksum: str


@dataclass(frozen=True)
class AudioAsset:
    id: str
    org_id: str
    title: str
    description: str | None
    usage_type: str
    tags: list[str] | None
    duration_ms: int
    original_file_name: str | None
    file: AudioFile
    ulaw_object: str
    pcm16_object: str
    created_at: datetime
    updated_at: datetime

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000


def ulaw_object_name(org_id: str, audio_id: str) -> str:
    return f"{org_id}/{audio_id}.ulaw"


def pcm16_object_name(org_id: str, audio_id: str) -> str:
    return f"{org_id}/{audio_id}.pcm16"


def audio_subject(org_id: str, audio_id: str) -> str:
    return subject(Context.FLOWS, org_id, Aggregate.AUDIO, audio_id)


def audio_uploaded(asset: AudioAsset) -> AudioUploaded:
    return AudioUploaded(
        audio_id=asset.id,
        title=asset.title,
        duration_ms=asset.duration_ms,
        object_name=asset.ulaw_object,
    )


def audio_uploaded_msg_id(audio_id: str) -> str:
    return f"audio-{audio_id}-uploaded"


def default_title(file_name: str | None) -> str:
    """An untitled upload is named after its file (without the extension)."""
    if file_name:
        stem = file_name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        stem = stem.rsplit(".", 1)[0] if "." in stem[1:] else stem
        if stem.strip():
            return stem.strip()[:TITLE_MAX]
    return "Untitled audio"


class InvalidTags(ValueError):
    pass


def parse_tags(values: Iterable[str]) -> list[str]:
    """Tags from ``["a", "b"]`` or ``"a,b"`` (or both mixed): trimmed, unique, in order."""
    tags: list[str] = []
    for value in values:
        for part in value.split(","):
            tag = part.strip()
            if not tag:
                continue
            if len(tag) > TAG_MAX:
                raise InvalidTags(f"each tag must be at most {TAG_MAX} characters")
            if tag not in tags:
                tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidTags(f"at most {MAX_TAGS} tags")
    return tags
