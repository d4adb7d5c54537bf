"""Dictionaries: audio clips keyed by word or number, which play nodes use to speak numbers,
dates and words (the keys a language uses are ``callcast_spoken``'s key set).

A dictionary belongs to an organization, or is a system dictionary (no organization) that every
organization sees and none may change. Lookup of a key for an organization and a language: the
organization's live dictionaries of that language, newest first, then the system ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from callcast_contracts.events.flows import (
    DictionaryDeleted,
    DictionaryEntryDeleted,
    DictionaryEntrySaved,
    DictionarySaved,
)
from callcast_contracts.ids import derived_id
from callcast_contracts.subjects import Aggregate, Context, subject
from callcast_spoken import LANGUAGES, MAX_KEY_LENGTH

NAME_MAX = 256
DESCRIPTION_MAX = 500
KEY_MAX = MAX_KEY_LENGTH
#: A dictionary clip is a word or a short phrase; longer uploads are refused.
MAX_ENTRY_SECONDS = 30
#: Who made a change to a system dictionary (the ``createdBy`` of its rows), and the subject token
#: its events travel under in place of an organization id.
SYSTEM = "system"

DICTIONARY_LANGUAGES: tuple[str, ...] = LANGUAGES


@dataclass(frozen=True)
class Dictionary:
    id: str
    #: ``None`` for a system dictionary.
    org_id: str | None
    name: str
    description: str | None
    language: str
    revision: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    created_by: str
    updated_by: str
    deleted_by: str | None

    @property
    def is_system(self) -> bool:
        return self.org_id is None

    @property
    def owner(self) -> str:
        """The subject token of its events: the organization, or ``system``."""
        return self.org_id or SYSTEM


@dataclass(frozen=True)
class DictionaryEntry:
    id: str
    dictionary_id: str
    key: str
    object_name: str
    #: ``sha256:<hex>`` of the stored μ-law bytes.
    digest: str
    duration_ms: int
    original_file_name: str | None
    file_content_type: str
    file_size: int
    #: ``sha256:<hex>`` of the uploaded bytes.
    file_checksum: str
    revision: int
    created_at: datetime
    updated_at: datetime

    @property
    def duration_seconds(self) -> float:
        return self.duration_ms / 1000


class InvalidKey(ValueError):
    pass


def check_key(raw: str) -> str:
    """A dictionary key: 1–256 characters, no surrounding spaces, no ``/`` or ``\\`` (it names an
    object), no control characters."""
    key = raw.strip()
    if not key:
        raise InvalidKey("key must not be empty")
    if len(key) > KEY_MAX:
        raise InvalidKey(f"key must be at most {KEY_MAX} characters")
    if any(c in "/\\" or not c.isprintable() for c in key):
        raise InvalidKey("key must not contain '/', '\\' or control characters")
    return key


def entry_object_name(dictionary_id: str, key: str) -> str:
    return f"dictionaries/{dictionary_id}/{key}.ulaw"


def system_dictionary_id(language: str) -> str:
    """The system dictionary of a language has a fixed id, so installing it twice finds it."""
    return derived_id("system-dictionary", language)


def system_dictionary_name(language: str) -> str:
    return f"System dictionary ({language})"


def dictionary_subject(dictionary: Dictionary) -> str:
    return subject(Context.FLOWS, dictionary.owner, Aggregate.DICTIONARY, dictionary.id)


def dictionary_saved(d: Dictionary) -> DictionarySaved:
    return DictionarySaved(
        dictionary_id=d.id, name=d.name, language=d.language, is_system=d.is_system, revision=d.revision
    )


def dictionary_saved_msg_id(d: Dictionary) -> str:
    return f"dictionary-{d.id}-r{d.revision}"


def dictionary_deleted(d: Dictionary) -> DictionaryDeleted:
    return DictionaryDeleted(dictionary_id=d.id)


def dictionary_deleted_msg_id(d: Dictionary) -> str:
    return f"dictionary-{d.id}-deleted"


def entry_saved(d: Dictionary, e: DictionaryEntry) -> DictionaryEntrySaved:
    return DictionaryEntrySaved(
        dictionary_id=d.id,
        entry_id=e.id,
        key=e.key,
        language=d.language,
        object_name=e.object_name,
        digest=e.digest,
        duration_ms=e.duration_ms,
        revision=e.revision,
    )


def entry_saved_msg_id(e: DictionaryEntry) -> str:
    return f"dictionary-entry-{e.id}-r{e.revision}"


def entry_deleted(d: Dictionary, e: DictionaryEntry) -> DictionaryEntryDeleted:
    return DictionaryEntryDeleted(dictionary_id=d.id, entry_id=e.id, key=e.key)


def entry_deleted_msg_id(e: DictionaryEntry) -> str:
    return f"dictionary-entry-{e.id}-deleted"
