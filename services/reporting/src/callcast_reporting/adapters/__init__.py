"""I/O of the reporting service: PostgreSQL read models, projection positions, rebuilds."""
