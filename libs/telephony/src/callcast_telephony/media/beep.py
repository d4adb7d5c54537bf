"""The tone played before a recording starts.

A 1 kHz sine for 500 ms is the beep callers know from answering machines and voicemail systems
(telephone voicemail beeps sit around 1 kHz and last a quarter to half a second). The level is
about -10 dBFS: clearly audible without clipping after μ-law companding. A 5 ms raised-cosine
fade in and out keeps the start and end from clicking. The length is a whole number of 20 ms
frames, so ``RtpSession.play`` pads nothing.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from callcast_telephony.rtp import g711

from .wav import WAV_SAMPLE_RATE

BEEP_HZ = 1000.0
BEEP_MS = 500
_AMPLITUDE = 10_000  # of 32,767: about -10 dBFS
_FADE_MS = 5
_FRAME_SAMPLES = 160


def beep_pcm(freq_hz: float = BEEP_HZ, ms: int = BEEP_MS, *, amplitude: int = _AMPLITUDE) -> npt.NDArray[np.int16]:
    """The beep as int16 samples at 8 kHz, rounded up to whole 20 ms frames."""
    if ms <= 0:
        raise ValueError("a beep lasts at least 1 ms")
    if not 0 < freq_hz < WAV_SAMPLE_RATE / 2:
        raise ValueError(f"the beep must be below the {WAV_SAMPLE_RATE // 2} Hz Nyquist limit")
    samples = math.ceil(ms * WAV_SAMPLE_RATE / 1000 / _FRAME_SAMPLES) * _FRAME_SAMPLES
    t = np.arange(samples) / WAV_SAMPLE_RATE
    wave = np.sin(2 * math.pi * freq_hz * t)
    fade = min(samples // 2, _FADE_MS * WAV_SAMPLE_RATE // 1000)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, fade, endpoint=False))
    envelope = np.ones(samples)
    envelope[:fade] = ramp
    envelope[samples - fade :] = ramp[::-1]
    return np.round(wave * envelope * amplitude).astype(np.int16)


def beep_ulaw(freq_hz: float = BEEP_HZ, ms: int = BEEP_MS) -> bytes:
    """The beep as G.711 μ-law, ready for ``call.play(payload, "PCMU")``."""
    return g711.ulaw_encode(beep_pcm(freq_hz, ms))
