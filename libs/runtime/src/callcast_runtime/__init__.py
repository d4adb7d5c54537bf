"""Shared runtime of every Callcast service: settings, logging, tracing, NATS, PostgreSQL, HTTP."""
