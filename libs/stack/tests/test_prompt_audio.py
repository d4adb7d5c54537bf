"""The demo's prompt: 8 kHz mono 16-bit WAV, spoken by espeak-ng or, without it, a tone."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from callcast_stack.audio import synthesize_prompt, write_tone

pytestmark = pytest.mark.integration


def wav_format(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path)) as wav:
        return wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes() / wav.getframerate()


def test_a_spoken_prompt_is_8khz_mono_16bit(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are required (`just tools` installs them)")
    prompt = synthesize_prompt("Hello from Callcast.", tmp_path / "prompt.wav")
    assert prompt.source == "espeak-ng"
    rate, channels, width, seconds = wav_format(prompt.path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert 0.5 < seconds < 5


def test_the_fallback_tone_is_8khz_mono_16bit(tmp_path: Path) -> None:
    write_tone(tmp_path / "tone.wav", seconds=1.0)
    assert wav_format(tmp_path / "tone.wav") == (8000, 1, 2, 1.0)
