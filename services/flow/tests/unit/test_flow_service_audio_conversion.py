"""Audio conversion (decode → mono → 8 kHz → μ-law/PCM16) and the audio metadata rules."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
import soundfile as sf

from callcast_flow.adapters.audio_transcoder import transcode, ulaw_encode, wav_from_pcm16
from callcast_flow.domain.audio import (
    FRAME_SAMPLES,
    SAMPLE_RATE,
    AudioRejected,
    InvalidTags,
    default_title,
    parse_tags,
)

pytestmark = pytest.mark.unit


def test_a_44k_stereo_wav_becomes_8k_mono_of_the_same_duration(make_audio: Callable[..., bytes]) -> None:
    seconds = 2.345
    converted = transcode(make_audio(seconds, rate=44100, channels=2))

    assert abs(converted.duration_ms - seconds * 1000) <= 20
    # One μ-law byte per 8 kHz sample: the byte count is the duration times 8000.
    assert len(converted.ulaw) == converted.duration_ms * SAMPLE_RATE // 1000
    assert len(converted.pcm16) == 2 * len(converted.ulaw)
    assert (converted.source_format, converted.source_sample_rate, converted.source_channels) == ("WAV", 44100, 2)


def test_converted_audio_is_whole_20ms_frames(make_audio: Callable[..., bytes]) -> None:
    converted = transcode(make_audio(0.5013, rate=22050, channels=1))
    assert len(converted.ulaw) % FRAME_SAMPLES == 0
    assert converted.duration_ms % 20 == 0


def test_the_tone_survives_conversion(make_audio: Callable[..., bytes]) -> None:
    converted = transcode(make_audio(1.0, rate=48000, channels=2))
    pcm = np.frombuffer(converted.pcm16, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(pcm))
    peak_hz = np.argmax(spectrum) * SAMPLE_RATE / len(pcm)
    assert abs(peak_hz - 440) < 5
    # 0.3 of full scale in, about the same out (mono mix of two equal channels).
    assert 0.25 * 32767 < np.max(np.abs(pcm)) < 0.35 * 32767


def test_8k_mono_16bit_audio_is_kept_sample_for_sample() -> None:
    samples = (np.random.default_rng(7).standard_normal(1600) * 3000).astype(np.int16)
    out = io.BytesIO()
    sf.write(out, samples, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    converted = transcode(out.getvalue())
    assert np.array_equal(np.frombuffer(converted.pcm16, dtype="<i2"), samples)


@pytest.mark.parametrize(
    ("fmt", "subtype", "content_type"), [("MP3", "MPEG_LAYER_III", "audio/mpeg"), ("OGG", "VORBIS", "audio/ogg")]
)
def test_mp3_and_ogg_uploads_are_converted_too(
    make_audio: Callable[..., bytes], fmt: str, subtype: str, content_type: str
) -> None:
    converted = transcode(make_audio(1.51, rate=44100, channels=2, fmt=fmt, subtype=subtype))
    # libsndfile drops the encoders' priming and padding (gapless), so only our 20 ms framing differs.
    assert abs(converted.duration_ms - 1510) <= 20
    assert converted.content_type == content_type


def test_a_full_scale_signal_is_clipped_not_wrapped_around() -> None:
    square = np.where(np.arange(8000) % 40 < 20, 1.0, -1.0)
    out = io.BytesIO()
    sf.write(out, square, 8000, format="WAV", subtype="FLOAT")
    pcm = np.frombuffer(transcode(out.getvalue()).pcm16, dtype="<i2")
    # A wrapped sample would flip sign inside a half period; a clipped one stays at the rail.
    assert pcm.max() == 32767
    assert pcm.min() <= -32767


def test_silence_encodes_to_the_mu_law_silence_byte() -> None:
    assert ulaw_encode(np.zeros(FRAME_SAMPLES, dtype=np.int16)) == b"\xff" * FRAME_SAMPLES


def test_an_empty_file_is_rejected() -> None:
    with pytest.raises(AudioRejected, match="empty"):
        transcode(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"this is a text file, not audio",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",  # a WAV header cut short
        bytes(4096),
        b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(200),  # an MP3 tag with no frames
    ],
)
def test_files_that_are_not_readable_audio_are_rejected(data: bytes) -> None:
    with pytest.raises(AudioRejected):
        transcode(data)


def test_a_wav_without_samples_is_rejected() -> None:
    out = io.BytesIO()
    sf.write(out, np.zeros((0, 1)), 8000, format="WAV", subtype="PCM_16")
    with pytest.raises(AudioRejected, match="no audio"):
        transcode(out.getvalue())


def test_audio_in_a_format_the_api_does_not_accept_is_rejected(make_audio: Callable[..., bytes]) -> None:
    with pytest.raises(AudioRejected, match="FLAC"):
        transcode(make_audio(0.2, rate=8000, channels=1, fmt="FLAC", subtype="PCM_16"))


def test_the_stream_wav_is_8k_mono_16bit_of_the_stored_pcm() -> None:
    pcm = (np.arange(800, dtype=np.int16) * 3).astype("<i2").tobytes()
    data, rate = sf.read(io.BytesIO(wav_from_pcm16(pcm)), dtype="int16")
    info = sf.info(io.BytesIO(wav_from_pcm16(pcm)))
    assert (rate, info.channels, info.subtype) == (8000, 1, "PCM_16")
    assert data.astype("<i2").tobytes() == pcm


def test_tags_come_from_a_list_or_a_comma_separated_string() -> None:
    assert parse_tags(["greeting,payment", " vip ", "greeting", ""]) == ["greeting", "payment", "vip"]


def test_a_tag_longer_than_64_characters_is_refused() -> None:
    with pytest.raises(InvalidTags):
        parse_tags(["x" * 65])


def test_an_untitled_upload_is_named_after_its_file() -> None:
    assert default_title("C:\\prompts\\welcome-fr.wav") == "welcome-fr"
    assert default_title("greeting") == "greeting"
    assert default_title(None) == "Untitled audio"
    assert default_title(".wav") == ".wav"
