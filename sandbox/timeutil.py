"""Calendar helpers shared by the world and the platform simulators.

The sandbox reasons in UTC days (platforms report per UTC or per Pacific-ish day;
Facebook's `end_time` is 08:00 UTC). Post times are drawn on the Paris wall clock,
so we need Europe/Paris offsets; the EU summer-time rule (last Sunday of March to
last Sunday of October, switching at 01:00 UTC) is implemented here directly to
keep the sandbox free of tz database dependencies and byte-identical everywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

EPOCH = date(2023, 1, 1)
"""First day of simulated history: nothing exists before it, whatever `today` is."""

DAY = timedelta(days=1)


def _last_sunday(year: int, month: int) -> date:
    """Last Sunday of a month with 31 days (March, October)."""
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def paris_utc_offset_hours(local_day: date) -> int:
    """UTC offset of Paris on `local_day` for wall-clock times after 03:00."""
    summer = _last_sunday(local_day.year, 3) <= local_day < _last_sunday(local_day.year, 10)
    return 2 if summer else 1


def paris_to_utc(local_day: date, seconds_of_day: int) -> datetime:
    """Convert a Paris wall-clock time (given as seconds after local midnight) to UTC."""
    local = datetime.combine(local_day, time(0), tzinfo=UTC) + timedelta(seconds=seconds_of_day)
    return local - timedelta(hours=paris_utc_offset_hours(local_day))


def day_start(day: date) -> datetime:
    """00:00 UTC at the start of `day`."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_index(day: date) -> int:
    """Days since EPOCH (0 on EPOCH itself)."""
    return (day - EPOCH).days


def two_years_before(day: date) -> date:
    """Same calendar day two years earlier (29 Feb maps to 28 Feb)."""
    try:
        return day.replace(year=day.year - 2)
    except ValueError:
        return day.replace(year=day.year - 2, day=28)


def parse_date(value: str | date) -> date:
    """Accept a date or an ISO `YYYY-MM-DD` string."""
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


_UNIX = re.compile(r"^-?\d+$")


def parse_timestamp(value: str) -> datetime:
    """Parse a Graph-style time parameter: unix seconds, `YYYY-MM-DD` or ISO 8601.

    Dates without a time mean 00:00 UTC; naive datetimes are taken as UTC.
    Raises ValueError on anything else.
    """
    text = value.strip()
    if _UNIX.match(text):
        return datetime.fromtimestamp(int(text), tz=UTC)
    if len(text) == 10:
        return day_start(date.fromisoformat(text))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso_utc(moment: datetime) -> str:
    """`2026-11-25T09:30:00Z`: the sandbox's own (truth) timestamp format."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
