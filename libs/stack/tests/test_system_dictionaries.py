"""System dictionaries of a local stack: synthesized once per key, cached, skipped without espeak-ng."""

from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import pytest

from callcast_spoken import WORDS
from callcast_stack import system_dictionaries
from callcast_stack.system_dictionaries import generate, install_system_dictionaries

pytestmark = pytest.mark.integration


def test_every_key_is_synthesized_once_as_8k_mono_and_then_served_from_the_cache(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required (`just tools` installs it)", pytrace=False)

    first = generate(tmp_path)
    second = generate(tmp_path)

    assert [(g.language, g.synthesized, g.cached) for g in first] == [
        ("ar", len(WORDS["ar"]), 0),
        ("fr", len(WORDS["fr"]), 0),
    ]
    assert [(g.synthesized, g.cached) for g in second] == [(0, len(WORDS["ar"])), (0, len(WORDS["fr"]))]
    for language in ("ar", "fr"):
        assert {p.stem for p in (tmp_path / language).glob("*.wav")} == set(WORDS[language])
    with wave.open(io.BytesIO((tmp_path / "fr" / "80_plural.wav").read_bytes())) as clip:
        if shutil.which("sox") is not None:
            assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (8000, 1, 2)
        assert 0.2 < clip.getnframes() / clip.getframerate() < 2.0  # a word, silence trimmed


def test_a_clip_whose_text_changed_is_synthesized_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is required (`just tools` installs it)", pytrace=False)
    generate(tmp_path, languages=("fr",))
    changed = {**WORDS["fr"], "and": "et puis"}
    monkeypatch.setattr(system_dictionaries, "WORDS", {**WORDS, "fr": changed})

    [again] = generate(tmp_path, languages=("fr",))

    assert (again.synthesized, again.cached) == (1, len(changed) - 1)


def test_without_espeak_ng_the_stack_starts_without_system_dictionaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(system_dictionaries.shutil, "which", lambda command: None)
    heard = io.StringIO()

    assert install_system_dictionaries("postgresql://unused", "nats://unused", echo=heard) is False
    assert "espeak-ng" in heard.getvalue()
    assert "apt-get install" in heard.getvalue()
