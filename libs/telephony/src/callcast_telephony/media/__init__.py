"""Call media above RTP: recording the callee, the voicemail beep, WAV files."""

from .beep import BEEP_HZ, BEEP_MS, beep_pcm, beep_ulaw
from .recording import (
    DEFAULT_SILENCE_THRESHOLD,
    EndReason,
    Recording,
    record_callee,
)
from .wav import WAV_SAMPLE_RATE, pcm16_to_wav, wav_to_pcm16

__all__ = [
    "BEEP_HZ",
    "BEEP_MS",
    "DEFAULT_SILENCE_THRESHOLD",
    "WAV_SAMPLE_RATE",
    "EndReason",
    "Recording",
    "beep_pcm",
    "beep_ulaw",
    "pcm16_to_wav",
    "record_callee",
    "wav_to_pcm16",
]
