"""``python -m callcast_contact``: run the contact service."""

from callcast_contact.bootstrap import build_spec
from callcast_runtime.service import run


def main() -> None:
    run(build_spec())


if __name__ == "__main__":
    main()
