"""Shared helpers for the end-to-end tests (the fixtures themselves are in ``tests/conftest.py``;
``nats_url``, ``database_url``, ``new_database`` and ``sipp_installed`` come from the
callcast-stack pytest plugin and work in every test tree).

- ``support.stack``: start the whole stack for tests (``start_test_stack``).
- ``support.polling``: ``eventually(...)`` for eventually consistent reads.
- ``support.failures``: service log tails attached to a failing test's report.
"""
