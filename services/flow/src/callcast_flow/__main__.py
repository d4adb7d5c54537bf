"""``python -m callcast_flow``: run the flow service."""

from callcast_flow.bootstrap import build_spec
from callcast_runtime.service import run


def main() -> None:
    run(build_spec())


if __name__ == "__main__":
    main()
