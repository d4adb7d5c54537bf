"""Dates (num2words does not render them): expected key sequences per language and mode."""

from __future__ import annotations

import datetime as dt

import pytest

from callcast_spoken import InvalidDate, UnsupportedMode, render_date, spoken_words

pytestmark = pytest.mark.unit

YEAR_2024_FR = ["2", "1000", "20", "4"]
YEAR_1999_FR = ["1000", "9", "100", "80", "19"]
YEAR_2024_AR = ["year", "1000_dual", "and", "4", "and", "20"]
YEAR_1999_AR = ["year", "1000", "and", "900", "and", "9", "and", "90"]

EXPECTED: list[tuple[str, str, str, list[str]]] = [
    # (date, language, mode, keys)
    ("2024-03-01", "fr", "date", ["first", "month_3", *YEAR_2024_FR]),
    ("2024-03-01", "fr", "day_month", ["first", "month_3"]),
    ("2024-03-01", "fr", "weekday_date", ["weekday_5", "first", "month_3", *YEAR_2024_FR]),
    ("1999-12-31", "fr", "date", ["30", "and", "1", "month_12", *YEAR_1999_FR]),
    ("1999-12-31", "fr", "day_month", ["30", "and", "1", "month_12"]),
    ("1999-12-31", "fr", "weekday_date", ["weekday_5", "30", "and", "1", "month_12", *YEAR_1999_FR]),
    ("2000-01-17", "fr", "weekday_date", ["weekday_1", "17", "month_1", "2", "1000"]),
    ("2024-03-01", "ar", "date", ["ordinal_1", "of", "month_3", *YEAR_2024_AR]),
    ("2024-03-01", "ar", "day_month", ["ordinal_1", "of", "month_3"]),
    ("2024-03-01", "ar", "weekday_date", ["weekday_5", "ordinal_1", "of", "month_3", *YEAR_2024_AR]),
    ("1999-12-31", "ar", "date", ["ordinal_31", "of", "month_12", *YEAR_1999_AR]),
    ("1999-12-31", "ar", "day_month", ["ordinal_31", "of", "month_12"]),
    ("1999-12-31", "ar", "weekday_date", ["weekday_5", "ordinal_31", "of", "month_12", *YEAR_1999_AR]),
    ("2000-01-17", "ar", "weekday_date", ["weekday_1", "ordinal_17", "of", "month_1", "year", "1000_dual"]),
]


@pytest.mark.parametrize(("value", "language", "mode", "keys"), EXPECTED)
def test_dates_are_said_as_the_table_expects(value: str, language: str, mode: str, keys: list[str]) -> None:
    assert render_date(value, language, mode) == keys


@pytest.mark.parametrize(
    ("language", "mode", "words"),
    [
        ("fr", "weekday_date", "mardi cinq mars deux mille vingt quatre"),
        ("ar", "weekday_date", "الثلاثاء الخامس من مارس سنة ألفان و أربعة و عشرون"),
        ("ar", "date", "الخامس من مارس سنة ألفان و أربعة و عشرون"),
    ],
)
def test_a_date_reads_as_a_native_speaker_says_it(language: str, mode: str, words: str) -> None:
    assert spoken_words(language, render_date("2024-03-05", language, mode)).replace("-", " ") == words


def test_dates_datetimes_and_iso_strings_give_the_same_keys() -> None:
    expected = render_date("2024-03-05", "fr")
    assert render_date(dt.date(2024, 3, 5), "fr") == expected
    assert render_date(dt.datetime(2024, 3, 5, 23, 59, tzinfo=dt.UTC), "fr") == expected
    assert render_date("2024-03-05T10:00:00Z", "fr") == expected


@pytest.mark.parametrize("value", ["2024-02-30", "05/03/2024", "", 20240305, None])
def test_values_that_are_not_dates_are_refused(value: object) -> None:
    with pytest.raises(InvalidDate):
        render_date(value, "fr")


def test_an_unknown_date_mode_is_refused() -> None:
    with pytest.raises(UnsupportedMode):
        render_date("2024-03-05", "ar", "month_year")
