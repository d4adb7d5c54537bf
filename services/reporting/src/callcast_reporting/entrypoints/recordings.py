"""``/api/recordings/{recordingId}``: a record node's audio as the WAV the dialer stored."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import PathParameter

from callcast_reporting.adapters.recordings import read_recording
from callcast_runtime.api import parse_uuid
from callcast_runtime.errors import PROBLEM_JSON, NotFound
from callcast_runtime.service import Runtime


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=dict[str, Any], description=description, media_type=PROBLEM_JSON)


class RecordingController(Controller):
    path = "/api/recordings"
    tags = ["Recordings"]

    @get(
        "/{recording_id:str}",
        operation_id="getRecording",
        summary="A recording made by a record node: the callee's audio as WAV (PCM16, 8 kHz, mono)",
        media_type="audio/wav",
        response_description="RIFF WAV, 16-bit PCM, 8 kHz, mono",
        responses={
            400: _problem("recordingId is not a UUID"),
            401: _problem("No organization (the gateway sets X-Callcast-Org-Id after authenticating)"),
            404: _problem("RecordingNotFoundError: no such recording in your organization"),
        },
    )
    async def get_recording(
        self,
        runtime: NamedDependency[Runtime],
        org_id: NamedDependency[str],
        recording_id: Annotated[
            str, PathParameter(description="The recordingId of the record node's event in the call report")
        ],
    ) -> Response[bytes]:
        """The id comes from the call report (the ``record`` node's event carries ``recordingId``).
        Another organization's recording answers 404, as a missing one does."""
        rid = parse_uuid(recording_id, "recordingId")
        wav = await read_recording(runtime.js, org_id, rid)
        if wav is None:
            raise NotFound("Recording not found", code="RecordingNotFoundError")
        return Response(
            content=wav,
            media_type="audio/wav",
            headers={"Content-Disposition": f'inline; filename="{rid}.wav"'},
        )
