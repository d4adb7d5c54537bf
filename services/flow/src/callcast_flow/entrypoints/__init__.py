"""Entry points: the HTTP API (the flow service consumes no events yet)."""
