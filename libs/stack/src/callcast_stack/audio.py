"""A short spoken prompt for the demo: 8 kHz, mono, 16-bit PCM WAV (what telephony plays best).

espeak-ng speaks the text and sox converts it. Without espeak-ng (and only where we cannot
install it) a plain tone stands in, and the caller is told so.
"""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
from dataclasses import dataclass
from pathlib import Path

SAMPLE_RATE = 8000


@dataclass(frozen=True)
class Prompt:
    path: Path
    #: "espeak-ng" or "tone"
    source: str


def synthesize_prompt(text: str, out: Path, *, voice: str = "en") -> Prompt:
    """``text`` spoken by espeak-ng into ``out``; a tone when espeak-ng is not installed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if shutil.which("espeak-ng") is None:
        write_tone(out)
        return Prompt(out, "tone")
    raw = out.with_suffix(".espeak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(raw), text], check=True)
    if shutil.which("sox") is not None:
        subprocess.run(
            ["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16",
             "-e", "signed-integer", str(out)],
            check=True,
        )  # fmt: skip
        raw.unlink()
    else:
        # The API converts uploads itself; 8 kHz just saves it the work.
        raw.replace(out)
    return Prompt(out, "espeak-ng")


def write_tone(out: Path, *, seconds: float = 1.5, hz: float = 440.0) -> None:
    """A sine tone at half scale, faded in and out so it does not click."""
    frames = int(SAMPLE_RATE * seconds)
    fade = SAMPLE_RATE // 50
    samples = []
    for i in range(frames):
        envelope = min(1.0, i / fade, (frames - i) / fade)
        samples.append(int(16383 * envelope * math.sin(2 * math.pi * hz * i / SAMPLE_RATE)))
    with wave.open(str(out), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(struct.pack(f"<{frames}h", *samples))
