"""callcast-gateway."""
