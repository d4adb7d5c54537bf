"""Where callee recordings live, shared by the dialer (writes) and reporting (serves them).

Object store bucket ``callcast-recordings``; object ``<orgId>/<recordingId>.wav`` (RIFF WAV, 16-bit
mono 8 kHz) with a ``Callcast-Org-Id`` header, so a reader checks the organization twice (name
and header) and another organization's id reads as missing. docs/recording.md.
"""

from __future__ import annotations

RECORDINGS_BUCKET = "callcast-recordings"
ORG_HEADER = "Callcast-Org-Id"
WAV_CONTENT_TYPE = "audio/wav"


def recording_object_name(org_id: str, recording_id: str) -> str:
    return f"{org_id}/{recording_id}.wav"
