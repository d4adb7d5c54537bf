"""I/O: PostgreSQL repositories and the unit of work that commits a change with its events."""
