"""``python -m callcast_flow``: run the flow service; ``python -m callcast_flow
install-system-dictionaries --dir DIR`` installs the system dictionaries (see
``entrypoints/dictionaries_cli.py``)."""

import sys

from callcast_flow.bootstrap import build_spec
from callcast_runtime.service import run


def main() -> None:
    if sys.argv[1:2] == ["install-system-dictionaries"]:
        from callcast_flow.entrypoints.dictionaries_cli import main as install_system_dictionaries

        raise SystemExit(install_system_dictionaries(sys.argv[2:]))
    run(build_spec())


if __name__ == "__main__":
    main()
