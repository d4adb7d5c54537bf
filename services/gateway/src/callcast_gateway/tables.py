"""Where the gateway's tables live: its PostgreSQL schema and the migrations that build it."""

from __future__ import annotations

from pathlib import Path

SCHEMA = "gateway"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
