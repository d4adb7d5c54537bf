# Callcast — the two commands a newcomer needs: `uv run just demo` and `uv run just test`.
# Every recipe goes through `uv run`, so it uses the project's environment however `just` was
# started. `just` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

[doc('List the recipes')]
default:
    @just --list --unsorted

# --- run ----------------------------------------------------------------------------------------

[group('run')]
[doc('Run NATS, PostgreSQL and every service, gateway on 127.0.0.1:8080 (Ctrl-C stops all)')]
up:
    uv run python -m callcast_stack up

[group('run')]
[doc('Create an organization on the running stack; prints its API key on the last line')]
create-org NAME:
    uv run python -m callcast_stack create-org {{ quote(NAME) }}

[group('run')]
[doc('Run a one-call campaign end to end against a local SIPp callee, then stop')]
demo:
    uv run python -m callcast_stack demo

[group('run')]
[doc('Print export lines (NATS_URL, DATABASE_URL, CALLCAST_*_URL) for the running stack')]
env:
    @uv run python -m callcast_stack env

[group('run')]
[doc('Delete the local state in .callcast/ (stack must be stopped)')]
reset:
    uv run python -m callcast_stack reset

# --- test ---------------------------------------------------------------------------------------

[positional-arguments]
[group('test')]
[doc('Everything: system tools, lint, type check, then all tests (args go to pytest)')]
test *ARGS: tools lint typecheck
    uv run pytest "$@"

[positional-arguments]
[group('test')]
[doc('Pure tests only: no NATS, PostgreSQL or SIPp')]
test-unit *ARGS:
    uv run pytest -m unit "$@"

[positional-arguments]
[group('test')]
[doc('Tests against a real NATS JetStream and PostgreSQL')]
test-integration *ARGS:
    uv run pytest -m integration "$@"

[positional-arguments]
[group('test')]
[doc('The whole stack as separate processes with a SIPp callee')]
test-e2e *ARGS: tools
    uv run pytest -m e2e "$@"

# --- check --------------------------------------------------------------------------------------

[group('check')]
[doc('Install missing SIPp, espeak-ng and sox with apt (as root), else say what to install')]
tools:
    uv run python -m callcast_stack tools

[group('check')]
[doc('Lint with ruff')]
lint:
    uv run ruff check .

[group('check')]
[doc('Type-check every library and service with mypy')]
typecheck:
    uv run mypy libs/*/src services/*/src

[group('check')]
[doc('Format the code with ruff')]
fmt:
    uv run ruff format .
    uv run ruff check --fix .

# --- contracts and benchmarks -------------------------------------------------------------------

[group('contracts')]
[doc('Regenerate proto/ (JSON Schemas, AsyncAPI, OpenAPI) from the code')]
contracts:
    uv run python -m callcast_stack.contracts

[positional-arguments]
[group('bench')]
[doc('Run the benchmarks: all suites, or some of media, setup, amd, store, dispatch (e.g. `just bench media`); JSON in bench-results/')]
bench *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p bench-results
    # --output defaults to bench-results/bench-<suites>-<utc>.json; exit 1 if a suite failed
    uv run python -m callcast_stack.bench "$@"
