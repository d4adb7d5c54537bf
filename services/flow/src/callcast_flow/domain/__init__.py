"""The flow service's pure core: flows and their versions, the flow validator, audio assets.

Nothing here performs I/O; handlers feed it what it needs (for example the audio ids that exist).
"""
