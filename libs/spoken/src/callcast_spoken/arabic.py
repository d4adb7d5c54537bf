"""Arabic (Modern Standard Arabic, pausal forms): numbers and dates as dictionary keys, and the
words each key stands for.

Rules followed:
- Units come before tens, joined by و ("wa"): 21 = واحد وعشرون = 1 and 20; 1–19 are single keys
  (أحد عشر, اثنا عشر are one clip each). Larger parts are joined by و, biggest first.
- A scale word (ألف thousand, مليون million, مليار milliard) agrees with the count before it:
  1 → the word alone (ألف), 2 → the dual alone (ألفان), 3–10 → the count and the plural
  (ثلاثة آلاف), 11–99 → the count and the accusative singular (أحد عشر ألفًا), a round hundred →
  the hundred and the singular (مائة ألف, with مئتا — the construct form of مئتان — before it:
  مئتا ألف). A hundred plus 1 or 2 repeats the noun (مائة ألف وألف, مائة ألف وألفان); a hundred
  plus 3–99 follows the last part (مائة وثلاثة آلاف, مائة وأحد عشر ألفًا).
- Said alone, 200 is مئتان and 2000 is ألفان (num2words writes the construct forms مئتا, ألفا,
  which are only right before a noun).
- Currency names follow the same agreement (درهم واحد, درهمان, ثلاثة دراهم, أحد عشر درهمًا,
  مائة درهم); before a currency name, a final scale word takes its construct form (ألفا درهم,
  أحد عشر ألف درهم).
- Dates: the day is an ordinal (الخامس), then من and the month, then سنة and the year as a
  cardinal (nominative: a simplification of the oblique ألفين that grammar asks for after سنة).
  Month names are the Moroccan ones (يناير … دجنبر).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from callcast_spoken.values import Amount, SpokenNumber

LANGUAGE = "ar"

_UNITS = {
    "0": "صفر", "1": "واحد", "2": "اثنان", "3": "ثلاثة", "4": "أربعة", "5": "خمسة", "6": "ستة", "7": "سبعة",
    "8": "ثمانية", "9": "تسعة", "10": "عشرة", "11": "أحد عشر", "12": "اثنا عشر", "13": "ثلاثة عشر",
    "14": "أربعة عشر", "15": "خمسة عشر", "16": "ستة عشر", "17": "سبعة عشر", "18": "ثمانية عشر",
    "19": "تسعة عشر",
}  # fmt: skip
_TENS = {
    "20": "عشرون", "30": "ثلاثون", "40": "أربعون", "50": "خمسون", "60": "ستون", "70": "سبعون",
    "80": "ثمانون", "90": "تسعون",
}  # fmt: skip
_HUNDREDS = {
    "100": "مائة", "200": "مئتان", "200_construct": "مئتا", "300": "ثلاثمائة", "400": "أربعمائة",
    "500": "خمسمائة", "600": "ستمائة", "700": "سبعمائة", "800": "ثمانمائة", "900": "تسعمائة",
}  # fmt: skip


@dataclass(frozen=True)
class NounForms:
    """The keys of a counted noun's forms (a scale word or a currency name)."""

    singular: str
    dual: str
    plural: str
    accusative: str
    #: The dual before another noun (ألفا درهم); scale words only.
    dual_construct: str | None = None

    @classmethod
    def of(cls, base: str, *, construct: bool) -> NounForms:
        return cls(
            singular=base,
            dual=f"{base}_dual",
            plural=f"{base}_plural",
            accusative=f"{base}_accusative",
            dual_construct=f"{base}_dual_construct" if construct else None,
        )

    def keys(self) -> tuple[str, ...]:
        extra = (self.dual_construct,) if self.dual_construct else ()
        return (self.singular, self.dual, self.plural, self.accusative, *extra)


THOUSAND = NounForms.of("1000", construct=True)
MILLION = NounForms.of("1000000", construct=True)
BILLION = NounForms.of("1000000000", construct=True)

_SCALES = {
    **dict(zip(THOUSAND.keys(), ("ألف", "ألفان", "آلاف", "ألفًا", "ألفا"), strict=True)),
    **dict(zip(MILLION.keys(), ("مليون", "مليونان", "ملايين", "مليونًا", "مليونا"), strict=True)),
    **dict(zip(BILLION.keys(), ("مليار", "ملياران", "مليارات", "مليارًا", "مليارا"), strict=True)),
}
_WORDS = {
    "and": "و",
    "minus": "سالب",
    "point": "فاصلة",
    "of": "من",
    "year": "سنة",
    "plus": "زائد",
    "star": "نجمة",
    "hash": "مربع",
}
_ORDINALS = (
    "الأول", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع", "العاشر",
    "الحادي عشر", "الثاني عشر", "الثالث عشر", "الرابع عشر", "الخامس عشر", "السادس عشر", "السابع عشر",
    "الثامن عشر", "التاسع عشر", "العشرون", "الحادي والعشرون", "الثاني والعشرون", "الثالث والعشرون",
    "الرابع والعشرون", "الخامس والعشرون", "السادس والعشرون", "السابع والعشرون", "الثامن والعشرون",
    "التاسع والعشرون", "الثلاثون", "الحادي والثلاثون",
)  # fmt: skip
_MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر",
           "دجنبر")  # fmt: skip
_WEEKDAYS = ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد")


@dataclass(frozen=True)
class Currency:
    code: str
    #: singular, dual, plural, accusative of the major unit, then of the minor unit.
    major: tuple[str, str, str, str]
    minor: tuple[str, str, str, str]

    @property
    def major_forms(self) -> NounForms:
        return NounForms.of(f"currency_{self.code}", construct=False)

    @property
    def minor_forms(self) -> NounForms:
        return NounForms.of(f"currency_{self.code}_minor", construct=False)

    def words(self) -> dict[str, str]:
        return {
            **dict(zip(self.major_forms.keys(), self.major, strict=True)),
            **dict(zip(self.minor_forms.keys(), self.minor, strict=True)),
        }


CURRENCIES = {
    "MAD": Currency("MAD", ("درهم", "درهمان", "دراهم", "درهمًا"), ("سنتيم", "سنتيمان", "سنتيمات", "سنتيمًا")),
    # يورو is invariable but for its dual.
    "EUR": Currency("EUR", ("يورو", "يوروان", "يورو", "يورو"), ("سنت", "سنتان", "سنتات", "سنتًا")),
    "USD": Currency("USD", ("دولار", "دولاران", "دولارات", "دولارًا"), ("سنت", "سنتان", "سنتات", "سنتًا")),
}

#: Every key of the Arabic key set → the Arabic words it stands for.
WORDS: dict[str, str] = {
    **_UNITS,
    **_TENS,
    **_HUNDREDS,
    **_SCALES,
    **_WORDS,
    **{f"ordinal_{i}": word for i, word in enumerate(_ORDINALS, start=1)},
    **{f"month_{i}": name for i, name in enumerate(_MONTHS, start=1)},
    **{f"weekday_{i}": name for i, name in enumerate(_WEEKDAYS, start=1)},
    **{key: text for currency in CURRENCIES.values() for key, text in currency.words().items()},
}


def _below_100(n: int) -> list[str]:
    if n < 20:
        return [str(n)]
    tens, unit = divmod(n, 10)
    return [str(unit), "and", str(tens * 10)] if unit else [str(tens * 10)]


def _hundred(hundreds: int, *, construct: bool) -> str:
    return "200_construct" if hundreds == 2 and construct else str(hundreds * 100)


def _below_1000(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    keys = [_hundred(hundreds, construct=False)] if hundreds else []
    if rest:
        keys += (["and"] if keys else []) + _below_100(rest)
    return keys


def _counted(count: int, noun: NounForms, *, one_after: bool = False) -> list[str]:
    """``count`` (1–999) of ``noun``, in the form the count asks for. ``one_after``: 1 is said after
    the noun (درهم واحد) rather than left implicit (ألف)."""
    hundreds, rest = divmod(count, 100)
    if hundreds and rest in (0, 1, 2):
        head = [_hundred(hundreds, construct=True), noun.singular]
        return head if rest == 0 else [*head, "and", *_counted(rest, noun, one_after=one_after)]
    keys = [_hundred(hundreds, construct=False), "and"] if hundreds else []
    if rest == 1:
        return [noun.singular, "1"] if one_after else [noun.singular]
    if rest == 2:
        return [noun.dual]
    if rest <= 10:
        return [*keys, str(rest), noun.plural]
    return [*keys, *_below_100(rest), noun.accusative]


def cardinal(n: int, *, before_noun: bool = False) -> list[str]:
    """0 ≤ n ≤ 999,999,999,999. ``before_noun``: a counted noun follows (a currency name), so a final
    scale word takes its construct form (ألفا درهم, أحد عشر ألف درهم)."""
    if n == 0:
        return ["0"]
    billions, rest = divmod(n, 10**9)
    millions, rest = divmod(rest, 10**6)
    thousands, units = divmod(rest, 1000)
    parts = [
        _counted(count, noun)
        for count, noun in ((billions, BILLION), (millions, MILLION), (thousands, THOUSAND))
        if count
    ]
    if units:
        parts.append(_below_1000(units))
    keys = [key for i, part in enumerate(parts) for key in ((["and"] if i else []) + part)]
    if before_noun and not units:
        keys[-1] = _construct(keys[-1])
    return keys


def _construct(key: str) -> str:
    for noun in (THOUSAND, MILLION, BILLION):
        if key == noun.dual and noun.dual_construct:
            return noun.dual_construct
        if key == noun.accusative:
            return noun.singular
    return key


def number(value: SpokenNumber) -> list[str]:
    keys = ["minus"] if value.negative else []
    keys += cardinal(value.integer)
    if value.fraction:
        keys.append("point")
        significant = value.fraction.lstrip("0")
        keys += ["0"] * (len(value.fraction) - len(significant)) + cardinal(int(significant))
    return keys


def _money(n: int, noun: NounForms) -> list[str]:
    if n == 0:
        return ["0", noun.singular]
    high, low = n - n % 1000, n % 1000
    if not high:
        return _counted(low, noun, one_after=True)
    if not low:
        return [*cardinal(high, before_noun=True), noun.singular]
    return [*cardinal(high), "and", *_counted(low, noun, one_after=True)]


def amount(value: Amount) -> list[str]:
    """``اثنا عشر درهمًا وخمسون سنتيمًا``."""
    currency = CURRENCIES[value.currency]
    keys = ["minus"] if value.negative else []
    if value.major or not value.minor:
        keys += _money(value.major, currency.major_forms)
    if value.minor:
        if value.major:
            keys.append("and")
        keys += _money(value.minor, currency.minor_forms)
    return keys


def date(value: dt.date, *, weekday: bool, year: bool) -> list[str]:
    """``[الاثنين] الخامس من مارس [سنة ألفان وأربعة وعشرون]``."""
    keys = [f"weekday_{value.isoweekday()}"] if weekday else []
    keys += [f"ordinal_{value.day}", "of", f"month_{value.month}"]
    if year:
        keys += ["year", *cardinal(value.year)]
    return keys
