"""Scheduled incidents, comment timing and answer delays of the simulated world.

The world's comments must look like people's (few at night, peaks at lunch and in the
evening), the community managers must answer in their working hours, and the
incidents must make one topic surge at exactly the scheduled hours, with a ground truth
that says so, while every post still settles within its 70-hour comment window.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from sandbox import incidents, region
from sandbox.timeutil import DAY, paris_to_utc
from sandbox.truth import truth
from sandbox.world import (
    COMMENT_HOUR_WEIGHTS,
    COMMENT_WINDOW,
    WORKING_HOURS,
    Comment,
    World,
    paris_offset_at,
    working_time_after,
)
from socialpulse.topics import load_taxonomy

REPO = Path(__file__).resolve().parents[2]
STRIKE_ID = "greve_ter-2026-11-17"
MONTH = (date(2026, 10, 12), date(2026, 11, 8))  # four incident-free weeks


@pytest.fixture(scope="module")
def world(seed: int) -> World:
    return World(seed)


@pytest.fixture(scope="module")
def strike() -> incidents.Incident:
    found = incidents.find(STRIKE_ID)
    assert found is not None
    return found


def _local(moment: datetime) -> datetime:
    return (moment + paris_offset_at(moment)).replace(tzinfo=None)


def _comments(world: World, first: date, last: date) -> list[Comment]:
    """Every comment and answer of the posts published first..last, all accounts."""
    return [c for a in region.ACCOUNTS for p in world.posts_between(a, first, last) for c in world.comments(p)]


def _public_per_hour(world: World, first: date, last: date, topic: str) -> Counter:
    """The public's comments on `topic` per UTC hour (sandbox topic label), first..last."""
    counts: Counter = Counter()
    for comment in _comments(world, first - 3 * DAY, last):
        if not comment.is_from_page and comment.topic == topic and first <= comment.created_at.date() <= last:
            counts[comment.created_at.replace(minute=0, second=0)] += 1
    return counts


# -- the schedule ------------------------------------------------------------------


def test_schedule_follows_its_calendar_rules() -> None:
    found = incidents.incidents_between(date(2026, 1, 1), date(2026, 12, 31))
    strikes = [i.day for i in found if i.kind.kind == "greve_ter"]
    outages = [i.day for i in found if i.kind.kind == "panne_pass_jeunes"]
    assert strikes == [date(2026, m, d) for m, d in ((1, 20), (3, 17), (5, 19), (7, 21), (9, 15), (11, 17))]
    assert outages == [date(2026, m, d) for m, d in ((2, 4), (4, 1), (6, 3), (8, 5), (10, 7), (12, 2))]
    assert all(d.weekday() == 1 and 15 <= d.day <= 21 for d in strikes)  # third Tuesday
    assert all(d.weekday() == 2 and d.day <= 7 for d in outages)  # first Wednesday
    for incident in found:
        assert incident.incident_id == f"{incident.kind.kind}-{incident.day}"
        assert incidents.find(incident.incident_id) == incident
        assert _local(incident.start).hour == incident.kind.local_start_hour
        assert incident.start.minute == 0
        assert incident.end - incident.start == timedelta(hours=len(incident.kind.profile))
        assert set(incident.kind.shares) <= {a.key for a in region.ACCOUNTS}
        assert incident.kind.topic in region.TOPICS
    assert incidents.find("greve_ter-2026-11-18") is None and incidents.find("nonsense") is None


def test_every_two_months_hold_an_incident() -> None:
    """Whatever `today` is, a 90-day demo window holds an incident with four weeks of baseline."""
    day = date(2023, 3, 1)
    while day < date(2028, 1, 1):
        assert incidents.incidents_between(day, day + timedelta(days=63)), day
        day += timedelta(days=7)


def test_the_demo_strike_and_the_quiet_week(strike: incidents.Incident) -> None:
    assert strike.start == paris_to_utc(date(2026, 11, 17), 6 * 3600) == datetime.fromisoformat("2026-11-17T05:00Z")
    assert strike.end == datetime.fromisoformat("2026-11-17T19:00Z")
    first, last = incidents.KNOWN_QUIET_WEEK
    assert first.weekday() == 0 and last - first == timedelta(days=6)
    # nothing in the week, nor in the four weeks its baseline reads
    assert not incidents.incidents_between(first - timedelta(days=28), last)
    assert first < strike.day and strike.day - last <= timedelta(days=7)


# -- the surge -----------------------------------------------------------------------


def test_the_strike_makes_transport_comments_surge_from_its_first_hour(
    world: World, strike: incidents.Incident
) -> None:
    during = _public_per_hour(world, strike.day, strike.day, "transports")
    week_before = _public_per_hour(world, strike.day - 7 * DAY, strike.day - 7 * DAY, "transports")
    hours = [hour for hour, _ in strike.hours]
    first = hours[0]
    assert during[first] >= 40, during[first]
    assert during[first] >= 5 * max(1, week_before[first - 7 * DAY])
    assert sum(during[h] for h in hours) >= 5 * sum(week_before[h - 7 * DAY] for h in hours)
    # it stops when the strike ends: the hour before and two hours after are ordinary
    assert during[first - timedelta(hours=1)] < 20
    assert during[strike.end + timedelta(hours=1)] < 20


def test_surge_comments_are_questions_and_complaints_on_the_topic(world: World, strike: incidents.Incident) -> None:
    taxonomy = load_taxonomy(REPO / "dbt_project" / "seeds" / "topic_taxonomy.csv")
    surge = [c for c in _comments(world, strike.day - 3 * DAY, strike.day) if c.incident_id == strike.incident_id]
    public = [c for c in surge if not c.is_from_page]
    assert len(public) > 500
    assert 0.45 < sum(c.is_question for c in public) / len(public) < 0.7
    assert all(c.topic == "transports" for c in surge)
    assert all(c.message.endswith("?") for c in public if c.is_question)
    # the warehouse classifies them as transports, and a third carry the strike's hashtag
    classified = [taxonomy.classify(c.message) for c in public]
    assert sum("transports" in topics for topics in classified) / len(public) > 0.97
    tagged = sum("#grèveter" in c.message.casefold() or "#greveter" in c.message.casefold() for c in public)
    assert 0.15 < tagged / len(public) < 0.45
    # every surge comment is within the strike's hours, on a post already published
    for comment in surge:
        assert comment.post.created_at + incidents.SURGE_MIN_POST_AGE <= comment.created_at
        assert comment.created_at <= comment.post.created_at + COMMENT_WINDOW
        assert comment.is_from_page or strike.start <= comment.created_at < strike.end
        assert comment.parent_serial is None or comment.is_from_page
    assert len({c.post.account.key for c in public}) >= 6


def test_surge_respects_post_invariants(world: World, strike: incidents.Incident) -> None:
    posts = {c.post for c in _comments(world, strike.day - 3 * DAY, strike.day) if c.incident_id}
    assert posts
    for post in posts:
        comments = world.comments(post)
        serials = [c.serial for c in comments]
        assert len(set(serials)) == len(serials)
        assert len({serial // 1000 for serial in serials}) == 1  # fewer than 1,000 per post
        assert [c.created_at for c in comments] == sorted(c.created_at for c in comments)
        by_serial = {c.serial: c for c in comments}
        for comment in comments:
            if comment.parent_serial is not None:
                parent = by_serial[comment.parent_serial]
                assert parent.parent_serial is None and parent.created_at < comment.created_at
                if comment.is_from_page:
                    assert parent.is_question
        # settled after three days: the count as of day 3 is every comment
        assert world.post_metrics(post, post.day + 3 * DAY).comments == len(comments)


def test_truth_reports_the_incident_as_the_world_wrote_it(world: World, strike: incidents.Incident, seed: int) -> None:
    t = truth(seed=seed, today=strike.day + DAY, start=strike.day, end=strike.day, world=world)
    (found,) = t["incidents"]
    assert found["incident_id"] == STRIKE_ID and found["topic"] == "transports"
    assert (found["start"], found["end"], found["start_local"]) == (
        "2026-11-17T05:00:00Z",
        "2026-11-17T19:00:00Z",
        "2026-11-17T06:00:00",
    )
    assert set(found["platforms"]) == {"facebook", "instagram", "linkedin", "x", "bluesky", "mastodon"}
    surge = [c for c in _comments(world, strike.day - 3 * DAY, strike.day) if c.incident_id == STRIKE_ID]
    assert found["surge_comments"] == sum(not c.is_from_page for c in surge)
    assert found["surge_answers"] == sum(c.is_from_page for c in surge)
    assert sum(h["comments"] for h in found["surge_by_hour"]) == found["surge_comments"]
    assert sum(found["surge_by_account"].values()) == found["surge_comments"]
    assert [h["hour"][11:13] for h in found["surge_by_hour"]] == [f"{h:02d}" for h in range(5, 19)]
    # what the schedule expects, give or take the Poisson noise and posts not yet live
    assert 0.8 * found["expected_comments"] <= found["surge_comments"] <= 1.2 * found["expected_comments"]

    # one platform: only its accounts; no incident that day: empty
    x_only = truth(seed=seed, today=strike.day + DAY, start=strike.day, end=strike.day, platform="x", world=world)
    assert x_only["incidents"][0]["platforms"] == ["x"]
    assert x_only["incidents"][0]["surge_comments"] == sum(
        v for k, v in found["surge_by_account"].items() if k.startswith("x_")
    )
    quiet = truth(seed=seed, today=strike.day, start=strike.day - 7 * DAY, end=strike.day - DAY, world=world)
    assert quiet["incidents"] == []


def test_incidents_are_deterministic_and_seeded(seed: int, strike: incidents.Incident) -> None:
    a, b, other = World(seed), World(seed), World(seed + 1)
    account = next(acc for acc in region.ACCOUNTS if acc.key == "region_transports")
    assert a.surge(strike, account) == b.surge(strike, account)
    assert a.surge(strike, account) != other.surge(strike, account)
    assert incidents.incidents_between(date(2026, 11, 1), date(2026, 11, 30)) == (strike,)


# -- timing --------------------------------------------------------------------------


def test_comments_follow_a_diurnal_curve(world: World) -> None:
    public = [c for c in _comments(world, *MONTH) if not c.is_from_page and not c.incident_id]
    assert len(public) > 5000
    by_hour = Counter(_local(c.created_at).hour for c in public)
    share = {h: by_hour[h] / len(public) for h in range(24)}
    night = sum(share[h] for h in range(1, 6))
    assert night < 0.03, night
    lunch, evening = share[12] + share[13], share[19] + share[20]
    assert lunch > 10 * (share[3] + share[4]) and evening > 10 * (share[3] + share[4])
    assert max(share, key=share.get) in (12, 13, 18, 19, 20, 21)
    # decaying after publication: half of the comments come within a few hours
    delays = [(c.created_at - c.post.created_at).total_seconds() / 3600 for c in public]
    assert statistics.median(delays) < 8
    assert max(delays) <= COMMENT_WINDOW.total_seconds() / 3600
    assert len(COMMENT_HOUR_WEIGHTS) == 24 and max(COMMENT_HOUR_WEIGHTS) == 1.0


def _in_working_hours(moment: datetime) -> bool:
    local = _local(moment)
    opens, closes = WORKING_HOURS[local.weekday()]
    second = local.hour * 3600 + local.minute * 60 + local.second
    return opens <= second <= closes


def test_accounts_answer_in_working_hours_minutes_to_a_day_later(world: World) -> None:
    comments = _comments(world, *MONTH)
    by_key = {(c.post.serial, c.serial): c for c in comments}
    delays, office_delays = [], []
    for answer in comments:
        if not answer.is_from_page:
            continue
        question = by_key[(answer.post.serial, answer.parent_serial)]
        assert question.is_question and _in_working_hours(answer.created_at), answer.created_at
        hours = (answer.created_at - question.created_at).total_seconds() / 3600
        delays.append(hours)
        if _in_working_hours(question.created_at):
            office_delays.append(hours)
    assert len(delays) > 500
    assert min(delays) < 0.25 and max(delays) <= 70
    assert 0.5 < statistics.median(delays) < 16, statistics.median(delays)
    assert 0.2 < sum(d > 12 for d in delays) / len(delays) < 0.7  # questions of the evening and night wait
    # asked during office hours: usually answered within the hour or two
    assert statistics.median(office_delays) < 2
    assert sum(d <= 4 for d in office_delays) / len(office_delays) > 0.75


def test_working_time_skips_nights_and_weekends() -> None:
    friday_evening = paris_to_utc(date(2026, 11, 13), 18 * 3600)  # Friday 18:00 Paris
    # 30 minutes left on Friday, then the Saturday duty from 10:00
    assert working_time_after(friday_evening, 3600) == paris_to_utc(date(2026, 11, 14), 10 * 3600 + 1800)
    monday_night = paris_to_utc(date(2026, 11, 16), 23 * 3600)
    assert working_time_after(monday_night, 600) == paris_to_utc(date(2026, 11, 17), 8 * 3600 + 1800 + 600)
    midday = paris_to_utc(date(2026, 11, 17), 12 * 3600)
    assert working_time_after(midday, 900) == midday + timedelta(minutes=15)
