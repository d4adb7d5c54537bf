"""The system dictionaries (``ar``, ``fr``) of a local stack: synthesized, cached, installed.

Every key of each language's key set (``callcast_spoken.WORDS``) is spoken by espeak-ng (voices
``ar`` and ``fr``) from the words the key stands for, converted by sox to 8 kHz mono 16-bit with
the leading and trailing silence trimmed (so clips played back to back sound like one number),
and cached under ``.callcast/dictionaries/<language>/<key>.wav`` at the workspace root (or
``$CALLCAST_DICTIONARY_CACHE``), shared by every stack of the workspace. A clip is synthesized
again only when its text, voice or this recipe changes (``manifest.json`` beside the clips
records what each was made from). Then ``python -m callcast_flow install-system-dictionaries``
installs them through the flow service's own code (rows, outbox events, object store); keys
already installed are skipped, so every start after the first costs about two seconds.

Without espeak-ng there is nothing to synthesize: the stack starts without system dictionaries and
says what to install.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from callcast_spoken import WORDS
from callcast_stack.state import workspace_root
from callcast_stack.tools import ESPEAK_NG, SOX, install_instructions

VOICES = {"ar": "ar", "fr": "fr"}
SAMPLE_RATE = 8000
#: Bump to re-synthesize every cached clip (a change of voice settings or of the sox recipe).
RECIPE = "espeak-ng -s150 | sox 8k mono s16 trim-silence v1"
ESPEAK_SPEED_WPM = "150"
INSTALL_TIMEOUT_S = 300.0


class SystemDictionariesFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Generated:
    language: str
    folder: Path
    synthesized: int
    cached: int


CACHE_ENV = "CALLCAST_DICTIONARY_CACHE"


def cache_dir() -> Path:
    """``$CALLCAST_DICTIONARY_CACHE``, else ``.callcast/dictionaries`` at the workspace root — shared
    by every stack of the workspace (``just up``, ``just demo``, tests with their own state dirs)."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).resolve() if configured else workspace_root() / ".callcast" / "dictionaries"


def _fingerprint(language: str, text: str) -> str:
    return hashlib.sha256(f"{RECIPE}\n{VOICES[language]}\n{text}".encode()).hexdigest()[:16]


def _synthesize(language: str, text: str, out: Path) -> None:
    """``text`` spoken by espeak-ng into ``out``: 8 kHz mono 16-bit, silence trimmed (with sox)."""
    with tempfile.TemporaryDirectory(prefix="callcast-espeak-") as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(
            ["espeak-ng", "-v", VOICES[language], "-s", ESPEAK_SPEED_WPM, "-w", str(raw), text],
            check=True,
            capture_output=True,
        )
        if shutil.which("sox") is None:
            # The flow service converts any WAV itself; only the silence stays untrimmed.
            shutil.copyfile(raw, out)
            return
        trimmed = Path(tmp) / "trimmed.wav"
        # silence 1 0.01 0.5% … reverse …: cut below-0.5% audio at the start, then (reversed) at the end.
        subprocess.run(
            ["sox", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer", str(trimmed),
             "silence", "1", "0.01", "0.5%", "reverse", "silence", "1", "0.01", "0.5%", "reverse"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        shutil.move(trimmed, out)


def generate(directory: Path | None = None, languages: tuple[str, ...] = ("ar", "fr")) -> list[Generated]:
    """Synthesize the clips of ``languages`` that are missing or stale in ``directory``."""
    base = directory or cache_dir()
    results = []
    for language in languages:
        folder = base / language
        folder.mkdir(parents=True, exist_ok=True)
        manifest_path = folder / "manifest.json"
        manifest: dict[str, str] = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        wanted = {key: _fingerprint(language, text) for key, text in WORDS[language].items()}
        todo = [
            key for key, stamp in wanted.items() if manifest.get(key) != stamp or not (folder / f"{key}.wav").is_file()
        ]
        jobs = [(language, WORDS[language][key], folder / f"{key}.wav") for key in todo]
        # espeak-ng and sox are single-threaded processes: one per core.
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            list(pool.map(lambda job: _synthesize(*job), jobs))
        for stale in set(manifest) - set(wanted):  # keys no longer in the key set
            (folder / f"{stale}.wav").unlink(missing_ok=True)
        manifest_path.write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n")
        results.append(Generated(language, folder, synthesized=len(todo), cached=len(wanted) - len(todo)))
    return results


def install_system_dictionaries(
    database_url: str,
    nats_url: str,
    *,
    directory: Path | None = None,
    echo: TextIO | None = None,
) -> bool:
    """Synthesize (or reuse) the clips and install them into the stack's flow service; ``echo``
    hears what happened. False (after saying why) when espeak-ng is missing; raises
    ``SystemDictionariesFailed`` when installing fails."""

    def say(line: str) -> None:
        if echo is not None:
            print(line, file=echo, flush=True)

    if shutil.which(ESPEAK_NG.command) is None:
        say("system dictionaries skipped: espeak-ng is not installed\n" + install_instructions([ESPEAK_NG, SOX]))
        return False
    began = time.monotonic()
    generated = generate(directory)
    synthesized = time.monotonic() - began
    base = directory or cache_dir()
    env = {**os.environ, "DATABASE_URL": database_url, "NATS_URL": nats_url}
    command = [sys.executable, "-m", "callcast_flow", "install-system-dictionaries", "--dir", str(base)]
    result = subprocess.run(
        command, env=env, cwd=workspace_root(), capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S
    )
    if result.returncode != 0:
        raise SystemDictionariesFailed(
            f"`{' '.join(command)}` exited with {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    made = ", ".join(f"{g.language} {g.synthesized} synthesized/{g.cached} cached" for g in generated)
    say(
        f"system dictionaries ready in {time.monotonic() - began:.1f} s "
        f"(clips {synthesized:.1f} s: {made}; {' · '.join(result.stdout.strip().splitlines())})"
    )
    return True
