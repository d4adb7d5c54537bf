"""Commands on dictionaries (imperative names). In an update, ``UNSET`` keeps the current value and
``None`` clears a nullable field."""

from __future__ import annotations

from dataclasses import dataclass

from msgspec import UNSET, UnsetType


class DictionaryCommand:
    """Base of every dictionary command; ``DICTIONARY_COMMAND_HANDLERS`` maps each to its handler."""


@dataclass(frozen=True)
class CreateDictionary(DictionaryCommand):
    org_id: str
    name: str
    description: str | None
    language: str


@dataclass(frozen=True)
class UpdateDictionary(DictionaryCommand):
    org_id: str
    dictionary_id: str
    name: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    #: Accepted only when it is the dictionary's language (it cannot change).
    language: str | UnsetType = UNSET


@dataclass(frozen=True)
class DeleteDictionary(DictionaryCommand):
    org_id: str
    dictionary_id: str


@dataclass(frozen=True)
class AddDictionaryEntry(DictionaryCommand):
    """Store ``data`` (an audio file) as the clip of ``key``; a key already there gets the new clip."""

    org_id: str
    dictionary_id: str
    key: str
    data: bytes
    file_name: str | None


@dataclass(frozen=True)
class DeleteDictionaryEntry(DictionaryCommand):
    org_id: str
    dictionary_id: str
    entry_id: str
