"""Recipient timezones: the contact's own attribute wins when it is a real IANA zone, then the
number's country (one zone) or its prefix's single zone, then the organization's default."""

from __future__ import annotations

import collections
import importlib.resources

import pytest

from callcast_scheduler.domain.recipient_timezone import TIMEZONE_ATTRIBUTE, is_iana_zone, recipient_timezone
from callcast_scheduler.domain.recipient_timezone_countries import SINGLE_ZONE_COUNTRIES

pytestmark = pytest.mark.unit

DEFAULT = "Europe/Paris"


def test_moroccan_numbers_are_in_casablanca_not_the_canaries() -> None:
    # phonenumbers' own prefix data answers Atlantic/Canary for every +212 number.
    from phonenumbers import parse
    from phonenumbers.timezone import time_zones_for_number

    assert time_zones_for_number(parse("+212612345678")) == ("Atlantic/Canary",)
    assert recipient_timezone("+212612345678", None, default="UTC") == "Africa/Casablanca"
    assert recipient_timezone("+212522123456", None, default="UTC") == "Africa/Casablanca"


@pytest.mark.parametrize(
    ("phone", "zone"),
    [
        ("+33612345678", "Europe/Paris"),
        ("+12125551234", "America/New_York"),  # one zone for the prefix in a many-zone country
        ("+14155552671", "America/Los_Angeles"),
        ("+61291234567", "Australia/Sydney"),
        ("+34922123456", "Atlantic/Canary"),  # Canary Islands landline
    ],
)
def test_a_number_maps_to_its_geographic_zone(phone: str, zone: str) -> None:
    assert recipient_timezone(phone, None, default="UTC") == zone


@pytest.mark.parametrize(
    "phone",
    [
        "+79161234567",  # Russian mobile: sixteen zones
        "+34612345678",  # Spanish mobile: Madrid or the Canaries
        "+12345",  # not a valid number
        "0612345678",  # not E.164
        "",
    ],
)
def test_an_ambiguous_or_invalid_number_falls_back_to_the_default(phone: str) -> None:
    assert recipient_timezone(phone, None, default=DEFAULT) == DEFAULT


def test_the_contacts_custom_attribute_overrides_the_number() -> None:
    contact = {"id": "c1", "primaryPhone": "+212612345678", "customAttributes": {TIMEZONE_ATTRIBUTE: "Europe/London"}}
    assert recipient_timezone("+212612345678", contact, default=DEFAULT) == "Europe/London"
    snake = {"custom_attributes": {"timezone": "Asia/Tokyo"}}
    assert recipient_timezone("+212612345678", snake, default=DEFAULT) == "Asia/Tokyo"


def test_a_top_level_timezone_field_overrides_too() -> None:
    assert recipient_timezone("+212612345678", {"timezone": "America/Chicago"}, default=DEFAULT) == "America/Chicago"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "posixrules", "localtime", "../etc/passwd", "", 3, None])
def test_an_override_that_is_not_an_iana_zone_is_ignored(bad: object) -> None:
    contact = {"customAttributes": {"timezone": bad}, "timezone": bad}
    assert recipient_timezone("+212612345678", contact, default=DEFAULT) == "Africa/Casablanca"
    assert not is_iana_zone(bad)


def test_single_zone_table_matches_the_installed_tzdata() -> None:
    text = importlib.resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text()
    zones: dict[str, list[str]] = collections.defaultdict(list)
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            country, _, zone, *_ = line.split("\t")
            zones[country].append(zone)
    assert {c: z[0] for c, z in zones.items() if len(z) == 1} == SINGLE_ZONE_COUNTRIES
    assert all(is_iana_zone(z) for z in SINGLE_ZONE_COUNTRIES.values())
