"""French: numbers and dates as dictionary keys, and the words each key stands for.

Rules followed (standard French, as num2words and the Académie write them):
- 17–19, 70–79 and 90–99 are built on 10–19: ``soixante-dix`` = 60 10, ``quatre-vingt-dix-sept``
  = 80 17.
- ``et`` joins 1 to 20–60 and 11 to 60: ``vingt et un`` = 20 and 1, ``soixante et onze`` = 60 and 11;
  never to 80: ``quatre-vingt-un`` = 80 1.
- ``vingt`` (of 80) and ``cent`` take an ``s`` when multiplied and ending the number — also before
  ``millions``/``milliards`` (nouns) but not before ``mille`` (an invariable adjective):
  ``quatre-vingts``, ``deux cents``, ``deux cents millions``, ``deux cent mille``,
  ``quatre-vingt mille``; ``cent``/``mille`` are never preceded by ``un``.
- ``million``/``milliard`` are nouns: ``un million``, ``deux millions``, and ``de`` before what they
  count (``un million de dirhams``).
- Dates: the first of the month is ``premier``, other days are cardinals; years are cardinals
  (``deux mille vingt-quatre``).
"""

from __future__ import annotations

import datetime as dt

from callcast_spoken.values import Amount, SpokenNumber

LANGUAGE = "fr"

_UNITS = {
    "0": "zéro", "1": "un", "2": "deux", "3": "trois", "4": "quatre", "5": "cinq", "6": "six", "7": "sept",
    "8": "huit", "9": "neuf", "10": "dix", "11": "onze", "12": "douze", "13": "treize", "14": "quatorze",
    "15": "quinze", "16": "seize", "17": "dix-sept", "18": "dix-huit", "19": "dix-neuf",
}  # fmt: skip
_TENS = {"20": "vingt", "30": "trente", "40": "quarante", "50": "cinquante", "60": "soixante"}
_SCALES = {
    "80": "quatre-vingt",
    "80_plural": "quatre-vingts",
    "100": "cent",
    "100_plural": "cents",
    "1000": "mille",
    "1000000": "million",
    "1000000_plural": "millions",
    "1000000000": "milliard",
    "1000000000_plural": "milliards",
}
_WORDS = {
    "and": "et",
    "minus": "moins",
    "point": "virgule",
    "of": "de",
    "of_elided": "d'",
    "plus": "plus",
    "star": "étoile",
    "hash": "dièse",
    "first": "premier",
}
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
           "novembre", "décembre")  # fmt: skip
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class Currency:
    """A currency's names: singular and plural of its major and minor units."""

    def __init__(self, code: str, major: tuple[str, str], minor: tuple[str, str]) -> None:
        self.code = code
        self.major = major
        self.minor = minor
        #: "d'" rather than "de" before the name ("un million d'euros").
        self.elides = major[1][0] in "aeiouyéèêh"

    def words(self) -> dict[str, str]:
        base = f"currency_{self.code}"
        return {
            base: self.major[0],
            f"{base}_plural": self.major[1],
            f"{base}_minor": self.minor[0],
            f"{base}_minor_plural": self.minor[1],
        }


CURRENCIES = {
    "MAD": Currency("MAD", ("dirham", "dirhams"), ("centime", "centimes")),
    "EUR": Currency("EUR", ("euro", "euros"), ("centime", "centimes")),
    "USD": Currency("USD", ("dollar", "dollars"), ("cent", "cents")),
}

#: Every key of the French key set → the French words it stands for.
WORDS: dict[str, str] = {
    **_UNITS,
    **_TENS,
    **_SCALES,
    **_WORDS,
    **{f"month_{i}": name for i, name in enumerate(_MONTHS, start=1)},
    **{f"weekday_{i}": name for i, name in enumerate(_WEEKDAYS, start=1)},
    **{key: text for currency in CURRENCIES.values() for key, text in currency.words().items()},
}


def _below_100(n: int, *, may_be_plural: bool) -> list[str]:
    if n < 20:
        return [str(n)]
    tens, unit = divmod(n, 10)
    if tens == 7:  # soixante-dix … soixante-dix-neuf; soixante et onze
        return ["60", "and", "11"] if unit == 1 else ["60", str(n - 60)]
    if tens == 9:  # quatre-vingt-dix … quatre-vingt-dix-neuf, never "et"
        return ["80", str(n - 80)]
    if tens == 8:
        if unit == 0:
            return ["80_plural" if may_be_plural else "80"]
        return ["80", str(unit)]
    if unit == 1:
        return [str(tens * 10), "and", "1"]
    return [str(tens * 10)] + ([str(unit)] if unit else [])


def _below_1000(n: int, *, may_be_plural: bool) -> list[str]:
    """1–999. ``may_be_plural``: nothing but a noun (or nothing) follows, so ``cents``/``quatre-vingts``
    keep their ``s`` (false before ``mille``)."""
    hundreds, rest = divmod(n, 100)
    keys: list[str] = []
    if hundreds:
        if hundreds > 1:
            keys.append(str(hundreds))
        keys.append("100_plural" if hundreds > 1 and rest == 0 and may_be_plural else "100")
    if rest:
        keys += _below_100(rest, may_be_plural=may_be_plural)
    return keys


def cardinal(n: int) -> list[str]:
    """0 ≤ n ≤ 999,999,999,999."""
    if n == 0:
        return ["0"]
    billions, rest = divmod(n, 10**9)
    millions, rest = divmod(rest, 10**6)
    thousands, units = divmod(rest, 1000)
    keys: list[str] = []
    for count, scale in ((billions, "1000000000"), (millions, "1000000")):
        if count:
            keys += [*_below_1000(count, may_be_plural=True), scale + ("_plural" if count > 1 else "")]
    if thousands:
        keys += ([] if thousands == 1 else _below_1000(thousands, may_be_plural=False)) + ["1000"]
    if units:
        keys += _below_1000(units, may_be_plural=True)
    return keys


def number(value: SpokenNumber) -> list[str]:
    keys = ["minus"] if value.negative else []
    keys += cardinal(value.integer)
    if value.fraction:
        keys.append("point")
        # Leading zeros are said one by one, then the rest as a number: 1,05 = "un virgule zéro cinq".
        significant = value.fraction.lstrip("0")
        keys += ["0"] * (len(value.fraction) - len(significant)) + cardinal(int(significant))
    return keys


def amount(value: Amount) -> list[str]:
    """``douze dirhams et cinquante centimes``; zero and one take the singular; ``un million de …``."""
    currency = CURRENCIES[value.currency]
    base = f"currency_{currency.code}"
    keys = ["minus"] if value.negative else []
    if value.major or not value.minor:
        keys += cardinal(value.major)
        if value.major >= 10**6 and value.major % 10**6 == 0:
            keys.append("of_elided" if currency.elides else "of")
        keys.append(base + ("_plural" if value.major >= 2 else ""))
    if value.minor:
        if value.major:
            keys.append("and")
        keys += [*cardinal(value.minor), base + ("_minor_plural" if value.minor >= 2 else "_minor")]
    return keys


def date(value: dt.date, *, weekday: bool, year: bool) -> list[str]:
    """``[lundi] premier mars [deux mille vingt-quatre]``."""
    keys = [f"weekday_{value.isoweekday()}"] if weekday else []
    keys += ["first"] if value.day == 1 else cardinal(value.day)
    keys.append(f"month_{value.month}")
    if year:
        keys += cardinal(value.year)
    return keys
