"""Where a local stack keeps its state (``.callcast/``) and how others find the running one.

``stack.json`` is written once every service is ready and removed when the stack stops; other
commands (``create-org``, ``env``) read it and check that the supervisor that wrote it still runs.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from callcast_stack.processes import pid_is_alive

STATE_DIR_ENV = "CALLCAST_STATE_DIR"


class NoRunningStack(RuntimeError):
    pass


def workspace_root(start: Path | None = None) -> Path:
    """The directory of the uv workspace's root pyproject.toml above ``start`` (or the cwd)."""
    here = (start or Path.cwd()).resolve()
    for directory in [here, *here.parents]:
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file() and "[tool.uv.workspace]" in pyproject.read_text(errors="replace"):
            return directory
    return here


def state_dir() -> Path:
    """``$CALLCAST_STATE_DIR``, else ``.callcast/`` at the workspace root."""
    configured = os.environ.get(STATE_DIR_ENV)
    return Path(configured).resolve() if configured else workspace_root() / ".callcast"


@dataclass
class StackInfo:
    """What ``stack.json`` holds (camelCase on disk, like the API)."""

    nats_url: str
    database_url: str
    gateway_url: str
    services: dict[str, str]
    pids: dict[str, int]
    logs_dir: str
    sip_trunk: str | None = None
    #: "starting" until every service is ready, then "ready"
    status: str = "ready"
    started_at: str = ""

    def to_json(self) -> str:
        return json.dumps({_camel(k): v for k, v in asdict(self).items()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> StackInfo:
        raw = json.loads(text)
        known = {_camel(name): name for name in cls.__dataclass_fields__}
        return cls(**{known[k]: v for k, v in raw.items() if k in known})

    @property
    def supervisor_pid(self) -> int | None:
        return self.pids.get("supervisor")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def stack_file(directory: Path | None = None) -> Path:
    return (directory or state_dir()) / "stack.json"


def write_stack_info(info: StackInfo, directory: Path | None = None) -> Path:
    path = stack_file(directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(info.to_json())
    tmp.replace(path)  # readers never see half a file
    return path


def remove_stack_info(directory: Path | None = None) -> None:
    stack_file(directory).unlink(missing_ok=True)


def running_stack_info(directory: Path | None = None) -> StackInfo:
    """The stack recorded in ``stack.json``, if the supervisor that wrote it is still alive."""
    path = stack_file(directory)
    if not path.exists():
        raise NoRunningStack(f"no running stack ({path} does not exist); start one with `just up`")
    info = StackInfo.from_json(path.read_text())
    pid = info.supervisor_pid
    if pid is None or not pid_is_alive(pid):
        raise NoRunningStack(
            f"{path} is left over from a stack that is no longer running (supervisor pid {pid}); "
            "start one with `just up`"
        )
    return info
