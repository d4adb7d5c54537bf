"""Thin edges: HTTP routes decode, call a handler, encode."""
