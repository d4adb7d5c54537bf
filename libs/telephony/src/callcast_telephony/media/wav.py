"""RIFF WAV for call audio: 16-bit little-endian linear PCM, mono, 8 kHz (the G.711 rate).

The stdlib ``wave`` module writes and reads the header, so the files open in any player and the
tests read them back with the same parser other tools use.
"""

from __future__ import annotations

import io
import wave

WAV_SAMPLE_RATE = 8000
_SAMPLE_WIDTH = 2  # bytes: PCM16


class NotCallAudio(ValueError):
    """The WAV is not 16-bit mono PCM at 8 kHz."""


def pcm16_to_wav(pcm: bytes, *, sample_rate: int = WAV_SAMPLE_RATE) -> bytes:
    if len(pcm) % _SAMPLE_WIDTH:
        raise ValueError("PCM16 needs an even number of bytes")
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(_SAMPLE_WIDTH)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm)
    return out.getvalue()


def wav_to_pcm16(data: bytes, *, sample_rate: int = WAV_SAMPLE_RATE) -> bytes:
    """The samples of a WAV written by :func:`pcm16_to_wav` (or any PCM16 mono file at the rate)."""
    with wave.open(io.BytesIO(data), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, _SAMPLE_WIDTH, sample_rate):
            raise NotCallAudio(
                f"expected mono PCM16 at {sample_rate} Hz, got {wav.getnchannels()} channel(s), "
                f"{8 * wav.getsampwidth()}-bit, {wav.getframerate()} Hz"
            )
        return wav.readframes(wav.getnframes())
