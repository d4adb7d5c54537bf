"""Which IANA zone a recipient's windows are read in, when a program applies them per recipient.

Order: the contact's own ``timezone`` attribute when it names a real IANA zone; else the zone of
the number's country when the country keeps one zone (MA → Africa/Casablanca); else the
number's geographic zone when phonenumbers knows exactly one for its prefix (+1 212 →
America/New_York); else ``default`` (the organization's zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import phonenumbers
from phonenumbers import timezone as phone_timezones

from callcast_scheduler.domain.recipient_timezone_countries import SINGLE_ZONE_COUNTRIES

TIMEZONE_ATTRIBUTE = "timezone"


#: Files the system zone directory holds besides zones, which available_timezones() lists there.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _iana_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def is_iana_zone(name: Any) -> bool:
    # Membership in the zone list, not ZoneInfo(name): that also opens any file under the zone
    # directories ("posixrules", "localtime") and raises on odd strings.
    return isinstance(name, str) and name in _iana_zones()


def _override(contact: Mapping[str, Any] | None) -> str | None:
    if not contact:
        return None
    # A ContactSnapshot as a dict (camelCase on the wire, snake_case from msgspec.to_builtins
    # without rename) or a flat contact row.
    for key in ("customAttributes", "custom_attributes"):
        attrs = contact.get(key)
        if isinstance(attrs, Mapping) and is_iana_zone(attrs.get(TIMEZONE_ATTRIBUTE)):
            return str(attrs[TIMEZONE_ATTRIBUTE])
    top = contact.get(TIMEZONE_ATTRIBUTE)
    return top if is_iana_zone(top) else None


def _number_zone(phone: str) -> str | None:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    region = phonenumbers.region_code_for_number(number)
    if region in SINGLE_ZONE_COUNTRIES:
        return SINGLE_ZONE_COUNTRIES[region]
    zones = phone_timezones.time_zones_for_number(number)
    if len(zones) == 1 and is_iana_zone(zones[0]):
        return str(zones[0])
    return None


def recipient_timezone(phone: str, contact: Mapping[str, Any] | None, *, default: str) -> str:
    return _override(contact) or _number_zone(phone) or default
