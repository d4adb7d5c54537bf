"""Fixtures of the dictionary tests: a French system dictionary installed by the real command."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from callcast_flow.domain.dictionaries import system_dictionary_id

#: Keys the tests' French system dictionary has (a real one has the whole key set).
SYSTEM_FR_KEYS = ("1", "20", "and", "60", "11", "first", "month_3")


@pytest.fixture(scope="session")
def system_fr(nats_url: str, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A French system dictionary with a few keys, installed by the real command
    (``python -m callcast_flow install-system-dictionaries``) into the service's database."""
    folder = tmp_path_factory.mktemp("system-dictionaries")
    (folder / "fr").mkdir()
    for i, key in enumerate(SYSTEM_FR_KEYS):
        (folder / "fr" / f"{key}.wav").write_bytes(tone_wav(0.3 + i / 100, hz=300 + 50 * i))
    result = run_installer(folder, nats_url, database_url)
    assert result.returncode == 0, result.stderr
    assert f"{len(SYSTEM_FR_KEYS)} installed, 0 already there" in result.stdout
    return {
        "id": system_dictionary_id("fr"),
        "keys": SYSTEM_FR_KEYS,
        # Runs the command again on the same folder.
        "reinstall": lambda: run_installer(folder, nats_url, database_url),
    }


def tone_wav(seconds: float, hz: float, rate: int = 22050) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    out = io.BytesIO()
    sf.write(out, 0.3 * np.sin(2 * np.pi * hz * t), rate, format="WAV", subtype="PCM_16")
    return out.getvalue()


def run_installer(folder: Path, nats_url: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NATS_URL": nats_url, "DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "callcast_flow", "install-system-dictionaries", "--dir", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
