"""The WAV a recording becomes, and the beep played before it."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from callcast_telephony.media import Recording, beep_pcm, beep_ulaw, pcm16_to_wav, wav_to_pcm16
from callcast_telephony.media.wav import NotCallAudio
from callcast_telephony.rtp import g711

pytestmark = pytest.mark.unit


def test_recording_wav_is_pcm16_mono_8khz_with_every_sample() -> None:
    samples = (np.arange(8000, dtype=np.int32) * 7 % 65536 - 32768).astype("<i2")
    rec = Recording(pcm=samples.tobytes(), duration_ms=1000, ended_by="silence", speech_ms=800, started_at=0.0)
    data = rec.wav_bytes()
    assert data[:4] == b"RIFF"
    assert data[8:16] == b"WAVEfmt "
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    with wave.open(io.BytesIO(data), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert wav.getcomptype() == "NONE"
        assert wav.getnframes() == 8000
        assert wav.readframes(8000) == rec.pcm
    assert len(data) == 44 + 16000  # the canonical 44-byte header, nothing else
    assert wav_to_pcm16(data) == rec.pcm


def test_an_empty_recording_is_still_a_valid_wav() -> None:
    rec = Recording(pcm=b"", duration_ms=0, ended_by="stopped", speech_ms=0, started_at=0.0)
    with wave.open(io.BytesIO(rec.wav_bytes()), "rb") as wav:
        assert wav.getnframes() == 0


def test_other_wav_formats_are_not_taken_for_call_audio() -> None:
    with pytest.raises(NotCallAudio):
        wav_to_pcm16(pcm16_to_wav(b"\0\0" * 100, sample_rate=16000))
    with pytest.raises(ValueError, match="even number"):
        pcm16_to_wav(b"\0\0\0")


def test_beep_is_half_a_second_of_1khz_in_whole_frames() -> None:
    pcm = beep_pcm()
    assert len(pcm) == 4000
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    assert np.fft.rfftfreq(len(pcm), 1 / 8000)[np.argmax(spectrum)] == 1000.0
    assert 8000 <= np.abs(pcm).max() <= 10_000  # about -10 dBFS, never clipping
    assert abs(int(pcm[0])) < 100
    assert abs(int(pcm[-1])) < 700


def test_beep_ulaw_is_the_pcm_beep_companded() -> None:
    ulaw = beep_ulaw()
    assert len(ulaw) == 4000
    assert len(ulaw) % 160 == 0
    assert ulaw == g711.ulaw_encode(beep_pcm())
    assert len(beep_ulaw(ms=240)) == 1920
    assert len(beep_ulaw(ms=250)) == 2080  # 12.5 frames: rounded up
    assert len(beep_ulaw(ms=10)) == 160  # rounded up to a whole frame


@pytest.mark.parametrize(("hz", "ms"), [(0.0, 500), (4000.0, 500), (1000.0, 0)])
def test_impossible_beeps_are_refused(hz: float, ms: int) -> None:
    with pytest.raises(ValueError, match="beep"):
        beep_pcm(hz, ms)
