"""callcast-contact."""
