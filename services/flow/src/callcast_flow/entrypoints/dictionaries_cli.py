"""``python -m callcast_flow install-system-dictionaries --dir DIR``: install the system dictionaries.

``DIR/<language>/<key>.wav`` (any audio the upload accepts: WAV, MP3, OGG, by its file name minus
the extension) becomes the clip of ``key`` in the system dictionary of ``language`` (``ar``,
``fr``), created when missing. Keys the dictionary already has are skipped, so running it again
installs only what is new (``--replace`` re-installs every file). Writes the rows and their
outbox events to ``DATABASE_URL`` (applying the flow service's migrations first) and the clips to
the ``callcast-audio`` object store on ``NATS_URL``; the running flow service's relay publishes
the events. Prints one line per language and exits non-zero on failure.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nats
import structlog

from callcast_flow.adapters.audio_store import JetStreamAudioStore
from callcast_flow.bootstrap import MIGRATIONS
from callcast_flow.dictionaries_handlers import ensure_system_dictionary, save_entry, system_keys
from callcast_flow.domain.dictionaries import DICTIONARY_LANGUAGES, InvalidKey, check_key
from callcast_flow.handlers import FlowServiceContext
from callcast_runtime.db import open_pool
from callcast_runtime.errors import ApiError
from callcast_runtime.migrations import apply_migrations
from callcast_runtime.settings import load_settings

COMMAND = "install-system-dictionaries"
AUDIO_SUFFIXES = (".wav", ".mp3", ".ogg")
#: Clips converted and stored at once (conversion runs in worker threads).
CONCURRENCY = 4


@dataclass
class LanguageReport:
    language: str
    dictionary_id: str
    installed: int = 0
    skipped: int = 0
    failed: int = 0


def audio_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


async def install_language(
    files: Sequence[Path], language: str, ctx: FlowServiceContext, *, replace: bool = False
) -> LanguageReport:
    """``files`` (named ``<key>.<ext>``) as the system dictionary of ``language``."""
    dictionary = await ensure_system_dictionary(language, ctx)
    report = LanguageReport(language, dictionary.id)
    present = set() if replace else await system_keys(dictionary.id, ctx)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def install_one(path: Path) -> None:
        try:
            key = check_key(path.stem)
        except InvalidKey as err:
            print(f"{language}: skipping {path.name}: {err}", file=sys.stderr)
            report.failed += 1
            return
        if key in present:
            report.skipped += 1
            return
        async with gate:
            try:
                data = await asyncio.to_thread(path.read_bytes)
                await save_entry(dictionary, key, data, path.name, ctx)
            except ApiError as err:
                print(f"{language}: {path.name}: {err.message} {err.field_errors or ''}", file=sys.stderr)
                report.failed += 1
                return
        report.installed += 1

    await asyncio.gather(*(install_one(p) for p in files))
    return report


async def install(folders: dict[str, list[Path]], *, replace: bool = False) -> list[LanguageReport]:
    """Each language's audio files as its system dictionary."""
    settings = load_settings("flow")
    if not settings.database_url:
        raise SystemExit(f"{COMMAND}: DATABASE_URL is not set")
    await apply_migrations(settings.database_url, settings.db_schema, MIGRATIONS)
    pool = await open_pool(settings.database_url, settings.db_schema, min_size=1, max_size=CONCURRENCY)
    nc = await nats.connect(settings.nats_url, name="flow-install-system-dictionaries")
    try:
        ctx = FlowServiceContext(db=pool, audio_store=await JetStreamAudioStore.open(nc.jetstream()))
        return [await install_language(files, language, ctx, replace=replace) for language, files in folders.items()]
    finally:
        await nc.close()
        await pool.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"python -m callcast_flow {COMMAND}", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", type=Path, required=True, help="folder holding <language>/<key>.wav")
    p.add_argument(
        "--language",
        action="append",
        choices=DICTIONARY_LANGUAGES,
        help="only this language (repeatable; default: every language with a folder)",
    )
    p.add_argument("--replace", action="store_true", help="re-install keys that are already there")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # stdout carries the summary (the stack reads it); logs go to stderr.
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )
    if not args.dir.is_dir():
        print(f"{COMMAND}: {args.dir} is not a folder", file=sys.stderr)
        return 2
    began = time.monotonic()
    folders: dict[str, list[Path]] = {}
    for language in args.language or DICTIONARY_LANGUAGES:
        if (args.dir / language).is_dir():
            folders[language] = audio_files(args.dir / language)
        else:
            print(f"{language}: no folder {args.dir / language}, nothing to install", file=sys.stderr)
    reports = asyncio.run(install(folders, replace=args.replace))
    for r in reports:
        print(
            f"{r.language}: system dictionary {r.dictionary_id}: {r.installed} installed, "
            f"{r.skipped} already there, {r.failed} failed"
        )
    print(f"done in {time.monotonic() - began:.1f} s")
    return 1 if any(r.failed for r in reports) else 0
