"""Per-frame features of 20 ms of 8 kHz audio: is it voice, and is it a steady pure tone (a beep)?

Voice modes, chosen by measurement on the labelled corpus (docs/amd.md has the figures):

* ``energy``: Asterisk's rule — mean absolute sample value against ``silenceThreshold``. Steady
  line or street noise above the threshold is "voice" for ever: a person's silence after
  "allô ?" never counts, and a noisy line becomes a long greeting.
* ``adaptive``: the same energy, against ``max(silenceThreshold, noise_ratio × noise floor)``;
  the floor follows the quietest recent frames (down at once, up 1 % a frame), so stationary
  noise stops counting as voice within a second or so.
* ``webrtc``: the WebRTC voice activity detector alone. It separates speech from noise by
  spectrum, but it calls its first frames and loud white noise speech.
* ``both`` (default): voice only when webrtcvad and the adaptive energy agree.

Tones: a frame is tonal when at least 80 % of its energy (Hann window) lies within ±50 Hz of one
peak between 300 and 3400 Hz, at the frequency of the previous tonal frame. Speech never keeps
that up for more than ~160 ms on the corpus; a voicemail beep does for its whole 0.4–1 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np
import numpy.typing as npt
import webrtcvad

VoiceMode = Literal["energy", "adaptive", "webrtc", "both"]
VOICE_MODES: tuple[VoiceMode, ...] = ("energy", "adaptive", "webrtc", "both")
SAMPLE_RATE = 8000
FRAME_SAMPLES = 160

_FFT_SIZE = 320  # zero-padded: 25 Hz bins
_BIN_HZ = SAMPLE_RATE / _FFT_SIZE
_TONE_LOW_BIN = int(300 / _BIN_HZ)
_TONE_HIGH_BIN = int(3400 / _BIN_HZ)
_WINDOW = np.hanning(FRAME_SAMPLES)
TONE_PURITY = 0.8
TONE_DRIFT_HZ = 50.0


@dataclass(frozen=True, slots=True)
class FrameFeatures:
    voiced: bool
    tonal: bool = False


class FrameAnalyzer(Protocol):
    def analyze(self, pcm: npt.NDArray[np.int16]) -> FrameFeatures: ...


def mean_abs(pcm: npt.NDArray[np.int16]) -> float:
    return float(np.abs(pcm.astype(np.int32)).mean()) if pcm.size else 0.0


class NoiseFloor:
    """The level of the quietest recent frames: falls to any quieter frame, rises 1 % a frame
    (doubling in ~1.4 s), so the short dips between syllables hold it down during speech."""

    def __init__(self, rise: float = 1.01) -> None:
        self.rise = rise
        self.level: float | None = None

    def update(self, energy: float) -> float:
        if self.level is None or energy < self.level:
            self.level = energy
        else:
            self.level = min(energy, self.level * self.rise)
        return self.level


class ToneTracker:
    """Steady pure tones. The FFT runs only when the frame's level is within 25 % of the previous
    frame's: a beep's level is flat, speech's jumps from frame to frame, so speech rarely pays
    for a spectrum."""

    def __init__(self) -> None:
        self._previous_hz: float | None = None
        self._previous_energy = 0.0

    def update(self, pcm: npt.NDArray[np.int16], energy: float) -> bool:
        previous, self._previous_energy = self._previous_energy, energy
        if abs(energy - previous) > 0.25 * max(energy, previous):
            self._previous_hz = None
            return False
        spectrum = np.abs(np.fft.rfft(pcm * _WINDOW, _FFT_SIZE)) ** 2
        total = float(spectrum.sum())
        if total <= 0.0:
            self._previous_hz = None
            return False
        peak = int(np.argmax(spectrum[_TONE_LOW_BIN:_TONE_HIGH_BIN])) + _TONE_LOW_BIN
        purity = float(spectrum[peak - 2 : peak + 3].sum()) / total
        hz = peak * _BIN_HZ
        steady = self._previous_hz is None or abs(hz - self._previous_hz) <= TONE_DRIFT_HZ
        tonal = purity >= TONE_PURITY
        self._previous_hz = hz if tonal else None
        return tonal and steady

    def reset(self) -> None:
        self._previous_hz = None
        self._previous_energy = 0.0


class Analyzer:
    """One per call: webrtcvad and the noise floor keep state about this caller's line."""

    def __init__(
        self,
        mode: VoiceMode = "both",
        threshold: int = 256,
        *,
        aggressiveness: int = 2,
        noise_ratio: float = 1.5,
        detect_tones: bool = True,
    ) -> None:
        if mode not in VOICE_MODES:
            raise ValueError(f"voice mode must be one of {', '.join(VOICE_MODES)}, not {mode!r}")
        self.mode = mode
        self.threshold = threshold
        self.noise_ratio = noise_ratio
        self._vad = webrtcvad.Vad(aggressiveness) if mode in ("webrtc", "both") else None
        self._floor = NoiseFloor()
        self._tones = ToneTracker() if detect_tones else None

    def analyze(self, pcm: npt.NDArray[np.int16]) -> FrameFeatures:
        energy = mean_abs(pcm)
        floor = self._floor.update(energy)
        loud = energy >= self.threshold
        if self.mode == "energy":
            voiced = loud
        else:
            voiced = loud and energy >= self.noise_ratio * floor if self.mode != "webrtc" else True
            if self._vad is not None:
                # webrtcvad runs on every frame so its noise model adapts through quiet ones too.
                speech = self._vad.is_speech(pcm.astype("<i2", copy=False).tobytes(), SAMPLE_RATE)
                voiced = voiced and speech
        tonal = False
        if self._tones is not None:
            if loud:
                tonal = self._tones.update(pcm, energy)
            else:
                self._tones.reset()
        return FrameFeatures(voiced=voiced, tonal=tonal)
