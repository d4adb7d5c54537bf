"""callcast-dialer."""
