"""callcast-stack: the local developer stack and the test infrastructure.

- ``nats`` / ``postgres``: the pinned NATS server and embedded PostgreSQL (or the ones
  ``NATS_URL`` / ``DATABASE_URL`` name); ``create_database``, ``fresh_database_url``.
- ``supervisor``: each service as its own process, prefixed logs, readiness, orderly stop.
- ``stack``: all of it in order (``LocalStack``); ``state``: ``.callcast/stack.json``.
- ``cli`` (``python -m callcast_stack up|create-org|demo|env|tools|reset``), ``demo``.
- ``client``: a thin client of the gateway's API; ``org``: ``create-org`` through the gateway.
- ``sipp`` (SIPp callees), ``callee`` (one for synchronous code), ``tools`` (apt-installed tools),
  ``audio`` (test prompts), ``pytest_plugin`` (session fixtures), ``containers`` (optional).
"""
