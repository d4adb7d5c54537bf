"""``python -m callcast_gateway``: run the gateway (``serve``, the default) or provision an
organization (``create-org``).

``create-org NAME`` applies the gateway's migrations to ``DATABASE_URL``, creates the organization,
its owner user and a first API key, prints a short summary and then the key alone on the last line
of stdout (scripts take it with ``tail -n1``). Logs go to stderr so stdout stays clean.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
import structlog

from callcast_gateway import handlers
from callcast_gateway.domain.organizations import (
    DEFAULT_TIMEZONE,
    NAME_MAX_LENGTH,
    SLUG_PATTERN,
    valid_slug,
)
from callcast_gateway.tables import MIGRATIONS, SCHEMA
from callcast_runtime.db import open_pool
from callcast_runtime.errors import ApiError
from callcast_runtime.migrations import apply_migrations


def _org_name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        raise argparse.ArgumentTypeError(f"the name must have 1 to {NAME_MAX_LENGTH} characters")
    return name


def _slug(value: str) -> str:
    if not valid_slug(value):
        raise argparse.ArgumentTypeError(f"a slug is lower-case letters and digits joined by '-' ({SLUG_PATTERN})")
    return value


def _email(value: str) -> str:
    email = value.strip()
    local, at, domain = email.partition("@")
    if not (at and local and "." in domain and " " not in email and len(email) <= 320):
        raise argparse.ArgumentTypeError(f"not an e-mail address: {value!r}")
    return email


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown IANA time zone {value!r}") from None
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m callcast_gateway", description="The Callcast API gateway.")
    commands = p.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("serve", help="run the gateway (the default)")
    create = commands.add_parser(
        "create-org",
        help="create an organization and its first API key (printed alone on the last line)",
        description="Create an organization, its owner user and a first API key, in DATABASE_URL.",
    )
    create.add_argument("name", type=_org_name, help="the organization's name")
    create.add_argument("--slug", type=_slug, help="URL-friendly id (default: derived from the name, made unique)")
    create.add_argument("--timezone", type=_timezone, default=DEFAULT_TIMEZONE, help="IANA time zone")
    create.add_argument("--owner-email", type=_email, help="the owner user's e-mail (default: owner@<slug>.invalid)")
    create.add_argument("--owner-first-name", default="Organization")
    create.add_argument("--owner-last-name", default="Owner")
    create.add_argument("--key-name", default=handlers.FIRST_KEY_NAME, help="the first API key's name")
    return p


async def create_org(args: argparse.Namespace, database_url: str) -> handlers.ProvisionedOrganization:
    await apply_migrations(database_url, SCHEMA, MIGRATIONS)
    pool = await open_pool(database_url, SCHEMA, min_size=1, max_size=1)
    try:
        async with pool.connection() as conn:
            return await handlers.create_organization(
                conn,
                name=args.name,
                slug=args.slug,
                timezone=args.timezone,
                owner_email=args.owner_email,
                owner_first_name=args.owner_first_name,
                owner_last_name=args.owner_last_name,
                key_name=args.key_name,
            )
    finally:
        await pool.close()


def _logs_to_stderr() -> None:
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.dev.ConsoleRenderer(colors=False)],
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command in (None, "serve"):
        # Imported here: the service pulls in the web and messaging stacks, which create-org
        # (run by scripts, where start-up time shows) does not need.
        from callcast_gateway.bootstrap import build_spec
        from callcast_runtime.service import run

        run(build_spec())
        return 0
    _logs_to_stderr()
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        print("create-org: DATABASE_URL is not set", file=sys.stderr)
        return 2
    try:
        created = asyncio.run(create_org(args, database_url))
    except ApiError as exc:
        print(f"create-org: {exc.message}", file=sys.stderr)
        return 1
    except psycopg.Error as exc:
        print(f"create-org: database error: {exc}", file=sys.stderr)
        return 1
    org, owner, key = created.organization, created.owner, created.api_key
    print(f"Created organization {org.name!r} (slug {org.slug}, id {org.id}) with owner {owner.email}.")
    print(f"API key {key.name!r} ({key.key_prefix}…), shown once — store it now:")
    print(created.secret)
    return 0
