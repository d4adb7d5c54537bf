"""The multipart body of ``POST /audio-management/upload``: decoded by hand, to name each field.

Parts: ``file`` (required, the audio), ``title?`` (≤255), ``description?`` (≤500), ``usageType?``,
``tags?`` (repeated, or one comma-separated string; ``tags[]`` is accepted too). Any other part
is rejected, like an unknown property of a JSON body. An empty text part counts as left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType

from callcast_flow.domain.audio import (
    DESCRIPTION_MAX,
    MAX_TAGS,
    TAG_MAX,
    TITLE_MAX,
    USAGE_TYPES,
    InvalidTags,
    parse_tags,
)
from callcast_flow.domain.commands import UploadAudio
from callcast_runtime.errors import ValidationFailed

TEXT_PARTS = ("title", "description", "usageType")
TAG_PARTS = ("tags", "tags[]")

#: Room for the multipart framing and the text parts around a file of the largest size, so
#: that a file just over the limit reaches the handler (and gets its own 413 naming ``file``).
FORM_OVERHEAD_BYTES = 256 * 1024


def _single_text(values: list[Any], field: str) -> str | None:
    if len(values) > 1:
        raise ValidationFailed.single(field, f"{field} must be given once", "isSingle")
    value = values[0] if values else None
    if value is None:
        return None
    if isinstance(value, UploadFile):
        raise ValidationFailed.single(field, f"{field} must be a text field, not a file", "isString")
    text = str(value).strip()
    return text or None


async def upload_command(request: Request[Any, Any, Any], org_id: str) -> UploadAudio:
    media_type = request.content_type[0]
    if media_type != "multipart/form-data":
        raise ValidationFailed.single("file", "send the audio as multipart/form-data with a file part", "isFile")
    form = await request.form()
    for key in form:
        if key != "file" and key not in TEXT_PARTS and key not in TAG_PARTS:
            raise ValidationFailed.single(key, f"{key} property should not exist", "unknownField")

    files = form.getall("file") if "file" in form else []
    if not files:
        raise ValidationFailed.single("file", "file is required", "required")
    if len(files) > 1:
        raise ValidationFailed.single("file", "upload one file at a time", "isSingle")
    upload = files[0]
    if not isinstance(upload, UploadFile):
        raise ValidationFailed.single("file", "file must be a file part (with a filename)", "isFile")

    title = _single_text(form.getall("title") if "title" in form else [], "title")
    if title is not None and len(title) > TITLE_MAX:
        raise ValidationFailed.single(
            "title", f"title must be at most {TITLE_MAX} characters", "maxLength", max=TITLE_MAX
        )
    description = _single_text(form.getall("description") if "description" in form else [], "description")
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise ValidationFailed.single(
            "description", f"description must be at most {DESCRIPTION_MAX} characters", "maxLength", max=DESCRIPTION_MAX
        )
    usage_type = _single_text(form.getall("usageType") if "usageType" in form else [], "usageType")
    if usage_type is not None and usage_type not in USAGE_TYPES:
        raise ValidationFailed.single(
            "usageType", f"usageType must be one of: {', '.join(USAGE_TYPES)}", "isEnum", allowed=list(USAGE_TYPES)
        )

    raw_tags: list[str] = []
    for key in TAG_PARTS:
        for value in form.getall(key) if key in form else []:
            if isinstance(value, UploadFile):
                raise ValidationFailed.single("tags", "tags must be text, not a file", "isString")
            raw_tags.append(str(value))
    try:
        tags = parse_tags(raw_tags) if raw_tags else None
    except InvalidTags as err:
        raise ValidationFailed.single("tags", f"tags: {err}", "invalidTags") from None

    data = await upload.read()
    await upload.close()
    return UploadAudio(
        org_id=org_id,
        file_name=upload.filename or None,
        data=data,
        title=title,
        description=description,
        usage_type=usage_type,
        tags=tags,
    )


def _text(max_length: int, description: str) -> Schema:
    return Schema(type=OpenAPIType.STRING, max_length=max_length, description=description)


UPLOAD_FORM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["file"],
    properties={
        "file": Schema(
            type=OpenAPIType.STRING,
            format=OpenAPIFormat.BINARY,
            description="WAV (recommended), MP3 or OGG; at most 20 MB and 30 minutes.",
        ),
        "title": _text(TITLE_MAX, "Defaults to the file name without its extension."),
        "description": _text(DESCRIPTION_MAX, "Free text."),
        "usageType": Schema(type=OpenAPIType.STRING, enum=list(USAGE_TYPES), description="Defaults to `other`."),
        "tags": Schema(
            one_of=[
                Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.STRING, max_length=TAG_MAX)),
                Schema(type=OpenAPIType.STRING, description='Comma-separated, e.g. "greeting,payment".'),
            ],
            description=f"At most {MAX_TAGS} tags of at most {TAG_MAX} characters each.",
        ),
    },
    additional_properties=False,
)


@dataclass
class UploadAudioOperation(Operation):
    """Documents the multipart body, which the handler decodes itself."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"multipart/form-data": OpenAPIMediaType(schema=UPLOAD_FORM_SCHEMA)},
            required=True,
            description="The audio file and its metadata.",
        )
