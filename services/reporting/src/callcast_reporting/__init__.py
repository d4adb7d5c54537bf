"""callcast-reporting."""
