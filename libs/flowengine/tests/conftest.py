"""The flow engine's tests: pure (marker ``unit``), no fixtures beyond the helpers module."""

from __future__ import annotations

import sys
from pathlib import Path

# ``flowengine_helpers`` must import under any --import-mode (importlib mode adds nothing to sys.path).
sys.path.insert(0, str(Path(__file__).parent))
