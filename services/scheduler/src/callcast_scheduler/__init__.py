"""callcast-scheduler."""
