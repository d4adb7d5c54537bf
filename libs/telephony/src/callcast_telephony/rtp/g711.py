"""G.711 μ-law and A-law codecs as numpy lookup tables (ITU-T G.711, the Sun reference g711.c).

Encoding indexes a 65,536-entry table with the 16-bit sample reinterpreted as unsigned; decoding
indexes a 256-entry table. Both tables are built once, vectorised, from the reference algorithm
with the same bit truncation as CPython's ``audioop`` (14-bit input for μ-law, 13-bit for A-law),
so the output is byte-identical to ``audioop.lin2ulaw``/``lin2alaw`` and their inverses.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

Codec = Literal["PCMU", "PCMA"]

ULAW_SILENCE = 0xFF
ALAW_SILENCE = 0xD5
SILENCE_BYTE: dict[str, int] = {"PCMU": ULAW_SILENCE, "PCMA": ALAW_SILENCE}

_ULAW_SEG_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], dtype=np.int32)
_ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], dtype=np.int32)


def _all_int16() -> npt.NDArray[np.int32]:
    # Index i of the encode tables is the uint16 bit pattern of the sample.
    return np.arange(65536, dtype=np.uint16).view(np.int16).astype(np.int32)


def _build_ulaw_encode() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 2  # 14-bit, arithmetic shift like audioop
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), 8159) + 33  # clip, then add BIAS >> 2
    seg = np.searchsorted(_ULAW_SEG_END, magnitude, side="left")
    uval = (seg << 4) | ((magnitude >> (seg + 1)) & 0xF)
    uval = np.where(seg >= 8, 0x7F, uval)
    return ((uval ^ mask) & 0xFF).astype(np.uint8)


def _build_alaw_encode() -> npt.NDArray[np.uint8]:
    pcm = _all_int16() >> 3  # 13-bit
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1)
    seg = np.searchsorted(_ALAW_SEG_END, magnitude, side="left")
    shift = np.where(seg < 2, 1, seg)
    aval = (seg << 4) | ((magnitude >> shift) & 0xF)
    aval = np.where(seg >= 8, 0x7F, aval)
    return ((aval ^ mask) & 0xFF).astype(np.uint8)


def _build_ulaw_decode() -> npt.NDArray[np.int16]:
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - t, t - 0x84).astype(np.int16)


def _build_alaw_decode() -> npt.NDArray[np.int16]:
    a = np.arange(256, dtype=np.int32) ^ 0x55
    seg = (a & 0x70) >> 4
    t = (a & 0x0F) << 4
    t = np.where(seg == 0, t + 8, t + 0x108)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(a & 0x80, t, -t).astype(np.int16)


PCM_TO_ULAW = _build_ulaw_encode()
PCM_TO_ALAW = _build_alaw_encode()
ULAW_TO_PCM = _build_ulaw_decode()
ALAW_TO_PCM = _build_alaw_decode()

_ENCODE = {"PCMU": PCM_TO_ULAW, "PCMA": PCM_TO_ALAW}
_DECODE = {"PCMU": ULAW_TO_PCM, "PCMA": ALAW_TO_PCM}


def _as_samples(pcm: bytes | npt.NDArray[np.int16]) -> npt.NDArray[np.int16]:
    if isinstance(pcm, bytes | bytearray | memoryview):
        return np.frombuffer(pcm, dtype="<i2")
    return np.asarray(pcm, dtype=np.int16)


def encode(codec: str, pcm: bytes | npt.NDArray[np.int16]) -> bytes:
    """16-bit little-endian (or int16 array) linear PCM -> G.711 bytes."""
    table = _ENCODE[codec]
    return bytes(table[_as_samples(pcm).view(np.uint16)])


def decode(codec: str, data: bytes) -> npt.NDArray[np.int16]:
    """G.711 bytes -> int16 samples."""
    return _DECODE[codec][np.frombuffer(data, dtype=np.uint8)]


def transcode(data: bytes, source: str, target: str) -> bytes:
    """Convert between μ-law and A-law through linear PCM (one table lookup each way)."""
    if source == target:
        return data
    return bytes(_ENCODE[target][decode(source, data).view(np.uint16)])


def ulaw_encode(pcm: bytes | npt.NDArray[np.int16]) -> bytes:
    return encode("PCMU", pcm)


def alaw_encode(pcm: bytes | npt.NDArray[np.int16]) -> bytes:
    return encode("PCMA", pcm)


def ulaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    return decode("PCMU", data)


def alaw_decode(data: bytes) -> npt.NDArray[np.int16]:
    return decode("PCMA", data)
