"""callcast-flow."""
