from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Helpers next to this file must import under any --import-mode (importlib mode adds nothing
# to sys.path).
sys.path.insert(0, str(Path(__file__).parent))

from stack_fakes import write_fake_services


@pytest.fixture
def fake_services_path(tmp_path: Path) -> Path:
    """A directory whose ``callcast_<name>`` packages shadow the real services."""
    return write_fake_services(tmp_path / "fakes")


@pytest.fixture
def fake_services_env(fake_services_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fakes first on PYTHONPATH for every child process the test starts."""
    existing = os.environ.get("PYTHONPATH")
    value = str(fake_services_path) + (os.pathsep + existing if existing else "")
    monkeypatch.setenv("PYTHONPATH", value)
    return fake_services_path
