"""Request and response bodies of the dictionaries API (camelCase on the wire), and their mapping."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, UnsetType

from callcast_contracts.spoken import RenderedItem
from callcast_flow.dictionaries_handlers import DictionaryView
from callcast_flow.domain.dictionaries import DESCRIPTION_MAX, NAME_MAX, DictionaryEntry
from callcast_runtime.api import ApiModel, ApiResponse, iso

LanguageField = Literal["ar", "fr"]
DictionaryName = Annotated[str, Meta(min_length=1, max_length=NAME_MAX, description="1–256 characters")]
DictionaryDescription = Annotated[str, Meta(max_length=DESCRIPTION_MAX)]


class CreateDictionaryBody(ApiModel):
    name: DictionaryName
    language: LanguageField
    description: DictionaryDescription | None = None


class UpdateDictionaryBody(ApiModel):
    """Fields left out keep their value; ``description: null`` clears it; ``language`` cannot change
    (sending the current one is accepted)."""

    name: DictionaryName | UnsetType = UNSET
    description: DictionaryDescription | UnsetType | None = UNSET
    language: LanguageField | UnsetType = UNSET


class DictionaryResponse(ApiResponse):
    id: str
    name: str
    description: str | None
    language: str
    organization_id: str | None
    is_system: bool
    created_at: str
    updated_at: str
    deleted_at: str | None
    created_by: str
    updated_by: str
    deleted_by: str | None
    #: How many keys the dictionary has (key-set keys and any others).
    entry_count: int
    #: Keys of the language's key set this dictionary has no clip for (in key-set order).
    missing_keys: list[str]


def dictionary_response(view: DictionaryView) -> DictionaryResponse:
    d = view.dictionary
    return DictionaryResponse(
        id=d.id,
        name=d.name,
        description=d.description,
        language=d.language,
        organization_id=d.org_id,
        is_system=d.is_system,
        created_at=iso(d.created_at) or "",
        updated_at=iso(d.updated_at) or "",
        deleted_at=iso(d.deleted_at),
        created_by=d.created_by,
        updated_by=d.updated_by,
        deleted_by=d.deleted_by,
        entry_count=view.entry_count,
        missing_keys=view.missing_keys,
    )


class EntryFileResponse(ApiResponse):
    name: str | None
    content_type: str
    file_size: int
    checksum: str


class DictionaryEntryResponse(ApiResponse):
    id: str
    dictionary_id: str
    key: str
    duration_seconds: float
    #: ``sha256:<hex>`` of the stored 8 kHz μ-law clip.
    digest: str
    created_at: str
    updated_at: str
    file: EntryFileResponse


def entry_response(e: DictionaryEntry) -> DictionaryEntryResponse:
    return DictionaryEntryResponse(
        id=e.id,
        dictionary_id=e.dictionary_id,
        key=e.key,
        duration_seconds=e.duration_seconds,
        digest=e.digest,
        created_at=iso(e.created_at) or "",
        updated_at=iso(e.updated_at) or "",
        file=EntryFileResponse(
            name=e.original_file_name, content_type=e.file_content_type, file_size=e.file_size, checksum=e.file_checksum
        ),
    )


PlayItem = Annotated[
    dict[str, Any],
    Meta(
        description='A play item: `{"type": "number"|"date"|"word", "value", "language": "ar"|"fr", '
        '"mode"?, "currency"?}` with a literal value.'
    ),
]


class RenderBody(ApiModel):
    items: Annotated[list[PlayItem], Meta(min_length=1, max_length=50)]


class SpokenClipResponse(ApiResponse):
    key: str
    dictionary_id: str
    duration_seconds: float


class RenderedItemResponse(ApiResponse):
    keys: list[str]
    clips: list[SpokenClipResponse]
    missing_keys: list[str]
    error: str | None


class RenderResponse(ApiResponse):
    items: list[RenderedItemResponse]


def render_response(items: list[RenderedItem]) -> RenderResponse:
    return RenderResponse(
        items=[
            RenderedItemResponse(
                keys=item.keys,
                clips=[
                    SpokenClipResponse(key=c.key, dictionary_id=c.dictionary_id, duration_seconds=c.duration_ms / 1000)
                    for c in item.clips
                ],
                missing_keys=item.missing_keys,
                error=item.error,
            )
            for item in items
        ]
    )
