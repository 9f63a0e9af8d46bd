"""Business hours: how much *open* time lies between two moments, and when a budget runs out.

Service-level agreements ("first answer within 4 business hours") count only the time a team
is open. This module is that arithmetic and nothing else: no tickets, no database, so it can be
property-tested quickly. Services pass it a `BusinessCalendar` built from the SLA policy.

The model
---------
A `BusinessCalendar` is an IANA time zone, a weekly pattern of opening intervals in local
wall-clock time (several per weekday, e.g. 08:00-12:00 and 13:00-17:00) and a set of local
holiday dates, closed all day. An interval never crosses midnight but may end at 24:00 (written
"24:00", or `time(0)` as an end): a night shift is 22:00-24:00 on one day plus 00:00-06:00 on
the next, and because the two touch, counting runs through midnight without a break. A 24/7
calendar is 00:00-24:00 every day (`BusinessCalendar.always_open`).

Open time is real elapsed time inside the open intervals. Each wall-clock boundary is placed at
the first moment the local clock shows that time (or a later one, if the time is skipped):

* When a daylight-saving change falls outside every interval (the usual case: Europe changes
  at 03:00/04:00, long before an 08:00 opening), a 08:00-17:00 day is 9 hours as on any day.
* When the change falls inside an interval, the interval counts the time that really passes:
  a 00:00-06:00 night shift is 5 hours on the spring-forward night and 7 hours on the
  fall-back night. A boundary inside the skipped hour moves to the jump (an opening at 03:30
  on a night when 03:00 becomes 04:00 opens at 04:00); a boundary inside the repeated hour is
  taken on its first pass.

We count real time rather than wall-clock time because an SLA promises the customer a duration
and the people on the night shift really do work 7 hours on the fall-back night.

Counting rules
--------------
* `business_time_between(cal, a, b)` is the open time in [a, b); zero when b <= a.
* `add_business_time(cal, start, d)` is the earliest moment t >= start with
  `business_time_between(cal, start, t) == d`. So counting begins at the next opening when
  `start` is closed; a result lies inside an open interval or exactly at its end (an SLA that
  runs out at 17:00 is due at 17:00, not at the next morning's opening); a zero duration
  returns `start`. Results are always in UTC.
* Pauses (waiting on the customer) stop the clock: `due_at` is the earliest moment at which
  the open time outside the pauses reaches the budget, and `elapsed` is the open time used so
  far. A pause without an end that begins before the budget runs out means no due time yet
  (None); if the budget ran out before such a pause began, the ticket stays due at that moment.

Speed
-----
Whole weeks are skipped arithmetically: n weeks hold n times the weekly open time, less the
holidays in them, corrected on the few days on which the zone's UTC offset changes. Those days
are found once per zone and year, by comparing the offset at successive local midnights, and
cached. That comparison is exact because no zone in the tz database changes its offset twice
within a day (the closest two changes are Africa/Freetown's, 3.99 days apart in 1939).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from kliyan.core.errors import ValidationFailed

UTC = timezone.utc
DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_ZERO = timedelta(0)
_DAY = timedelta(days=1)
_MICROSECOND = timedelta(microseconds=1)
_MIDNIGHT = time(0)

Interval = tuple[time, time]
WeeklyHours = tuple[tuple[Interval, ...], ...]
# What the constructor accepts for `weekly_hours`: seven days Monday first, or weekday -> intervals.
_ClockPair = Sequence["time | str"]
WeeklyHoursInput = WeeklyHours | Sequence[Iterable[_ClockPair]] | Mapping[int | str, Iterable[_ClockPair]]
Pause = tuple[datetime, datetime | None]
_Span = tuple[datetime, datetime]


class InvalidCalendar(ValidationFailed, ValueError):
    """The calendar's definition is not usable; `field` names the part that is wrong."""

    code = "invalid_calendar"

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message, field_errors={field_name: [message]})
        self.field = field_name


@dataclass(frozen=True)
class BusinessCalendar:
    """When a team is open: a time zone, weekly local opening intervals and holiday dates.

    `weekly_hours` is either a sequence of seven entries (Monday first) or a mapping from
    weekday (0 = Monday, or "mon" .. "sun") to intervals; days left out are closed. Each
    interval is a pair of `datetime.time` or "HH:MM[:SS]" strings; an end of "24:00" or of
    `time(0)` means midnight at the end of the day. After construction the field holds seven
    sorted tuples of `(time, time)`, an end of day stored as `time(0)`. `holidays` are local
    dates (or ISO strings), closed all day.
    """

    time_zone: str
    weekly_hours: WeeklyHoursInput  # a `WeeklyHours` once constructed
    holidays: Iterable[date | str] = frozenset()  # a frozenset of dates once constructed
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _spans: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = field(init=False, repr=False, compare=False)
    _day_open: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _week_open: timedelta = field(init=False, repr=False, compare=False)
    _holiday_list: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        zone = _load_zone(self.time_zone)
        spans = _parse_week(self.weekly_hours)
        day_open = tuple(sum((end - begin for begin, end in day), _ZERO) for day in spans)
        if not any(day_open):
            raise InvalidCalendar("weekly_hours", _("The calendar has no opening hours on any day."))
        holidays = frozenset(_parse_holiday(value) for value in _iterate(self.holidays, "holidays"))
        normalised = tuple(tuple((_to_time(begin), _to_time(end)) for begin, end in day) for day in spans)
        for name, value in (
            ("weekly_hours", normalised),
            ("holidays", holidays),
            ("_zone", zone),
            ("_spans", spans),
            ("_day_open", day_open),
            ("_week_open", sum(day_open, _ZERO)),
            ("_holiday_list", tuple(sorted(holidays))),
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def always_open(cls, time_zone: str = "UTC", holidays: Iterable[date | str] = ()) -> BusinessCalendar:
        """Return a 24/7 calendar (holidays, if any, are still closed)."""
        return cls(time_zone=time_zone, weekly_hours=[[("00:00", "24:00")]] * 7, holidays=frozenset(holidays))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from the JSON shape written by `to_dict`."""
        return cls(
            time_zone=data.get("time_zone", ""),
            weekly_hours=data.get("weekly_hours", {}),
            holidays=data.get("holidays", ()),
        )

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form: {"time_zone", "weekly_hours": {"mon": [["08:00", "17:00"]]}, "holidays"}."""
        return {
            "time_zone": self.time_zone,
            "weekly_hours": {
                DAY_KEYS[weekday]: [[_format_clock(begin), _format_clock(end)] for begin, end in day]
                for weekday, day in enumerate(self._spans)
                if day
            },
            "holidays": [holiday.isoformat() for holiday in self._holiday_list],
        }


# --- Public arithmetic --------------------------------------------------------------------


def is_open(calendar: BusinessCalendar, at: datetime) -> bool:
    """Return whether the calendar is open at the moment `at` (intervals are [start, end))."""
    moment = _as_utc(at, "at")
    return any(begin <= moment < end for begin, end in _day_spans(calendar, _day_of(calendar, moment)))


def next_opening(calendar: BusinessCalendar, at: datetime) -> datetime:
    """Return the earliest moment >= `at` at which the calendar is open (`at` itself if open)."""
    moment = _as_utc(at, "at")
    day = _day_of(calendar, moment)
    # Terminates: holidays are finite and every week has open hours.
    while True:
        for begin, end in _day_spans(calendar, day):
            if end > moment:
                return max(begin, moment)
        day += _DAY


def business_time_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """Return the open time in [a, b); zero when b <= a."""
    start, end = _as_utc(a, "a"), _as_utc(b, "b")
    if end <= start:
        return _ZERO
    first, last = _day_of(calendar, start), _day_of(calendar, end)
    if first == last:
        return _clipped(_day_spans(calendar, first), start, end)
    return (
        _clipped(_day_spans(calendar, first), start, None)
        + _open_between_days(calendar, first + _DAY, last)
        + _clipped(_day_spans(calendar, last), None, end)
    )


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """Return the moment (UTC) at which `duration` of open time has passed since `start`."""
    if duration < _ZERO:
        raise ValueError("duration must not be negative")
    moment = _as_utc(start, "start")
    if not duration:
        return moment
    day = _day_of(calendar, moment)
    found, remaining = _consume(_day_spans(calendar, day), moment, duration)
    if found is not None:
        return found
    day, remaining = _skip_weeks(calendar, day + _DAY, remaining)
    while True:
        available = _open_on(calendar, day)
        if available >= remaining:
            found, _left = _consume(_day_spans(calendar, day), None, remaining)
            assert found is not None  # the day holds at least `remaining`
            return found
        remaining -= available
        day += _DAY


def due_at(
    calendar: BusinessCalendar,
    start: datetime,
    budget: timedelta,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """Return when `budget` of open time outside `pauses` has been used since `start` (UTC).

    Each pause is `(paused_from, paused_until)`; `paused_until` None means still paused.
    Pauses may overlap or start before `start`. Return None when a pause without an end begins
    before the budget runs out: nothing is due until the clock restarts.
    """
    if budget < _ZERO:
        raise ValueError("budget must not be negative")
    moment = _as_utc(start, "start")
    remaining = budget
    for paused_from, paused_until in _merged_pauses(moment, pauses):
        candidate = add_business_time(calendar, moment, remaining)
        if candidate <= paused_from:
            return candidate
        remaining -= business_time_between(calendar, moment, paused_from)
        if paused_until is None:
            return None
        moment = paused_until
    return add_business_time(calendar, moment, remaining)


def elapsed(
    calendar: BusinessCalendar,
    start: datetime,
    now: datetime,
    pauses: Iterable[Pause] = (),
) -> timedelta:
    """Return the open time used between `start` and `now`, leaving out the paused time.

    `elapsed(...) / budget` is the share of the SLA used; it reaches the budget exactly at
    `due_at(...)`.
    """
    begin, end = _as_utc(start, "start"), _as_utc(now, "now")
    if end <= begin:
        return _ZERO
    used = business_time_between(calendar, begin, end)
    for paused_from, paused_until in _merged_pauses(begin, pauses):
        if paused_from >= end:
            break
        used -= business_time_between(calendar, paused_from, end if paused_until is None else min(paused_until, end))
    return used


# --- Walking the calendar -----------------------------------------------------------------


def _consume(spans: Sequence[_Span], after: datetime | None, remaining: timedelta) -> tuple[datetime | None, timedelta]:
    """Spend `remaining` in `spans` from `after` on; return where it ran out, or what is left."""
    for begin, end in spans:
        if after is not None:
            if end <= after:
                continue
            begin = max(begin, after)
        available = end - begin
        if available >= remaining:
            return begin + remaining, _ZERO
        remaining -= available
    return None, remaining


def _skip_weeks(calendar: BusinessCalendar, day: date, remaining: timedelta) -> tuple[date, timedelta]:
    """Jump over whole weeks that are certainly used up before `remaining` runs out."""
    week = calendar._week_open
    while remaining > 2 * week:
        # One week of slack: holidays and DST days make the real total differ from nominal.
        weeks = remaining // week - 1
        spent = _open_between_days(calendar, day, day + timedelta(weeks=weeks))
        while spent >= remaining and weeks > 1:
            weeks //= 2
            spent = _open_between_days(calendar, day, day + timedelta(weeks=weeks))
        if spent >= remaining:
            break
        remaining -= spent
        day += timedelta(weeks=weeks)
    return day, remaining


def _open_between_days(calendar: BusinessCalendar, first: date, stop: date) -> timedelta:
    """Return the open time of the whole local days first .. stop - 1, without walking them."""
    if stop <= first:
        return _ZERO
    weeks, extra_days = divmod((stop - first).days, 7)
    total = calendar._week_open * weeks
    weekday = first.weekday()
    for offset in range(extra_days):
        total += calendar._day_open[(weekday + offset) % 7]
    holidays = calendar._holiday_list
    for holiday in holidays[bisect_left(holidays, first) : bisect_left(holidays, stop)]:
        total -= calendar._day_open[holiday.weekday()]
    for year in range(first.year, (stop - _DAY).year + 1):
        for day in _offset_change_days(calendar.time_zone, year):
            if first <= day < stop and day not in calendar.holidays and calendar._spans[day.weekday()]:
                total += _open_on(calendar, day) - calendar._day_open[day.weekday()]
    return total


def _open_on(calendar: BusinessCalendar, day: date) -> timedelta:
    """Return the real open time of one local day."""
    if day in calendar.holidays:
        return _ZERO
    if day not in _offset_change_days(calendar.time_zone, day.year):
        return calendar._day_open[day.weekday()]
    return sum((end - begin for begin, end in _day_spans(calendar, day)), _ZERO)


def _day_spans(calendar: BusinessCalendar, day: date) -> tuple[_Span, ...]:
    """Return the day's open intervals as UTC instants, in order, empty ones left out."""
    if day in calendar.holidays:
        return ()
    spans = calendar._spans[day.weekday()]
    if not spans:
        return ()
    if day not in _offset_change_days(calendar.time_zone, day.year):
        # No offset change all day: every boundary is midnight plus its clock time.
        midnight = datetime.combine(day, _MIDNIGHT, tzinfo=calendar._zone)
        base = midnight.astimezone(UTC)
        return tuple((base + begin, base + end) for begin, end in spans)
    exact = ((_wall_to_utc(calendar._zone, day, begin), _wall_to_utc(calendar._zone, day, end)) for begin, end in spans)
    return tuple((begin, end) for begin, end in exact if begin < end)


def _day_of(calendar: BusinessCalendar, moment: datetime) -> date:
    """Return the local day whose [midnight, next midnight) holds `moment`."""
    zone = calendar._zone
    day = moment.astimezone(zone).date()
    # The local date is almost always the answer; the loops settle a repeated hour that
    # straddles midnight, where the date on the clock and the day's boundaries disagree.
    while day > date.min and _wall_to_utc(zone, day, _ZERO) > moment:
        day -= _DAY
    while day < date.max and _wall_to_utc(zone, day + _DAY, _ZERO) <= moment:
        day += _DAY
    return day


def _clipped(spans: Sequence[_Span], low: datetime | None, high: datetime | None) -> timedelta:
    total = _ZERO
    for begin, end in spans:
        begin = begin if low is None else max(begin, low)
        end = end if high is None else min(end, high)
        if end > begin:
            total += end - begin
    return total


def _wall_to_utc(zone: ZoneInfo, day: date, since_midnight: timedelta) -> datetime:
    """Return the first moment the local clock shows `day` + `since_midnight`, or a later time."""
    wall = datetime.combine(day, _MIDNIGHT) + since_midnight
    instant = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: a repeated time's first pass
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # The time was skipped. Read with the later offset it falls before the jump, read with the
    # earlier one after it; the clock is monotone on that stretch, so bisect to the jump.
    before, after = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), instant
    while after - before > _MICROSECOND:
        middle = before + (after - before) // 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            after = middle
        else:
            before = middle
    return after


@lru_cache(maxsize=4096)
def _offset_change_days(zone_name: str, year: int) -> frozenset[date]:
    """Return the local days of `year` on which the zone's UTC offset changes."""
    zone = ZoneInfo(zone_name)
    day = date(year, 1, 1)
    offset = datetime.combine(day, _MIDNIGHT, tzinfo=zone).utcoffset()
    changes = []
    while day.year == year and day < date.max:
        following = day + _DAY
        following_offset = datetime.combine(following, _MIDNIGHT, tzinfo=zone).utcoffset()
        if following_offset != offset:
            changes.append(day)
        day, offset = following, following_offset
    return frozenset(changes)


def _merged_pauses(start: datetime, pauses: Iterable[Pause]) -> list[tuple[datetime, datetime | None]]:
    """Return the pauses from `start` on, sorted, overlaps merged; an open end swallows the rest."""
    cleaned: list[tuple[datetime, datetime | None]] = []
    for paused_from, paused_until in pauses:
        since = _as_utc(paused_from, "paused_from")
        if paused_until is None:
            cleaned.append((max(since, start), None))
            continue
        until = _as_utc(paused_until, "paused_until")
        if until < since:
            raise ValueError(f"pause ends ({until.isoformat()}) before it starts ({since.isoformat()})")
        if until > max(since, start):
            cleaned.append((max(since, start), until))
    cleaned.sort(key=lambda pause: pause[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for since, until in cleaned:
        if merged and (merged[-1][1] is None or since <= merged[-1][1]):
            previous_since, previous_until = merged[-1]
            longest = None if previous_until is None or until is None else max(previous_until, until)
            merged[-1] = (previous_since, longest)
        else:
            merged.append((since, until))
    return merged


def _as_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    return value.astimezone(UTC)


# --- Reading a calendar definition --------------------------------------------------------


def _load_zone(name: object) -> ZoneInfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise InvalidCalendar(
        "time_zone",
        _("“%(name)s” is not a known time zone; use an IANA name such as Europe/Paris.") % {"name": name},
    )


def _parse_week(weekly_hours: object) -> tuple[tuple[tuple[timedelta, timedelta], ...], ...]:
    if isinstance(weekly_hours, Mapping):
        days: list[Any] = [()] * 7
        for key, intervals in weekly_hours.items():
            days[_weekday_index(key)] = intervals
    elif isinstance(weekly_hours, Sequence) and not isinstance(weekly_hours, str) and len(weekly_hours) == 7:
        days = list(weekly_hours)
    else:
        raise InvalidCalendar(
            "weekly_hours",
            _("Opening hours need one entry per weekday (Monday to Sunday) or a mapping from weekday to intervals."),
        )
    return tuple(_parse_day(weekday, intervals) for weekday, intervals in enumerate(days))


def _weekday_index(key: object) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str) and key.lower()[:3] in DAY_KEYS:
        return DAY_KEYS.index(key.lower()[:3])
    raise InvalidCalendar("weekly_hours", _("“%(key)s” is not a weekday (0-6 or mon-sun).") % {"key": key})


def _parse_day(weekday: int, intervals: object) -> tuple[tuple[timedelta, timedelta], ...]:
    parsed = []
    for interval in _iterate(intervals, "weekly_hours"):
        if isinstance(interval, str) or not isinstance(interval, Sequence) or len(interval) != 2:
            raise InvalidCalendar(
                "weekly_hours",
                _("On %(day)s, “%(value)s” is not a (start, end) pair.") % {"day": _day_name(weekday), "value": interval},
            )
        begin, end = _parse_clock(interval[0], weekday), _parse_clock(interval[1], weekday)
        end = end or _DAY  # an end at 00:00 is midnight at the end of the day
        if begin >= _DAY:
            raise InvalidCalendar(
                "weekly_hours", _("On %(day)s, an interval cannot start at 24:00.") % {"day": _day_name(weekday)}
            )
        if end <= begin:
            raise InvalidCalendar(
                "weekly_hours",
                _("On %(day)s, %(start)s–%(end)s does not end after it starts; split a night shift at 24:00.")
                % {"day": _day_name(weekday), "start": _format_clock(begin), "end": _format_clock(end)},
            )
        parsed.append((begin, end))
    parsed.sort()
    for (first_begin, first_end), (second_begin, second_end) in zip(parsed, parsed[1:]):
        if second_begin < first_end:
            raise InvalidCalendar(
                "weekly_hours",
                _("On %(day)s, %(first)s and %(second)s overlap.")
                % {
                    "day": _day_name(weekday),
                    "first": f"{_format_clock(first_begin)}–{_format_clock(first_end)}",
                    "second": f"{_format_clock(second_begin)}–{_format_clock(second_end)}",
                },
            )
    return tuple(parsed)


def _parse_clock(value: object, weekday: int) -> timedelta:
    """Return a wall-clock time as the time since midnight; "24:00" is a whole day."""
    if isinstance(value, time) and value.tzinfo is None:
        return timedelta(hours=value.hour, minutes=value.minute, seconds=value.second, microseconds=value.microsecond)
    if isinstance(value, str):
        if value.strip() == "24:00":
            return _DAY
        try:
            return _parse_clock(time.fromisoformat(value.strip()), weekday)
        except ValueError:
            pass
    raise InvalidCalendar(
        "weekly_hours",
        _("On %(day)s, “%(value)s” is not a time of day (HH:MM).") % {"day": _day_name(weekday), "value": value},
    )


def _day_name(weekday: int) -> str:
    return str(WEEKDAYS[weekday])


def _parse_holiday(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidCalendar("holidays", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": value})


def _iterate(values: object, field_name: str) -> Iterable[Any]:
    if values is None:
        return ()
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise InvalidCalendar(field_name, _("“%(value)s” is not a list.") % {"value": values})
    return values


def _to_time(since_midnight: timedelta) -> time:
    # 24:00 is stored as time(0): as an end, midnight can only mean the end of the day.
    return (datetime.min + since_midnight).time()


def _format_clock(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{seconds:02d}" if seconds else "")
