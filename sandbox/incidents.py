"""Scheduled incidents of the simulated region: days when the public floods the accounts.

"La veille" must notice when one topic suddenly takes over the comments. The world
therefore holds a few kinds of incident, each on a fixed calendar rule, so that every
window of two months or more contains at least one, whatever `today` is, and the tests
know exactly when they start:

* `greve_ter` (regional train strike, topic `transports`): the third Tuesday of every
  odd month (January, March, May, July, September, November), from 06:00 Paris (the
  first trains) for 14 hours. Commuters ask whether their train runs, whether
  replacement coaches exist, whether their season ticket is refunded; the surge is
  strongest at the morning rush, again at the evening one.
* `panne_pass_jeunes` (the Pass Jeunes website is down, topic `jeunesse`): the first
  Wednesday of every even month, from 14:00 Paris (Wednesday afternoon: no school)
  for 5 hours, on the youth accounts mostly.

What an incident does (`sandbox.world.World.surge`): during each of its hours, each
affected account receives a Poisson number of extra comments (mean = `peak_per_hour`
x the account's share x the hour's `profile` factor), mostly questions and complaints
on the incident's topic, written in `sandbox.texts.INCIDENT_TEXTS`, a third of them
tagged with the incident's hashtag. Each lands on one of the account's posts that are
live at that moment (published at least 2 minutes before and less than
`SURGE_MAX_POST_AGE` earlier, the newest most likely), so it stays within the post's
70-hour comment window: post metrics still settle in three days. The community
managers answer fewer of them (`reply_factor`), at their usual working hours. An
account with no live post at some moment simply gets no surge comment then.

The schedule depends on nothing but the calendar (not on the seed, not on `today`):
moving the clock never moves an incident. `KNOWN_QUIET_WEEK` is a week without any
incident, in which the trend detector of the warehouse (`rpt_topic_trends`) flags
nothing; the tests check both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType

from sandbox.timeutil import EPOCH, paris_to_utc

SURGE_MIN_POST_AGE = timedelta(minutes=2)
"""An incident's comment goes to a post published at least this long before it."""

SURGE_MAX_POST_AGE = timedelta(hours=62)
"""Surge comments go to posts younger than this (their replies must fit the 70-hour window)."""

MAX_SURGE_PER_POST = 300
"""Surge comments and replies one post can take (a post holds fewer than 1,000 comment serials)."""

KNOWN_QUIET_WEEK: tuple[date, date] = (date(2026, 11, 9), date(2026, 11, 15))
"""Monday..Sunday without incident (the week before the 17 November 2026 strike)."""


@dataclass(frozen=True)
class IncidentKind:
    """What happens, to whom, and how hard, for one kind of incident."""

    kind: str
    title: str
    topic: str
    """The taxonomy topic the surge is about (sandbox.region.TOPICS)."""
    hashtag: str
    """The hashtag the public uses (a third of the surge comments carry it)."""
    weekday: int
    """Monday = 0."""
    nth: int
    """Which `weekday` of the month: 1 = first, 3 = third."""
    months: tuple[int, ...]
    local_start_hour: int
    """Paris wall-clock hour at which it starts."""
    profile: tuple[float, ...]
    """Intensity of each hour from the start (its length is the duration in hours)."""
    peak_per_hour: float
    """Expected surge comments per hour at intensity 1.0, over every affected account."""
    shares: Mapping[str, float] = field(repr=False, compare=False)
    """Account key -> share of the surge (keys are unique across platforms)."""
    mix: Mapping[str, float] = field(repr=False, compare=False)
    """question / complaint / reaction / abusive weights of the surge comments."""
    reply_factor: float
    """Share of the usual answer rate the community managers keep up during the surge."""


GREVE_TER = IncidentKind(
    kind="greve_ter",
    title="Grève TER régionale",
    topic="transports",
    hashtag="#GrèveTER",
    weekday=1,
    nth=3,
    months=(1, 3, 5, 7, 9, 11),
    local_start_hour=6,
    #        6h   7h   8h   9h  10h  11h  12h  13h  14h  15h  16h  17h  18h  19h
    profile=(0.7, 1.0, 1.0, 0.8, 0.6, 0.5, 0.55, 0.5, 0.45, 0.45, 0.55, 0.75, 0.7, 0.45),
    peak_per_hour=110.0,
    shares=MappingProxyType(
        {
            "region_transports": 0.30,
            "region_main": 0.14,
            "x_region_transports": 0.16,
            "x_region_main": 0.06,
            "masto_region_transports": 0.08,
            "masto_region_main": 0.04,
            "li_region_transports": 0.06,
            "bsky_region_main": 0.06,
            "ig_region_main": 0.04,
            "li_region_main": 0.02,
        }
    ),
    mix=MappingProxyType({"question": 0.58, "complaint": 0.30, "reaction": 0.08, "abusive": 0.04}),
    reply_factor=0.5,
)

PANNE_PASS_JEUNES = IncidentKind(
    kind="panne_pass_jeunes",
    title="Panne du site Pass Jeunes",
    topic="jeunesse",
    hashtag="#PassJeunes",
    weekday=2,
    nth=1,
    months=(2, 4, 6, 8, 10, 12),
    local_start_hour=14,
    profile=(0.8, 1.0, 0.8, 0.6, 0.4),
    peak_per_hour=45.0,
    shares=MappingProxyType(
        {
            "region_jeunesse": 0.40,
            "ig_region_jeunesse": 0.30,
            "region_main": 0.15,
            "ig_region_main": 0.10,
            "x_region_main": 0.05,
        }
    ),
    mix=MappingProxyType({"question": 0.62, "complaint": 0.30, "reaction": 0.08}),
    reply_factor=0.7,
)

KINDS: tuple[IncidentKind, ...] = (GREVE_TER, PANNE_PASS_JEUNES)


@dataclass(frozen=True)
class Incident:
    """One scheduled incident: a kind on a day, with its UTC start and end."""

    incident_id: str
    kind: IncidentKind
    day: date
    """Paris (and UTC) date it happens on."""
    start: datetime
    """UTC, on the hour."""
    end: datetime
    """UTC, exclusive: start + len(profile) hours."""

    @property
    def hours(self) -> Iterator[tuple[datetime, float]]:
        """(UTC start of the hour, intensity) for each hour of the incident."""
        for offset, factor in enumerate(self.kind.profile):
            yield self.start + timedelta(hours=offset), factor

    def affects(self, account_key: str) -> bool:
        return self.kind.shares.get(account_key, 0.0) > 0.0


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    """The `nth` (1-based) `weekday` (Monday = 0) of a month."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))


def _make(kind: IncidentKind, day: date) -> Incident:
    start = paris_to_utc(day, kind.local_start_hour * 3600)
    return Incident(
        incident_id=f"{kind.kind}-{day.isoformat()}",
        kind=kind,
        day=day,
        start=start,
        end=start + timedelta(hours=len(kind.profile)),
    )


@lru_cache(maxsize=512)
def _month(year: int, month: int) -> tuple[Incident, ...]:
    found = [_make(kind, nth_weekday(year, month, kind.weekday, kind.nth)) for kind in KINDS if month in kind.months]
    return tuple(sorted((i for i in found if i.day >= EPOCH), key=lambda i: (i.start, i.incident_id)))


def incidents_between(first: date, last: date) -> tuple[Incident, ...]:
    """Incidents happening on days first..last (inclusive), in start order."""
    found: list[Incident] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.extend(i for i in _month(year, month) if first <= i.day <= last)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(found)


def incidents_overlapping(start: datetime, end: datetime) -> tuple[Incident, ...]:
    """Incidents whose hours intersect the UTC interval [start, end)."""
    candidates = incidents_between(start.date() - timedelta(days=1), end.date())
    return tuple(i for i in candidates if i.start < end and start < i.end)


def find(incident_id: str) -> Incident | None:
    """The incident with this id (`<kind>-<YYYY-MM-DD>`), or None."""
    try:
        day = date.fromisoformat(incident_id[-10:])
    except ValueError:
        return None
    return next((i for i in incidents_between(day, day) if i.incident_id == incident_id), None)
