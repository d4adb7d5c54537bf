"""French numbers: the keys, said aloud, are num2words' words; amounts, decimals and digits."""

from __future__ import annotations

import random

import pytest
from num2words import num2words

from callcast_spoken import render_number, spoken_words

pytestmark = pytest.mark.unit


def french(value: object, mode: str = "cardinal", currency: str | None = None) -> str:
    return spoken_words("fr", render_number(value, "fr", mode, currency=currency))


def normalised(text: str) -> str:
    """Words compared as spoken: hyphens are spaces."""
    return " ".join(text.replace("-", " ").split())


def test_every_number_from_0_to_10000_is_said_as_num2words_says_it() -> None:
    differences = {
        n: (french(n), num2words(n, lang="fr"))
        for n in range(10_001)
        if normalised(french(n)) != normalised(num2words(n, lang="fr"))
    }
    assert differences == {}


def test_a_random_sample_up_to_999_999_999_is_said_as_num2words_says_it() -> None:
    sample = random.Random(20240305).sample(range(10_001, 1_000_000_000), 20_000)
    sample += [999_999_999, 1_000_000, 80_000_000, 200_000_000, 200_000, 80_000, 1_000_001, 71_071_071]
    differences = {
        n: (french(n), num2words(n, lang="fr"))
        for n in sample
        if normalised(french(n)) != normalised(num2words(n, lang="fr"))
    }
    assert differences == {}


@pytest.mark.parametrize(
    ("n", "keys"),
    [
        (21, ["20", "and", "1"]),
        (70, ["60", "10"]),
        (71, ["60", "and", "11"]),
        (77, ["60", "17"]),
        (80, ["80_plural"]),
        (81, ["80", "1"]),
        (91, ["80", "11"]),
        (100, ["100"]),
        (200, ["2", "100_plural"]),
        (201, ["2", "100", "1"]),
        (1000, ["1000"]),
        (80_000, ["80", "1000"]),
        (200_000, ["2", "100", "1000"]),
        (2_000_000, ["2", "1000000_plural"]),
        (80_000_000, ["80_plural", "1000000_plural"]),
        (1_000_000_000, ["1", "1000000000"]),
    ],
)
def test_french_numbers_are_built_from_the_documented_keys(n: int, keys: list[str]) -> None:
    assert render_number(n, "fr") == keys


def test_numbers_up_to_999_milliards_are_said() -> None:
    assert normalised(french(999_999_999_999)) == normalised(
        "neuf cent quatre-vingt-dix-neuf milliards neuf cent quatre-vingt-dix-neuf millions "
        "neuf cent quatre-vingt-dix-neuf mille neuf cent quatre-vingt-dix-neuf"
    )


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-5, "moins cinq"),
        (3.14, "trois virgule quatorze"),
        ("1,05", "un virgule zéro cinq"),
        ("2.50", "deux virgule cinq"),
        ("1 234", "mille deux cent trente-quatre"),
        (-0.5, "moins zéro virgule cinq"),
        ("-0", "zéro"),
    ],
)
def test_decimals_and_negatives_are_said_with_virgule_and_moins(value: object, words: str) -> None:
    assert normalised(french(value)) == normalised(words)


@pytest.mark.parametrize(
    ("value", "currency", "words"),
    [
        (12.5, "MAD", "douze dirhams et cinquante centimes"),
        (1, "EUR", "un euro"),
        (0, "EUR", "zéro euro"),
        (0.01, "EUR", "un centime"),
        ("1999.99", "USD", "mille neuf cent quatre-vingt-dix-neuf dollars et quatre-vingt-dix-neuf cents"),
        (1_000_000, "MAD", "un million de dirhams"),
        (2_000_000, "EUR", "deux millions d' euros"),
        (12.345, "eur", "douze euros et trente-cinq centimes"),
        (-3, "MAD", "moins trois dirhams"),
    ],
)
def test_amounts_name_the_currency_and_its_minor_unit(value: object, currency: str, words: str) -> None:
    assert normalised(french(value, "currency", currency)) == normalised(words)


def test_digits_mode_says_each_digit_and_skips_separators() -> None:
    assert render_number("+212 6-12.34", "fr", "digits") == ["plus", "2", "1", "2", "6", "1", "2", "3", "4"]
    assert render_number(1007, "fr", "digits") == ["1", "0", "0", "7"]
    assert render_number("*12#", "fr", "digits") == ["star", "1", "2", "hash"]
