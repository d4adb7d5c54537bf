"""Decoding and conversion of uploaded audio, on maintained native libraries.

libsndfile (through ``soundfile``, which bundles it) decodes WAV, MP3 and OGG and encodes G.711
μ-law; libsoxr (through ``soxr``) resamples. The file is read block by block through a
streaming resampler, so memory stays proportional to the 8 kHz result, not to the upload's
decoded size. CPU-bound: call it from a worker thread.
"""

from __future__ import annotations

import io

import numpy as np
import numpy.typing as npt
import soundfile as sf
import soxr

from callcast_flow.domain.audio import (
    ACCEPTED_FORMATS,
    FRAME_SAMPLES,
    MAX_DURATION_S,
    SAMPLE_RATE,
    AudioRejected,
    ConvertedAudio,
)

_BLOCK_FRAMES = 1 << 16
_NOT_AUDIO = "file is not a readable audio file (WAV, MP3 or OGG)"


def transcode(data: bytes) -> ConvertedAudio:
    """8 kHz mono μ-law and PCM16 of ``data``; ``AudioRejected`` when it is not usable audio."""
    if not data:
        raise AudioRejected("file is empty")
    try:
        with sf.SoundFile(io.BytesIO(data)) as source:
            if source.format not in ACCEPTED_FORMATS:
                raise AudioRejected(f"file is {source.format} audio; upload WAV, MP3 or OGG")
            mono = _resampled_mono(source)
            source_format, rate, channels = source.format, source.samplerate, source.channels
    except AudioRejected:
        raise
    except sf.SoundFileError:
        raise AudioRejected(_NOT_AUDIO) from None
    except (RuntimeError, ValueError, TypeError, EOFError):
        # libsndfile reports some damaged streams with plain errors from its decoders.
        raise AudioRejected(_NOT_AUDIO) from None
    pcm = _padded_to_frames(_to_int16(mono))
    return ConvertedAudio(
        ulaw=ulaw_encode(pcm),
        pcm16=pcm.astype("<i2").tobytes(),
        source_format=source_format,
        source_sample_rate=rate,
        source_channels=channels,
    )


def _resampled_mono(source: sf.SoundFile) -> npt.NDArray[np.float32]:
    if source.samplerate <= 0 or source.channels <= 0:
        raise AudioRejected(_NOT_AUDIO)
    max_frames = MAX_DURATION_S * source.samplerate
    if source.frames > max_frames:
        raise AudioRejected(f"file is longer than {MAX_DURATION_S // 60} minutes")
    resampler = soxr.ResampleStream(source.samplerate, SAMPLE_RATE, 1, dtype="float32", quality="HQ")
    chunks: list[npt.NDArray[np.float32]] = []
    read = 0
    for block in source.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
        read += len(block)
        if read > max_frames:  # the header may understate the length (streamed MP3/OGG)
            raise AudioRejected(f"file is longer than {MAX_DURATION_S // 60} minutes")
        # Mixing down by the mean keeps a full-scale stereo signal within full scale.
        chunks.append(resampler.resample_chunk(block.mean(axis=1, dtype=np.float32)))
    if read == 0:
        raise AudioRejected("file contains no audio")
    chunks.append(resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True))
    return np.concatenate(chunks).astype(np.float32, copy=False)


def _to_int16(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.int16]:
    # Resampling can overshoot full scale slightly: clip rather than wrap around.
    return np.clip(np.rint(samples * 32767.0), -32768, 32767).astype(np.int16)


def _padded_to_frames(pcm: npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    """Silence up to a whole 20 ms frame, so the dialer never sends a short RTP packet."""
    short = (-len(pcm)) % FRAME_SAMPLES
    if len(pcm) == 0:
        short = FRAME_SAMPLES
    return np.concatenate([pcm, np.zeros(short, dtype=np.int16)]) if short else pcm


def ulaw_encode(pcm: npt.NDArray[np.int16]) -> bytes:
    """Raw G.711 μ-law bytes (no header), one per sample, by libsndfile's encoder."""
    out = io.BytesIO()
    sf.write(out, pcm, SAMPLE_RATE, format="RAW", subtype="ULAW")
    return out.getvalue()


def wav_from_pcm16(pcm16: bytes, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A 16-bit mono WAV file around stored little-endian PCM (the stream endpoint's body)."""
    out = io.BytesIO()
    sf.write(out, np.frombuffer(pcm16, dtype="<i2"), sample_rate, format="WAV", subtype="PCM_16")
    return out.getvalue()
