"""Callcast's language-neutral contracts: the event envelope, events, subjects and streams.

Everything here is pure data: msgspec Structs and names. No I/O.
"""
