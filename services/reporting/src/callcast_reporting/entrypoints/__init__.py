"""Thin edges: HTTP routes and stream subscribers decode, call a handler, encode."""
