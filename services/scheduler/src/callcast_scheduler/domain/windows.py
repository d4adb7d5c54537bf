"""Pause windows (digest §10.1): validation, normal form, and the schedule they make in a zone.

Rules (docs/scheduler-time-rules.md, "Time rules"):

- A weekly item pauses every instant whose **wall-clock** time in the zone lies in
  ``[startAt, endAt)`` on the named weekday. ``endAt`` earlier than ``startAt`` runs past
  midnight into the next day (``22:00–06:00``; ``18:00–00:00`` ends at midnight). ``endAt`` equal
  to ``startAt`` is rejected (a whole day is two items, ``00:00–12:00`` and ``12:00–00:00``).
- Because membership is wall-clock: on a spring-forward day an edge that falls in the gap maps
  forward to the first instant after the gap (a window made only of missing times is empty that
  day); on a fall-back day a window over the repeated hour pauses both passes of it (``01:30–02:30``
  in Paris pauses 01:30–02:30 CEST and 02:00–02:30 CET: the clock shows an in-window time on both).
- ``advanced`` items are absolute ``[startAt, endAt)`` ranges; ``endAt`` must be after ``startAt``.
- Windows that touch or overlap (weekly with weekly or advanced, across midnight and the week's
  end) act as one: ``next_open`` returns the end of the whole chain, never a paused instant.
- Windows covering the whole week are rejected: no call could ever start.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from callcast_runtime.errors import ValidationFailed

#: In Python's ``weekday()`` order (Monday = 0), which the schedule's arithmetic uses.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: The digest's order, used for the keys of the normal form.
_DOC_ORDER = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
MAX_WEEKLY_ITEMS = 48
MAX_ADVANCED_ITEMS = 500
_DAY = 86_400
_WEEK = 7 * _DAY
#: No zone changes its offset twice within this step (tzdata has none since 1970), so sampling
#: at it and bisecting each change finds every transition.
_SCAN = 6 * 3600


class _Errors:
    def __init__(self) -> None:
        self.messages: dict[str, list[str]] = {}
        self.details: dict[str, list[dict[str, Any]]] = {}

    def add(self, field: str, message: str, code: str) -> None:
        self.messages.setdefault(field, []).append(message)
        self.details.setdefault(field, []).append({"code": code, "params": {}})

    def raise_if_any(self) -> None:
        if self.messages:
            raise ValidationFailed(self.messages, self.details)


def _time_of_day(raw: Any, path: str, errors: _Errors) -> int | None:
    """Minutes since midnight, or None after recording why not."""
    if not isinstance(raw, dict):
        errors.add(path, f"{path} must be an object {{hour, minute}}", "type")
        return None
    ok = True
    for key in sorted(set(raw) - {"hour", "minute"}):
        errors.add(f"{path}.{key}", "property should not exist", "unknownField")
        ok = False
    values = {}
    for key, hi in (("hour", 23), ("minute", 59)):
        v = raw.get(key)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= hi:
            errors.add(f"{path}.{key}", f"{path}.{key} must be an integer from 0 to {hi}", "range")
            ok = False
        else:
            values[key] = v
    return values["hour"] * 60 + values["minute"] if ok else None


def _item_keys(raw: Any, path: str, errors: _Errors) -> bool:
    if not isinstance(raw, dict):
        errors.add(path, f"{path} must be an object {{startAt, endAt}}", "type")
        return False
    ok = True
    for key in sorted(set(raw) - {"startAt", "endAt"}):
        errors.add(f"{path}.{key}", "property should not exist", "unknownField")
        ok = False
    for key in ("startAt", "endAt"):
        if key not in raw:
            errors.add(f"{path}.{key}", f"{path}.{key} is required", "required")
            ok = False
    return ok


def _list(raw: Any, path: str, limit: int, errors: _Errors) -> list[Any]:
    # null counts as absent, as the documented API's optional validators treat it.
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add(path, f"{path} must be an array", "type")
        return []
    if len(raw) > limit:
        errors.add(path, f"{path} must hold at most {limit} items", "maxItems")
        return []
    return raw


def _weekly(raw: Any, path: str, errors: _Errors) -> list[tuple[int, int]]:
    items: set[tuple[int, int]] = set()
    for i, item in enumerate(_list(raw, path, MAX_WEEKLY_ITEMS, errors)):
        p = f"{path}[{i}]"
        if not _item_keys(item, p, errors):
            continue
        start = _time_of_day(item["startAt"], f"{p}.startAt", errors)
        end = _time_of_day(item["endAt"], f"{p}.endAt", errors)
        if start is None or end is None:
            continue
        if start == end:
            errors.add(f"{p}.endAt", f"{p}.endAt must differ from startAt", "invalid")
            continue
        items.add((start, end))
    return sorted(items)


def _instant(raw: Any, path: str, errors: _Errors) -> datetime | None:
    if not isinstance(raw, str) or len(raw) > 64:
        errors.add(path, f"{path} must be an ISO-8601 datetime", "isIso8601")
        return None
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        errors.add(path, f"{path} must be an ISO-8601 datetime", "isIso8601")
        return None
    if dt.tzinfo is None:
        errors.add(path, f"{path} must include a timezone (Z or an offset)", "isIso8601")
        return None
    return dt.astimezone(UTC)


def _advanced(raw: Any, errors: _Errors) -> list[tuple[datetime, datetime]]:
    items: set[tuple[datetime, datetime]] = set()
    for i, item in enumerate(_list(raw, "pauseWindows.advanced", MAX_ADVANCED_ITEMS, errors)):
        p = f"pauseWindows.advanced[{i}]"
        if not _item_keys(item, p, errors):
            continue
        start = _instant(item["startAt"], f"{p}.startAt", errors)
        end = _instant(item["endAt"], f"{p}.endAt", errors)
        if start is None or end is None:
            continue
        if end <= start:
            errors.add(f"{p}.endAt", f"{p}.endAt must be after startAt", "invalid")
            continue
        items.add((start, end))
    return sorted(items)


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _hm(minutes: int) -> dict[str, int]:
    return {"hour": minutes // 60, "minute": minutes % 60}


def _week_intervals(weekly: Mapping[str, list[tuple[int, int]]]) -> list[tuple[int, int]]:
    """Merged wall-clock intervals in seconds since Monday 00:00; an end may pass the week's end."""
    spans = []
    for day, items in weekly.items():
        base = WEEKDAYS.index(day) * _DAY
        for start, end in items:
            length = (end - start) % (24 * 60)  # a negative length runs past midnight
            spans.append((base + start * 60, base + (start + length) * 60))
    return _merge(sorted(spans))


_T = TypeVar("_T", int, datetime)


def _merge(spans: list[tuple[_T, _T]]) -> list[tuple[_T, _T]]:
    merged: list[tuple[_T, _T]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _covers_whole_week(intervals: list[tuple[int, int]]) -> bool:
    # Fold the part past Sunday midnight back onto Monday, then look for a hole.
    folded = _merge(
        sorted([(s, min(e, _WEEK)) for s, e in intervals] + [(0, e - _WEEK) for s, e in intervals if e > _WEEK])
    )
    return folded == [(0, _WEEK)]


def normalize_pause_windows(raw: Any) -> dict[str, Any] | None:
    """Validate ``pauseWindows`` and answer its normal form (or None when absent).

    Normal form: only the weekdays that hold items, in the digest's order (sunday first), each
    list sorted and without duplicates; ``advanced`` with UTC ``Z`` strings, sorted. Every
    error of the document is reported at once, each naming its field
    (``pauseWindows.monday[0].endAt``).
    """
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ValidationFailed.single("pauseWindows", "pauseWindows must be an object", "type")
    errors = _Errors()
    for key in sorted(str(k) for k in raw if k not in WEEKDAYS and k != "advanced"):
        errors.add(f"pauseWindows.{key}", "property should not exist", "unknownField")
    weekly = {day: _weekly(raw.get(day), f"pauseWindows.{day}", errors) for day in _DOC_ORDER}
    advanced = _advanced(raw.get("advanced"), errors)
    if not errors.messages and _covers_whole_week(_week_intervals(weekly)):
        errors.add("pauseWindows", "pauseWindows cover the whole week: no call could ever start", "invalid")
    errors.raise_if_any()
    out: dict[str, Any] = {
        day: [{"startAt": _hm(s), "endAt": _hm(e)} for s, e in items] for day, items in weekly.items() if items
    }
    if advanced:
        out["advanced"] = [{"startAt": _iso(s), "endAt": _iso(e)} for s, e in advanced]
    return out


def _parse_utc(raw: str) -> datetime:
    return datetime.fromisoformat(raw.replace("Z", "+00:00"))


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("PauseSchedule needs timezone-aware datetimes")
    return at.astimezone(UTC)


class PauseSchedule:
    """When calls may not start, in absolute time. Pure; instants in, instants out.

    Weekly items are applied per local week and cached (the instants of one week's windows are
    computed once, with the zone's offset transitions found by bisection).
    """

    __slots__ = ("_adv", "_adv_starts", "_cache", "_weekly", "_zone")

    def __init__(
        self, zone: ZoneInfo, weekly: list[tuple[int, int]], advanced: list[tuple[datetime, datetime]]
    ) -> None:
        self._zone = zone
        self._weekly = weekly
        self._adv = _merge(sorted(advanced))
        self._adv_starts = [s for s, _ in self._adv]
        self._cache: dict[date, list[tuple[datetime, datetime]]] = {}

    @classmethod
    def from_windows(cls, windows: Mapping[str, Any] | None, tz: str) -> PauseSchedule:
        """``windows`` in the API shape (normal form or not: it is validated again); ``tz`` an
        IANA zone (zoneinfo's errors when it is not)."""
        zone = ZoneInfo(tz)
        norm = normalize_pause_windows(dict(windows) if windows is not None else None) or {}
        weekly = {
            day: [
                (i["startAt"]["hour"] * 60 + i["startAt"]["minute"], i["endAt"]["hour"] * 60 + i["endAt"]["minute"])
                for i in norm.get(day, [])
            ]
            for day in WEEKDAYS
        }
        advanced = [(_parse_utc(i["startAt"]), _parse_utc(i["endAt"])) for i in norm.get("advanced", [])]
        return cls(zone, _week_intervals(weekly), advanced)

    @property
    def is_empty(self) -> bool:
        return not self._weekly and not self._adv

    # -- queries ---------------------------------------------------------------------------------
    def is_paused(self, at: datetime) -> bool:
        t = _utc(at)
        i = bisect.bisect_right(self._adv_starts, t) - 1
        if i >= 0 and self._adv[i][1] > t:
            return True
        if not self._weekly:
            return False
        wall = t.astimezone(self._zone).replace(tzinfo=None)
        monday = wall.date() - timedelta(days=wall.weekday())
        offset = (wall - datetime.combine(monday, datetime.min.time())).total_seconds()
        # Items of the previous week that run past Sunday midnight count at offset + a week.
        return any(s <= offset < e or s <= offset + _WEEK < e for s, e in self._weekly)

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when calls may start then, else the end of the (chained) windows."""
        t = _utc(at)
        moved = False
        while (end := self._cover_end(t)) is not None:
            t, moved = end, True
        return t.astimezone(at.tzinfo) if moved else at

    def next_pause(self, at: datetime) -> datetime | None:
        """When the next window starts: the first instant from ``at`` on where calling goes from
        allowed to paused (after the current chain when ``at`` is paused); None when none comes."""
        t = _utc(self.next_open(at))
        best: datetime | None = None
        i = bisect.bisect_right(self._adv_starts, t)
        if i < len(self._adv_starts):
            best = self._adv_starts[i]
        if self._weekly:
            monday = self._monday(t) - timedelta(days=7)
            found_at: int | None = None
            # A week may hold no instant of its windows (all in a DST gap), so look further; the
            # week after the first one found is checked too, as a fold can reorder starts there.
            for k in range(60):
                week = monday + timedelta(days=7 * k)
                if best is not None and best < datetime.combine(week, datetime.min.time(), UTC) - timedelta(days=1):
                    break
                start = next((s for s, _ in self._pieces(week) if s > t), None)
                if start is not None:
                    best = start if best is None else min(best, start)
                    found_at = k if found_at is None else found_at
                if found_at is not None and k > found_at:
                    break
        return best.astimezone(at.tzinfo) if best is not None else None

    # -- internals -------------------------------------------------------------------------------
    def _monday(self, t: datetime) -> date:
        d = t.astimezone(self._zone).date()
        return d - timedelta(days=d.weekday())

    def _cover_end(self, t: datetime) -> datetime | None:
        ends = []
        i = bisect.bisect_right(self._adv_starts, t) - 1
        if i >= 0 and self._adv[i][1] > t:
            ends.append(self._adv[i][1])
        if self._weekly:
            monday = self._monday(t)
            for week in (monday - timedelta(days=7), monday):
                ends.extend(e for s, e in self._pieces(week) if s <= t < e)
        return max(ends) if ends else None

    def _offset_at(self, ts: int) -> int:
        off = datetime.fromtimestamp(ts, self._zone).utcoffset() or timedelta(0)
        return int(off.total_seconds())

    def _segments(self, lo: int, hi: int) -> list[tuple[int, int, int]]:
        """``(start, end, utc offset)`` runs of constant offset covering ``[lo, hi)`` (POSIX s)."""
        segments = []
        start, off, cur = lo, self._offset_at(lo), lo
        while cur < hi:
            nxt = min(cur + _SCAN, hi)
            if self._offset_at(nxt) == off:
                cur = nxt
                continue
            a, b = cur, nxt
            while b - a > 1:
                mid = (a + b) // 2
                if self._offset_at(mid) == off:
                    a = mid
                else:
                    b = mid
            segments.append((start, b, off))
            start, off, cur = b, self._offset_at(b), b
        segments.append((start, hi, off))
        return segments

    def _pieces(self, monday: date) -> list[tuple[datetime, datetime]]:
        """The instants of the weekly windows of the local week starting at ``monday``, merged."""
        cached = self._cache.get(monday)
        if cached is not None:
            return cached
        # Wall-clock seconds since the epoch as if the wall clock were UTC; instant = wall - offset.
        base = int(datetime.combine(monday, datetime.min.time(), UTC).timestamp())
        segments = self._segments(base - _DAY, base + _WEEK + 2 * _DAY)
        spans = []
        for s, e in self._weekly:
            for seg_start, seg_end, off in segments:
                lo, hi = max(seg_start, base + s - off), min(seg_end, base + e - off)
                if lo < hi:
                    spans.append((lo, hi))
        pieces = [
            (datetime.fromtimestamp(lo, UTC), datetime.fromtimestamp(hi, UTC)) for lo, hi in _merge(sorted(spans))
        ]
        if len(self._cache) > 256:
            self._cache.clear()
        self._cache[monday] = pieces
        return pieces
