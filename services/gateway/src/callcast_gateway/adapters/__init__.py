"""I/O: the gateway's tables (PostgreSQL) and the services behind it (HTTP)."""
