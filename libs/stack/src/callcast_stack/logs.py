"""Service output: one line at a time, prefixed with the service name, teed to a log file.

``contact   | listening on 127.0.0.1:8101`` — the prefix is padded so the messages line up, and
coloured per service when the output is a terminal (``NO_COLOR`` turns colours off,
``FORCE_COLOR`` on). Each service's own file under ``logs/`` gets the lines as the service wrote
them, without prefix or colour, for grepping and for tests to attach to a failure report.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from pathlib import Path
from typing import IO, TextIO

_COLOURS = ("36", "33", "32", "35", "34", "31", "96", "93", "92", "95")
_RESET = "\x1b[0m"
_write_lock = threading.Lock()


def use_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class LinePrefixer:
    """Formats ``name | line`` for one service; shares a lock so lines never interleave."""

    def __init__(self, name: str, width: int, index: int, stream: TextIO | None) -> None:
        self.stream = stream
        label = name.ljust(width)
        if stream is not None and use_colour(stream):
            colour = _COLOURS[index % len(_COLOURS)]
            self.prefix = f"\x1b[{colour}m{label} |{_RESET} "
        else:
            self.prefix = f"{label} | "

    def emit(self, line: str) -> None:
        if self.stream is None:
            return
        with _write_lock:
            try:
                self.stream.write(self.prefix + line + "\n")
                self.stream.flush()
            except (OSError, ValueError):
                pass  # the terminal went away (closed pipe): keep the service's log file going


class OutputPump:
    """A daemon thread copying a child's output to its log file and, prefixed, to the console."""

    def __init__(
        self,
        source: IO[bytes],
        log_path: Path,
        prefixer: LinePrefixer,
        keep_lines: int = 200,
    ) -> None:
        self.source = source
        self.log_path = log_path
        self.prefixer = prefixer
        self.recent: deque[str] = deque(maxlen=keep_lines)
        self.thread = threading.Thread(target=self._run, name=f"pump:{log_path.stem}", daemon=True)

    def start(self) -> OutputPump:
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def tail(self, lines: int = 40) -> str:
        return "\n".join(list(self.recent)[-lines:])

    def _run(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as log:
            for raw in iter(self.source.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                self.recent.append(line)
                log.write(line + "\n")
                log.flush()
                self.prefixer.emit(line)
        self.source.close()
