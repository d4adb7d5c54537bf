"""Dictionary rules: what a key may be, where its clip lives, the system dictionaries' identity."""

from __future__ import annotations

import pytest

from callcast_flow.domain.dictionaries import (
    InvalidKey,
    check_key,
    entry_object_name,
    system_dictionary_id,
)

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("key", ["1", "1000_plural", "and", "currency_MAD", "bonjour madame", "ألف", "k" * 256])
def test_keys_of_any_language_up_to_256_characters_are_accepted(key: str) -> None:
    assert check_key(f"  {key} ") == key


@pytest.mark.parametrize("key", ["", "   ", "k" * 257, "a/b", "a\\b", "tab\there", "new\nline"])
def test_keys_that_are_empty_too_long_or_not_a_plain_name_are_refused(key: str) -> None:
    with pytest.raises(InvalidKey):
        check_key(key)


def test_a_clip_lives_under_its_dictionary_and_key() -> None:
    assert entry_object_name("d1", "1000_dual") == "dictionaries/d1/1000_dual.ulaw"


def test_each_language_has_one_system_dictionary_whatever_installs_it() -> None:
    assert system_dictionary_id("fr") == system_dictionary_id("fr")
    assert system_dictionary_id("fr") != system_dictionary_id("ar")
