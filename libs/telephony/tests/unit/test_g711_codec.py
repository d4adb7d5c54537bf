"""G.711 lookup tables against the ITU reference as implemented by CPython's audioop."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from callcast_telephony.rtp import g711

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # removed in 3.13: only the tests use it, as the reference

pytestmark = pytest.mark.unit

EVERY_SAMPLE = np.arange(-32768, 32768, dtype="<i2").tobytes()
EVERY_CODE = bytes(range(256))


def test_ulaw_encoding_matches_audioop_for_every_16_bit_sample() -> None:
    assert g711.ulaw_encode(EVERY_SAMPLE) == audioop.lin2ulaw(EVERY_SAMPLE, 2)


def test_alaw_encoding_matches_audioop_for_every_16_bit_sample() -> None:
    assert g711.alaw_encode(EVERY_SAMPLE) == audioop.lin2alaw(EVERY_SAMPLE, 2)


def test_ulaw_decoding_matches_audioop_for_every_code() -> None:
    assert g711.ulaw_decode(EVERY_CODE).astype("<i2").tobytes() == audioop.ulaw2lin(EVERY_CODE, 2)


def test_alaw_decoding_matches_audioop_for_every_code() -> None:
    assert g711.alaw_decode(EVERY_CODE).astype("<i2").tobytes() == audioop.alaw2lin(EVERY_CODE, 2)


def test_silence_bytes_decode_to_zero() -> None:
    assert g711.ulaw_decode(bytes([g711.ULAW_SILENCE]))[0] == 0
    assert abs(int(g711.alaw_decode(bytes([g711.ALAW_SILENCE]))[0])) <= 8


def test_transcoding_goes_through_linear_pcm() -> None:
    ulaw = g711.ulaw_encode((np.sin(np.arange(800) / 5) * 12000).astype(np.int16))
    alaw = g711.transcode(ulaw, "PCMU", "PCMA")
    assert alaw == audioop.lin2alaw(audioop.ulaw2lin(ulaw, 2), 2)
    assert g711.transcode(ulaw, "PCMU", "PCMU") is ulaw


def test_int16_arrays_and_bytes_encode_the_same() -> None:
    samples = np.array([0, 1, -1, 32767, -32768, 1000], dtype=np.int16)
    assert g711.encode("PCMU", samples) == g711.encode("PCMU", samples.astype("<i2").tobytes())
