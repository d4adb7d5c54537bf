"""The contact context's pure core: models, commands, validation rules, the events a change emits.

Nothing here does I/O; adapters and entry points depend on it, never the other way round.
"""
