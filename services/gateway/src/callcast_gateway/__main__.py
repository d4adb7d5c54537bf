"""``python -m callcast_gateway [serve | create-org NAME ...]``."""

from callcast_gateway.entrypoints.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
