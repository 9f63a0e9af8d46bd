"""Business-hours arithmetic for SLAs: worked examples a person can check, then properties.

The properties run on random calendars in zones with and without daylight saving (including
America/Havana, whose clocks change at midnight, and Australia/Lord_Howe, which moves by 30
minutes), and compare against a slow reference that finds every opening and closing by
scanning real time in five-minute steps.
"""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kliyan.core.errors import ValidationFailed
from kliyan.service.business_hours import (
    BusinessCalendar,
    InvalidCalendar,
    add_business_time,
    business_time_between,
    due_at,
    elapsed,
    is_open,
    next_opening,
)

UTC = timezone.utc
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MICROSECOND = timedelta(microseconds=1)
FIVE_MINUTES = timedelta(minutes=5)
BUCHAREST = "Europe/Bucharest"
ZONES = (
    "Europe/Bucharest",
    "America/Port-au-Prince",
    "Africa/Blantyre",
    "Europe/Tirane",
    "Europe/Paris",
    "UTC",
    "America/Havana",
    "Australia/Lord_Howe",
)
OFFICE = {day: [("08:00", "17:00")] for day in range(5)}  # Monday to Friday
SPLIT_OFFICE = {day: [("08:00", "12:00"), ("13:00", "17:00")] for day in range(5)}
NIGHTS = [[("00:00", "06:00"), ("22:00", "24:00")]] * 7
EVERY_DAY_OFFICE = [[("08:00", "17:00")]] * 7
ALWAYS = [[("00:00", "24:00")]] * 7
# Boundaries inside the hours the zones here skip or repeat (00:00 Havana, 02:00 Paris, Tirane,
# Port-au-Prince and Lord Howe, 03:00 Bucharest).
CLOCK_CHANGE_HOURS = [[("00:30", "01:30"), ("02:15", "02:45"), ("03:30", "05:00")]] * 7


def at(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)  # type: ignore[misc]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def office(zone: str = BUCHAREST, hours: object = OFFICE, holidays: tuple[str, ...] = ()) -> BusinessCalendar:
    return BusinessCalendar(time_zone=zone, weekly_hours=hours, holidays=holidays)


# --- Worked examples ------------------------------------------------------------------------


def test_friday_afternoon_plus_four_hours_is_monday_eleven() -> None:
    due = add_business_time(office(), at(BUCHAREST, 2025, 6, 6, 16), 4 * HOUR)  # a Friday
    assert due == at(BUCHAREST, 2025, 6, 9, 11)
    assert due.tzinfo is UTC


def test_holidays_are_closed_all_day() -> None:
    calendar = office(holidays=("2025-12-25", "2025-12-26"))
    # Wednesday 16:00: one hour on Christmas Eve, Thursday and Friday closed, three on Monday.
    assert add_business_time(calendar, at(BUCHAREST, 2025, 12, 24, 16), 4 * HOUR) == at(BUCHAREST, 2025, 12, 29, 11)
    assert business_time_between(calendar, at(BUCHAREST, 2025, 12, 24, 0), at(BUCHAREST, 2025, 12, 29, 0)) == 9 * HOUR


def test_ticket_created_on_saturday_counts_from_monday_opening() -> None:
    calendar = office()
    saturday = at(BUCHAREST, 2025, 6, 7, 10)
    assert not is_open(calendar, saturday)
    assert next_opening(calendar, saturday) == at(BUCHAREST, 2025, 6, 9, 8)
    assert business_time_between(calendar, saturday, at(BUCHAREST, 2025, 6, 9, 8)) == timedelta(0)
    assert add_business_time(calendar, saturday, HOUR) == at(BUCHAREST, 2025, 6, 9, 9)


def test_budget_running_out_at_closing_time_is_due_at_closing_time() -> None:
    assert add_business_time(office(), at(BUCHAREST, 2025, 6, 6, 13), 4 * HOUR) == at(BUCHAREST, 2025, 6, 6, 17)


def test_lunch_break_does_not_count() -> None:
    calendar = office(hours=SPLIT_OFFICE)
    assert add_business_time(calendar, at(BUCHAREST, 2025, 6, 10, 11), 2 * HOUR) == at(BUCHAREST, 2025, 6, 10, 14)
    assert not is_open(calendar, at(BUCHAREST, 2025, 6, 10, 12, 30))


def test_shift_ending_at_midnight_runs_into_the_next_morning() -> None:
    calendar = office(hours={0: [("18:00", "24:00")], 1: [("00:00", "02:00")]})
    assert add_business_time(calendar, at(BUCHAREST, 2025, 6, 9, 23), 2 * HOUR) == at(BUCHAREST, 2025, 6, 10, 1)


@pytest.mark.parametrize("sunday", [date(2025, 3, 30), date(2025, 10, 26)], ids=["spring-forward", "fall-back"])
def test_office_day_is_nine_hours_when_the_clock_changes_at_night(sunday: date) -> None:
    calendar = office(hours=EVERY_DAY_OFFICE)  # Bucharest changes at 03:00/04:00, before opening
    morning = at(BUCHAREST, sunday.year, sunday.month, sunday.day, 8)
    assert business_time_between(calendar, morning - 8 * HOUR, morning + 16 * HOUR) == 9 * HOUR
    assert add_business_time(calendar, morning, 9 * HOUR) == at(BUCHAREST, sunday.year, sunday.month, sunday.day, 17)


def test_night_shift_is_five_hours_on_the_spring_forward_night() -> None:
    calendar = office(hours=[[("00:00", "06:00")]] * 7)
    midnight = at(BUCHAREST, 2025, 3, 30, 0)  # at 03:00 the clocks jump to 04:00
    assert business_time_between(calendar, midnight, midnight + 12 * HOUR) == 5 * HOUR
    assert add_business_time(calendar, midnight, 3 * HOUR) == at(BUCHAREST, 2025, 3, 30, 4)
    assert add_business_time(calendar, midnight, 5 * HOUR) == at(BUCHAREST, 2025, 3, 30, 6)


def test_night_shift_is_seven_hours_on_the_fall_back_night() -> None:
    calendar = office(hours=[[("00:00", "06:00")]] * 7)
    midnight = at(BUCHAREST, 2025, 10, 26, 0)  # at 04:00 the clocks go back to 03:00
    assert business_time_between(calendar, midnight, midnight + 12 * HOUR) == 7 * HOUR
    # Four hours after midnight the clock shows 03:00 for the second time.
    assert add_business_time(calendar, midnight, 4 * HOUR) == utc(2025, 10, 26, 1)
    shown = add_business_time(calendar, midnight, 4 * HOUR).astimezone(ZoneInfo(BUCHAREST))
    assert (shown.hour, shown.fold) == (3, 1)
    assert add_business_time(calendar, midnight, 7 * HOUR) == at(BUCHAREST, 2025, 10, 26, 6)


def test_opening_in_the_skipped_hour_opens_at_the_jump() -> None:
    calendar = office(hours={6: [("03:30", "05:00")]})  # Sundays only
    night = at(BUCHAREST, 2025, 3, 30, 0)
    assert next_opening(calendar, night) == at(BUCHAREST, 2025, 3, 30, 4)
    assert business_time_between(calendar, night, night + DAY) == HOUR


def test_closing_in_the_repeated_hour_closes_on_its_first_pass() -> None:
    calendar = office(hours={6: [("00:00", "03:30")]})
    night = at(BUCHAREST, 2025, 10, 26, 0)
    assert business_time_between(calendar, night, night + DAY) == 3 * HOUR + 30 * timedelta(minutes=1)
    assert not is_open(calendar, at(BUCHAREST, 2025, 10, 26, 3, 15, fold=1))


def test_port_au_prince_spring_forward_night_shift() -> None:
    calendar = office(zone="America/Port-au-Prince", hours=[[("00:00", "06:00")]] * 7)
    midnight = at("America/Port-au-Prince", 2025, 3, 9, 0)  # 02:00 becomes 03:00
    assert business_time_between(calendar, midnight, midnight + 12 * HOUR) == 5 * HOUR


@pytest.mark.parametrize("zone", [BUCHAREST, "America/Port-au-Prince", "UTC"])
def test_always_open_calendar_is_plain_addition_across_clock_changes(zone: str) -> None:
    calendar = BusinessCalendar.always_open(zone)
    start = at(zone, 2025, 3, 1, 12).astimezone(UTC)  # aware arithmetic in a local zone is wall-clock arithmetic
    assert add_business_time(calendar, start, 400 * DAY) == start + 400 * DAY
    assert business_time_between(calendar, start, start + 400 * DAY) == 400 * DAY


def test_zero_duration_is_due_at_the_start_even_when_closed() -> None:
    saturday = at(BUCHAREST, 2025, 6, 7, 10)
    assert add_business_time(office(), saturday, timedelta(0)) == saturday


def test_two_thousand_hours_and_twenty_years_are_fast() -> None:
    calendar = office(holidays=tuple(f"{year}-12-25" for year in range(2025, 2050)))
    started = clock.perf_counter()
    due = add_business_time(calendar, at(BUCHAREST, 2025, 6, 6, 16), 2000 * HOUR)
    far = add_business_time(calendar, at(BUCHAREST, 2025, 6, 6, 16), 20 * 52 * 45 * HOUR)
    spent = clock.perf_counter() - started
    assert business_time_between(calendar, at(BUCHAREST, 2025, 6, 6, 16), due) == 2000 * HOUR
    assert business_time_between(calendar, at(BUCHAREST, 2025, 6, 6, 16), far) == 20 * 52 * 45 * HOUR
    assert spent < 0.25


# --- Pauses ---------------------------------------------------------------------------------


def test_waiting_on_the_customer_stops_the_clock() -> None:
    calendar = office()
    start = at(BUCHAREST, 2025, 6, 9, 9)  # Monday
    pauses = [(at(BUCHAREST, 2025, 6, 9, 11), at(BUCHAREST, 2025, 6, 10, 10))]
    # Two hours on Monday, the other six from Tuesday 10:00.
    assert due_at(calendar, start, 8 * HOUR, pauses) == at(BUCHAREST, 2025, 6, 10, 16)
    assert elapsed(calendar, start, at(BUCHAREST, 2025, 6, 10, 12), pauses) == 4 * HOUR  # half the SLA used


def test_open_ended_pause_means_no_due_time_yet() -> None:
    calendar = office()
    start = at(BUCHAREST, 2025, 6, 9, 9)
    pauses = [(at(BUCHAREST, 2025, 6, 9, 11), None)]
    assert due_at(calendar, start, 8 * HOUR, pauses) is None
    assert elapsed(calendar, start, at(BUCHAREST, 2025, 6, 11, 12), pauses) == 2 * HOUR


def test_budget_spent_before_an_open_ended_pause_stays_due() -> None:
    calendar = office()
    start = at(BUCHAREST, 2025, 6, 9, 9)
    assert due_at(calendar, start, HOUR, [(at(BUCHAREST, 2025, 6, 9, 11), None)]) == at(BUCHAREST, 2025, 6, 9, 10)


def test_overlapping_pauses_and_pauses_before_the_start_count_once() -> None:
    calendar = office()
    start = at(BUCHAREST, 2025, 6, 9, 9)
    pauses = [
        (at(BUCHAREST, 2025, 6, 6, 9), at(BUCHAREST, 2025, 6, 9, 10)),  # began before the ticket
        (at(BUCHAREST, 2025, 6, 9, 12), at(BUCHAREST, 2025, 6, 9, 14)),
        (at(BUCHAREST, 2025, 6, 9, 13), at(BUCHAREST, 2025, 6, 9, 15)),
    ]
    # Open and not paused on Monday: 10-12 and 15-17.
    assert due_at(calendar, start, 4 * HOUR, pauses) == at(BUCHAREST, 2025, 6, 9, 17)
    assert elapsed(calendar, start, at(BUCHAREST, 2025, 6, 9, 16), pauses) == 3 * HOUR


def test_pause_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        due_at(office(), at(BUCHAREST, 2025, 6, 9, 9), HOUR, [(at(BUCHAREST, 2025, 6, 9, 11), at(BUCHAREST, 2025, 6, 9, 10))])


# --- Defining a calendar --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "field", "named"),
    [
        ({"time_zone": "Europe/Nowhere"}, "time_zone", "Europe/Nowhere"),
        ({"time_zone": ""}, "time_zone", "IANA"),
        ({"weekly_hours": {0: [("17:00", "08:00")]}}, "weekly_hours", "17:00–08:00"),
        ({"weekly_hours": {2: [("08:00", "08:00")]}}, "weekly_hours", "Wednesday"),
        ({"weekly_hours": {0: [("08:00", "12:00"), ("11:00", "17:00")]}}, "weekly_hours", "08:00–12:00 and 11:00–17:00"),
        ({"weekly_hours": {}}, "weekly_hours", "no opening hours"),
        ({"weekly_hours": [[]] * 7}, "weekly_hours", "no opening hours"),
        ({"weekly_hours": {0: [("8h", "17:00")]}}, "weekly_hours", "8h"),
        ({"weekly_hours": {0: [("24:00", "24:00")]}}, "weekly_hours", "24:00"),
        ({"weekly_hours": {0: ["08:00-17:00"]}}, "weekly_hours", "08:00-17:00"),
        ({"weekly_hours": {"funday": [("08:00", "17:00")]}}, "weekly_hours", "funday"),
        ({"weekly_hours": [[("08:00", "17:00")]] * 5}, "weekly_hours", "weekday"),
        ({"holidays": ["25/12/2025"]}, "holidays", "25/12/2025"),
        ({"holidays": [datetime(2025, 12, 25)]}, "holidays", "2025-12-25"),
    ],
)
def test_bad_definitions_are_refused_naming_the_problem(definition: dict[str, object], field: str, named: str) -> None:
    arguments: dict[str, object] = {"time_zone": BUCHAREST, "weekly_hours": OFFICE, "holidays": ()}
    arguments.update(definition)
    with pytest.raises(InvalidCalendar) as refused:
        BusinessCalendar(**arguments)  # type: ignore[arg-type]
    assert refused.value.field == field
    assert named in str(refused.value)
    # The API and the pages render it like any other validation error.
    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.field_errors == {field: [str(refused.value)]}


def test_touching_intervals_and_time_objects_are_accepted() -> None:
    calendar = BusinessCalendar(BUCHAREST, {"mon": [(time(8), time(12)), (time(12), time(0))]})
    assert calendar.weekly_hours[0] == ((time(8), time(12)), (time(12), time(0)))
    assert business_time_between(calendar, at(BUCHAREST, 2025, 6, 9, 0), at(BUCHAREST, 2025, 6, 10, 0)) == 16 * HOUR


def test_calendar_round_trips_through_json() -> None:
    calendar = office(hours=NIGHTS, holidays=("2025-12-25",))
    data = calendar.to_dict()
    assert data["weekly_hours"]["mon"] == [["00:00", "06:00"], ["22:00", "24:00"]]
    assert data["holidays"] == ["2025-12-25"]
    assert BusinessCalendar.from_dict(data) == calendar
    assert hash(BusinessCalendar.from_dict(data)) == hash(calendar)


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(office(), datetime(2025, 6, 9, 9), HOUR)
    with pytest.raises(ValueError, match="negative"):
        add_business_time(office(), at(BUCHAREST, 2025, 6, 9, 9), -HOUR)


# --- A slow reference ----------------------------------------------------------------------


def reference_day_spans(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """Find each boundary as the first moment the local clock shows it, scanning real time.

    Every zone here has offsets and changes on five-minute marks and the random calendars use
    five-minute marks, so stepping in five minutes finds every boundary exactly.
    """
    if day in calendar.holidays:
        return []
    zone = ZoneInfo(calendar.time_zone)
    walls = []
    for begin, end in calendar.weekly_hours[day.weekday()]:
        walls.append(datetime.combine(day, begin))
        walls.append(datetime.combine(day + DAY, time()) if end == time(0) else datetime.combine(day, end))
    probe = (datetime.combine(day, time()) - 12 * HOUR).replace(tzinfo=UTC)  # before local midnight
    found = []
    for wall in walls:
        while probe.astimezone(zone).replace(tzinfo=None) < wall:
            probe += FIVE_MINUTES
        found.append(probe)
    return [(found[i], found[i + 1]) for i in range(0, len(found), 2) if found[i] < found[i + 1]]


def reference_add(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    moment, remaining = start.astimezone(UTC), duration
    if not remaining:
        return moment
    day = moment.astimezone(ZoneInfo(calendar.time_zone)).date() - DAY
    while True:
        for begin, end in reference_day_spans(calendar, day):
            begin = max(begin, moment)
            if end > begin:
                if end - begin >= remaining:
                    return begin + remaining
                remaining -= end - begin
        day += DAY


def reference_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    zone = ZoneInfo(calendar.time_zone)
    day, last = a.astimezone(zone).date() - DAY, b.astimezone(zone).date() + DAY
    total = timedelta(0)
    while day <= last:
        for begin, end in reference_day_spans(calendar, day):
            total += max(timedelta(0), min(end, b) - max(begin, a))
        day += DAY
    return total


# --- Random calendars, moments and durations ------------------------------------------------


def nominal_week(calendar: BusinessCalendar) -> timedelta:
    def length(begin: time, end: time) -> timedelta:
        stop = DAY if end == time(0) else timedelta(hours=end.hour, minutes=end.minute)
        return stop - timedelta(hours=begin.hour, minutes=begin.minute)

    return sum((length(begin, end) for day in calendar.weekly_hours for begin, end in day), timedelta(0))


@lru_cache(maxsize=None)
def clock_change_days(zone_name: str) -> tuple[date, ...]:
    zone, day, days = ZoneInfo(zone_name), date(2024, 1, 1), []
    while day < date(2027, 1, 1):
        today = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        if today != datetime.combine(day - DAY, time(12), tzinfo=zone).utcoffset():
            days.append(day)
        day += DAY
    return tuple(days)


def wall_clock(step: int) -> str:
    minutes = step * 5
    return "24:00" if minutes == 24 * 60 else f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_from_marks(marks: frozenset[int], touching: bool) -> list[tuple[str, str]]:
    ordered = sorted(marks)
    pairs = list(zip(ordered, ordered[1:])) if touching else list(zip(ordered[::2], ordered[1::2]))
    return [(wall_clock(begin), wall_clock(end)) for begin, end in pairs]


# Strategies are built once: building them inside every draw costs more than the arithmetic.
# Every other five-minute mark falls in the small hours, where the clocks change.
RANDOM_DAY = st.builds(
    day_from_marks, st.frozensets(st.one_of(st.integers(0, 288), st.integers(0, 60)), max_size=6), st.booleans()
)
RANDOM_WEEK = st.lists(RANDOM_DAY, min_size=7, max_size=7).filter(any)
HOLIDAYS = st.frozensets(st.dates(date(2024, 1, 1), date(2026, 12, 31)), max_size=25)
PRESETS = [OFFICE, SPLIT_OFFICE, NIGHTS, EVERY_DAY_OFFICE, CLOCK_CHANGE_HOURS]
HOURS = st.one_of(st.sampled_from(PRESETS), RANDOM_WEEK)
HOURS_WITH_ALWAYS = st.one_of(st.sampled_from([*PRESETS, ALWAYS]), RANDOM_WEEK)


@st.composite
def calendars(draw: st.DrawFn, *, always_open: bool = True) -> BusinessCalendar:
    hours = draw(HOURS_WITH_ALWAYS if always_open else HOURS)
    return BusinessCalendar(time_zone=draw(st.sampled_from(ZONES)), weekly_hours=hours, holidays=draw(HOLIDAYS))


@st.composite
def moments(draw: st.DrawFn, zone_name: str) -> datetime:
    """Any moment in 2024-2026, often on the night of a clock change and on five-minute marks.

    The moment is returned in UTC: Python compares and adds aware datetimes that share a local
    zone by their wall clocks, which would make the tests' own arithmetic wrong at night.
    """
    changes = clock_change_days(zone_name)
    if changes and draw(st.booleans()):
        day = draw(st.sampled_from(changes)) + draw(st.integers(-1, 0)) * DAY
    else:
        day = draw(st.dates(date(2024, 1, 1), date(2026, 12, 31)))
    minute = draw(st.integers(0, 24 * 12 - 1)) * 5 + draw(st.sampled_from([0, 0, 0, 1, 2]))
    micro = draw(st.sampled_from([0, 0, 1, 999_999, 59_999_999]))
    wall = datetime.combine(day, time()) + timedelta(minutes=minute, microseconds=micro)
    return wall.replace(tzinfo=ZoneInfo(zone_name), fold=draw(st.integers(0, 1))).astimezone(UTC)


def durations(calendar: BusinessCalendar, weeks: int) -> st.SearchStrategy[timedelta]:
    """Up to `weeks` weeks of the calendar's open time, in microseconds or five-minute steps."""
    week = nominal_week(calendar) // MICROSECOND
    return st.one_of(
        st.integers(1, week * weeks).map(lambda us: us * MICROSECOND),
        st.integers(1, week * weeks // (5 * 60 * 10**6) + 1).map(lambda n: n * FIVE_MINUTES),
    )


FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=st.data())
def test_matches_the_slow_reference(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start = data.draw(moments(calendar.time_zone))
    duration = data.draw(durations(calendar, weeks=3))
    span = data.draw(st.integers(0, 20 * 24 * 12)) * FIVE_MINUTES
    assert add_business_time(calendar, start, duration) == reference_add(calendar, start, duration)
    assert business_time_between(calendar, start, start + span) == reference_between(calendar, start, start + span)


@FAST
@given(data=st.data())
def test_measuring_what_was_added_gives_the_duration_back(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start = data.draw(moments(calendar.time_zone))
    duration = data.draw(durations(calendar, weeks=80))
    assert business_time_between(calendar, start, add_business_time(calendar, start, duration)) == duration


@FAST
@given(data=st.data())
def test_adding_in_two_steps_equals_adding_at_once(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start = data.draw(moments(calendar.time_zone))
    first, second = data.draw(durations(calendar, weeks=30)), data.draw(durations(calendar, weeks=30))
    in_steps = add_business_time(calendar, add_business_time(calendar, start, first), second)
    assert in_steps == add_business_time(calendar, start, first + second)


@FAST
@given(data=st.data())
def test_later_starts_and_longer_durations_are_never_due_earlier(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start, other = data.draw(moments(calendar.time_zone)), data.draw(moments(calendar.time_zone))
    short, long_ = sorted([data.draw(durations(calendar, weeks=10)), data.draw(durations(calendar, weeks=10))])
    early, late = sorted([start, other])
    assert add_business_time(calendar, start, short) <= add_business_time(calendar, start, long_)
    assert add_business_time(calendar, early, short) <= add_business_time(calendar, late, short)
    assert business_time_between(calendar, early, late) <= late - early


@FAST
@given(data=st.data())
def test_result_lies_in_an_open_interval_or_at_its_end(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start = data.draw(moments(calendar.time_zone))
    duration = data.draw(durations(calendar, weeks=10))
    due = add_business_time(calendar, start, duration)
    assert is_open(calendar, due - MICROSECOND)
    assert business_time_between(calendar, start, due - MICROSECOND) < duration  # the earliest such moment
    # Counting starts at the next opening when the start is closed.
    opening = next_opening(calendar, start)
    assert is_open(calendar, opening)
    assert business_time_between(calendar, start, opening) == timedelta(0)
    assert add_business_time(calendar, opening, duration) == due


@FAST
@given(data=st.data())
def test_open_time_adds_up_over_consecutive_stretches(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    a, b, c = sorted(data.draw(moments(calendar.time_zone)) for _ in range(3))
    assert business_time_between(calendar, a, c) == business_time_between(calendar, a, b) + business_time_between(calendar, b, c)
    assert business_time_between(calendar, c, a) == timedelta(0)
    assert is_open(calendar, b) == (business_time_between(calendar, b, b + MICROSECOND) == MICROSECOND)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_always_open_calendar_equals_plain_addition(data: st.DataObject) -> None:
    calendar = BusinessCalendar.always_open(data.draw(st.sampled_from(ZONES)))
    start = data.draw(moments(calendar.time_zone))
    duration = data.draw(st.integers(0, 3000 * 3600 * 10**6)) * MICROSECOND
    assert add_business_time(calendar, start, duration) == start + duration
    assert business_time_between(calendar, start, start + duration) == duration


@st.composite
def pauses(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime | None]]:
    found: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 3))):
        since = start + draw(st.integers(-3 * 24 * 12, 20 * 24 * 12)) * FIVE_MINUTES
        length = draw(st.one_of(st.none(), st.integers(0, 5 * 24 * 12)))
        found.append((since, None if length is None else since + length * FIVE_MINUTES))
    return found


@FAST
@given(data=st.data())
def test_pauses_never_bring_the_due_time_forward(data: st.DataObject) -> None:
    calendar = data.draw(calendars())
    start = data.draw(moments(calendar.time_zone))
    budget = data.draw(durations(calendar, weeks=3))
    paused = data.draw(pauses(start))
    unpaused_due, paused_due = due_at(calendar, start, budget), due_at(calendar, start, budget, paused)
    assert unpaused_due == add_business_time(calendar, start, budget)
    if paused_due is None:
        assert any(until is None for _since, until in paused)
        return
    assert paused_due >= unpaused_due
    # The budget is used up exactly at the due time, and not a microsecond before.
    assert elapsed(calendar, start, paused_due, paused) == budget
    assert elapsed(calendar, start, paused_due - MICROSECOND, paused) < budget


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_pause_while_closed_changes_nothing(data: st.DataObject) -> None:
    calendar = data.draw(calendars(always_open=False))
    start = data.draw(moments(calendar.time_zone))
    budget = data.draw(durations(calendar, weeks=3))
    closed_since = data.draw(moments(calendar.time_zone))
    reopens = next_opening(calendar, closed_since)
    assume(reopens > closed_since)
    closed_until = closed_since + (reopens - closed_since) * data.draw(st.sampled_from([0.25, 0.5, 1]))
    pause = [(closed_since, closed_until)]
    assert due_at(calendar, start, budget, pause) == due_at(calendar, start, budget)
    assert elapsed(calendar, start, closed_until + budget, pause) == elapsed(calendar, start, closed_until + budget)
