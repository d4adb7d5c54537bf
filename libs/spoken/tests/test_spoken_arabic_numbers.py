"""Arabic numbers: the keys, said aloud, are num2words' words — except where num2words is wrong when
the number is said alone; every such difference is listed below with the correct form.
"""

from __future__ import annotations

import random

import pytest
from num2words import num2words

from callcast_spoken import render_number, spoken_words

pytestmark = pytest.mark.unit

TANWEEN_FATH = "\u064b"


def arabic(value: object, mode: str = "cardinal", currency: str | None = None) -> str:
    return spoken_words("ar", render_number(value, "ar", mode, currency=currency))


def normalised(text: str) -> str:
    """Words compared as spoken: the conjunction و is its own word (``و عشرون`` = ``وعشرون``) and
    the tanween sign is dropped (``ألفًا`` = ``ألفاً``, the same sound)."""
    words: list[str] = []
    for word in text.replace(TANWEEN_FATH, "").split():
        if word.startswith("و") and len(word) > 1 and word != "واحد":
            words += ["و", word[1:]]
        else:
            words.append(word)
    return " ".join(words)


def library(n: int) -> str:
    return normalised(num2words(n, lang="ar"))


def ours(n: int) -> str:
    return normalised(arabic(n))


def test_from_0_to_10000_only_the_librarys_construct_duals_differ() -> None:
    """num2words writes 200 and 2000 alone in the construct state (مئتا, ألفا: "two hundred of …"),
    which is only right before a noun; said alone they are مئتان and ألفان."""
    differing = {n for n in range(10_001) if ours(n) != library(n)}

    assert differing == {2000} | {200 + 1000 * k for k in range(10)}
    for n in differing:
        corrected = library(n).removesuffix("مئتا") + "مئتان" if n != 2000 else "ألفان"
        assert ours(n) == corrected, n


def has_a_count_the_library_gets_wrong(n: int) -> bool:
    """Numbers in the classes of ``LIBRARY_IS_WRONG`` (listed there with their correct forms)."""
    counts = (n // 10**9 % 1000, n // 10**6 % 1000, n // 1000 % 1000)
    if any(count >= 100 and count % 100 <= 10 for count in counts):
        return True  # a scale word counted by a round hundred, or by a hundred and 1–10
    return n % 1000 == 0 or n % 1000 == 200  # ends on a scale word, or on 200


def test_a_random_sample_up_to_999_999_999_agrees_with_the_library_outside_its_wrong_classes() -> None:
    sample = random.Random(20240305).sample(range(10_001, 1_000_000_000), 30_000)
    compared = [n for n in sample if not has_a_count_the_library_gets_wrong(n)]

    assert len(compared) > 20_000
    assert {n: (arabic(n), num2words(n, lang="ar")) for n in compared if ours(n) != library(n)} == {}


#: n → (what num2words says, what we say), by class of library error. Said alone.
LIBRARY_IS_WRONG: dict[str, dict[int, tuple[str, str]]] = {
    "construct dual said alone (it needs a noun after it)": {
        200: ("مئتا", "مئتان"),
        2000: ("ألفا", "ألفان"),
        5200: ("خمسة آلاف و مئتا", "خمسة آلاف و مئتان"),
        2_000_000: ("مليونا", "مليونان"),
        2_000_000_000: ("مليارا", "ملياران"),
    },
    "11–99 of a scale word at the end: the accusative singular (tamyiz), as the library itself writes it mid-number": {
        11_000: ("أحد عشر ألف", "أحد عشر ألفا"),
        12_000_000: ("اثنا عشر مليون", "اثنا عشر مليونا"),
        111_000: ("مائة و أحد عشر ألف", "مائة و أحد عشر ألفا"),
    },
    "a scale word counted by a round hundred is singular (genitive), never accusative": {
        100_001: ("مائة ألفا و واحد", "مائة ألف و واحد"),
        200_200: ("مئتا ألفا و مئتا", "مئتا ألف و مئتان"),
        900_100_000: ("تسعمائة مليونا و مائة ألف", "تسعمائة مليون و مائة ألف"),
    },
    "a hundred and 1 or 2 of a scale word repeats the noun (the library garbles it)": {
        101_000: ("مائة و ألف ألف", "مائة ألف و ألف"),
        102_000: ("مائة و اثنان ألف", "مائة ألف و ألفان"),
        201_000: ("مئتان و ألف ألف", "مئتا ألف و ألف"),
        402_000_000: ("أربعمائة و اثنان مليون", "أربعمائة مليون و مليونان"),
    },
    "a hundred and 3–10 of a scale word takes the plural, like 3–10 alone": {
        103_000: ("مائة و ثلاثة ألف", "مائة و ثلاثة آلاف"),
        210_000: ("مئتان و عشرة ألف", "مئتان و عشرة آلاف"),
        507_079_465: (
            "خمسمائة و سبعة مليونا و تسعة و سبعون ألفا و أربعمائة و خمسة و ستون",
            "خمسمائة و سبعة ملايين و تسعة و سبعون ألفا و أربعمائة و خمسة و ستون",
        ),
    },
}


@pytest.mark.parametrize(
    ("n", "library_says", "correct"),
    [(n, said, right) for cases in LIBRARY_IS_WRONG.values() for n, (said, right) in cases.items()],
)
def test_where_the_library_is_wrong_we_say_the_correct_form(n: int, library_says: str, correct: str) -> None:
    assert library(n) == normalised(library_says)
    assert ours(n) == normalised(correct)


@pytest.mark.parametrize(
    ("n", "keys"),
    [
        (21, ["1", "and", "20"]),
        (200, ["200"]),
        (2000, ["1000_dual"]),
        (3000, ["3", "1000_plural"]),
        (11_000, ["11", "1000_accusative"]),
        (200_000, ["200_construct", "1000"]),
        (101_000, ["100", "1000", "and", "1000"]),
        (
            1_234_567,
            [
                "1000000",
                "and",
                "200",
                "and",
                "4",
                "and",
                "30",
                "1000_accusative",
                "and",
                "500",
                "and",
                "7",
                "and",
                "60",
            ],
        ),
    ],
)
def test_arabic_numbers_are_built_from_the_documented_keys(n: int, keys: list[str]) -> None:
    assert render_number(n, "ar") == keys


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (-5, "سالب خمسة"),
        (3.14, "ثلاثة فاصلة أربعة عشر"),
        ("1.05", "واحد فاصلة صفر خمسة"),
    ],
)
def test_decimals_and_negatives_are_said_with_fasila_and_salib(value: object, words: str) -> None:
    assert arabic(value) == words


@pytest.mark.parametrize(
    ("value", "currency", "words"),
    [
        (1, "MAD", "درهم واحد"),
        (2, "MAD", "درهمان"),
        (3, "MAD", "ثلاثة دراهم"),
        (12.5, "MAD", "اثنا عشر درهمًا و خمسون سنتيمًا"),
        (100, "MAD", "مائة درهم"),
        (200, "USD", "مئتا دولار"),
        (2000, "MAD", "ألفا درهم"),
        (11_000, "MAD", "أحد عشر ألف درهم"),
        (1_000_003, "MAD", "مليون و ثلاثة دراهم"),
        (0.02, "EUR", "سنتان"),
        (0, "MAD", "صفر درهم"),
    ],
)
def test_amounts_agree_the_currency_name_with_the_count(value: object, currency: str, words: str) -> None:
    assert arabic(value, "currency", currency) == words
