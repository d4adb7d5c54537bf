"""Key sets: the renderer only emits keys of its language's key set, and every key is spoken."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcast_spoken import (
    CURRENCY_MINOR_DIGITS,
    LANGUAGES,
    MAX_INTEGER,
    WORDS,
    InvalidNumber,
    InvalidWord,
    NumberOutOfRange,
    SpokenValueError,
    UnknownCurrency,
    UnsupportedLanguage,
    UnsupportedMode,
    expected_keys,
    missing_keys,
    render_date,
    render_item,
    render_number,
    render_word,
)

pytestmark = pytest.mark.unit

languages = st.sampled_from(LANGUAGES)
integers = st.integers(min_value=-MAX_INTEGER, max_value=MAX_INTEGER)
decimals = st.decimals(min_value=-MAX_INTEGER, max_value=MAX_INTEGER, places=4, allow_nan=False)


@given(language=languages, n=integers | decimals)
def test_every_cardinal_is_made_of_keys_of_its_key_set(language: str, n: int | Decimal) -> None:
    keys = render_number(n, language)
    assert keys
    assert set(keys) <= expected_keys(language)


@given(
    language=languages,
    amount=st.decimals(min_value=-MAX_INTEGER, max_value=MAX_INTEGER, places=2, allow_nan=False),
    currency=st.sampled_from(sorted(CURRENCY_MINOR_DIGITS)),
)
def test_every_amount_is_made_of_keys_of_its_key_set(language: str, amount: Decimal, currency: str) -> None:
    assert set(render_number(amount, language, "currency", currency=currency)) <= expected_keys(language)


@given(
    language=languages,
    day=st.dates(min_value=dt.date(1, 1, 1)),
    mode=st.sampled_from(["date", "day_month", "weekday_date"]),
)
def test_every_date_is_made_of_keys_of_its_key_set(language: str, day: dt.date, mode: str) -> None:
    assert set(render_date(day, language, mode)) <= expected_keys(language)


@given(
    language=languages,
    digits=st.text(alphabet="0123456789+*# -", min_size=1, max_size=30).filter(
        lambda s: any(c in "0123456789+*#" for c in s)
    ),
)
def test_every_digit_string_is_made_of_keys_of_its_key_set(language: str, digits: str) -> None:
    assert set(render_number(digits, language, "digits")) <= expected_keys(language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_stands_for_some_words(language: str) -> None:
    assert all(isinstance(text, str) and text.strip() for text in WORDS[language].values())
    assert all(key == key.strip() and key for key in WORDS[language])


def test_missing_keys_lists_what_a_dictionary_lacks_in_key_set_order() -> None:
    everything = expected_keys("fr")
    assert missing_keys("fr", everything) == []
    assert missing_keys("fr", everything - {"and", "80_plural"}) == ["80_plural", "and"]
    assert missing_keys("ar", ["hello"])[:3] == ["0", "1", "2"]
    assert len(missing_keys("ar", [])) == len(expected_keys("ar"))


def test_the_key_sets_use_the_documented_names() -> None:
    assert {"0", "19", "20", "100", "1000", "and", "month_1", "weekday_7", "currency_MAD"} <= expected_keys("fr")
    assert {"1000", "1000_dual", "1000_plural", "1000_accusative", "200_construct", "ordinal_31"} <= expected_keys("ar")


def test_a_play_item_renders_by_its_type() -> None:
    assert render_item({"type": "number", "value": 71, "language": "fr"}) == ["60", "and", "11"]
    assert render_item({"type": "number", "value": "0612", "language": "fr", "mode": "digits"}) == ["0", "6", "1", "2"]
    assert render_item({"type": "number", "value": 2, "language": "ar", "mode": "currency", "currency": "MAD"}) == [
        "currency_MAD_dual"
    ]
    assert render_item({"type": "date", "value": "2024-03-01", "language": "fr", "mode": "day_month"}) == [
        "first",
        "month_3",
    ]
    assert render_item({"type": "word", "value": " bonjour ", "language": "fr"}) == ["bonjour"]


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda: render_number(1, "en"), UnsupportedLanguage),
        (lambda: render_number(1, "fr", "ordinal"), UnsupportedMode),
        (lambda: render_number("12a", "fr"), InvalidNumber),
        (lambda: render_number(True, "fr"), InvalidNumber),
        (lambda: render_number(float("nan"), "fr"), InvalidNumber),
        (lambda: render_number(MAX_INTEGER + 1, "ar"), NumberOutOfRange),
        (lambda: render_number(5, "fr", "currency"), UnknownCurrency),
        (lambda: render_number(5, "fr", "currency", currency="XYZ"), UnknownCurrency),
        (lambda: render_number("12x", "fr", "digits"), InvalidNumber),
        (lambda: render_number(-12, "fr", "digits"), InvalidNumber),
        (lambda: render_word("", "fr"), InvalidWord),
        (lambda: render_word("k" * 257, "fr"), InvalidWord),
        (lambda: render_item({"type": "audioFile", "language": "fr"}), ValueError),
    ],
)
def test_values_that_cannot_be_said_are_refused_with_a_value_error(call: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        call()  # type: ignore[operator]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=5,
)


@given(
    item=st.fixed_dictionaries(
        {
            "type": st.sampled_from(["number", "date", "word"]) | json_values,
            "value": json_values,
            "language": st.sampled_from(["ar", "fr"]) | json_values,
        },
        optional={
            "mode": st.sampled_from(["cardinal", "digits", "currency", "date", "day_month"]) | json_values,
            "currency": st.sampled_from(["MAD", "EUR"]) | json_values,
        },
    )
)
def test_any_json_item_is_rendered_or_refused_with_a_spoken_value_error(item: dict[str, object]) -> None:
    try:
        keys = render_item(item)
    except SpokenValueError:
        return
    assert keys
    assert all(isinstance(key, str) and key for key in keys)
