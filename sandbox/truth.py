"""Ground truth: what the sandbox's world holds for a date window, as plain JSON.

Tests compare the warehouse with this, row for row. It reads the same
`sandbox.world.World` methods the platform simulators serve from, so a mismatch
is a warehouse (or connector) bug, never sandbox drift.

Conventions: dates are UTC days; `post_metrics[].as_of = D` holds lifetime
values as of the end of D, which is what an API call made on D + 1 returns
(`today = D + 1`). Only days before `today` are reported (the simulated present
is 00:00 UTC of `today`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from sandbox import incidents, region
from sandbox.faults import FaultRule, late_corrections
from sandbox.platforms import PLATFORMS, Platform
from sandbox.platforms import instagram as ig
from sandbox.timeutil import DAY, EPOCH, day_start, iso_utc, paris_utc_offset_hours, parse_date
from sandbox.world import COMMENT_WINDOW, Post, World

DEFAULT_METRICS_LOOKBACK_DAYS = 3
"""Posts created up to this many days before `start` still change during the window."""


def _ids(post: Post) -> type[Platform]:
    """The platform class that formats this post's ids, exactly as its API does."""
    return PLATFORMS[post.account.platform]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def truth(
    seed: int,
    today: date | str,
    start: date | str,
    end: date | str,
    platform: str | None = None,
    metrics_lookback_days: int = DEFAULT_METRICS_LOOKBACK_DAYS,
    world: World | None = None,
    faults: Iterable[FaultRule | str] = (),
) -> dict[str, Any]:
    """Everything the world holds for UTC days start..end (inclusive) as seen on `today`.

    * `account_daily`: one row per account and day (days before `today` only);
    * `posts`: posts created on those days;
    * `post_metrics`: for posts created from `start - metrics_lookback_days` to
      `end`, one row per as_of day in [max(start, post day), end]. Older posts
      are settled (their values no longer change) and are left out to keep the
      output small; raise `metrics_lookback_days` to include them;
    * `comments`: comments of the listed posts created before the end of `end`;
    * `incidents`: the scheduled incidents (`sandbox.incidents`) happening on those
      days: id, kind, title, topic, hashtag, UTC `start` and `end` (and `start_local`,
      Europe/Paris), the affected accounts (of `platform` only, when given) with their
      share, the `expected_comments` of the schedule (sum of the hourly Poisson means)
      and what the world actually wrote: `surge_comments` (the public's, top level),
      `surge_answers` (the accounts' answers), and `surge_by_hour` / `surge_by_account`
      (comments per UTC hour of the incident / per account);
    * `audience`: for each account of a platform that serves age x gender
      demographics (Instagram only: Facebook removed them in 2024, LinkedIn has no
      age or gender, X, Bluesky and Mastodon none) and each day, every (audience,
      age bucket, gender) as of the end of the day: `audience` followers
      (`follower_demographics`) or reach (`reached_audience_demographics`, accounts
      reached since the 1st of the month: timeframe this_month), the world's gender
      (F, M, U), the true `value` and `is_withheld` (the API withholds the bucket:
      under its privacy threshold). What an API call on day + 1 serves.

    `faults`: the rules (or CLI specs) a sandbox serves under; only `late_correction`
    changes the truth (the corrected post metrics).
    """
    today, start, end = parse_date(today), parse_date(start), parse_date(end)
    world = world or World(seed, corrections=late_corrections(faults))
    last = min(end, today - DAY)
    first = max(start, EPOCH)
    days = _days(first, last) if first <= last else []
    accounts = region.accounts(platform)
    result: dict[str, Any] = {
        "seed": seed,
        "today": today.isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "accounts": [
            {
                "platform": a.platform,
                "key": a.key,
                "account_id": a.account_id,
                "name": a.name,
                "base_followers": a.base_followers,
            }
            for a in accounts
        ],
        "account_daily": [],
        "posts": [],
        "post_metrics": [],
        "comments": [],
        "audience": [],
        "incidents": [],
    }
    if not days:
        return result
    result["incidents"] = [_incident(world, i, accounts) for i in incidents.incidents_between(first, last)]
    cutoff = day_start(last + DAY)
    for account in accounts:
        if account.platform == ig.InstagramPlatform.name:
            for day in days:
                result["audience"].extend(ig.audience_rows(world, account, day))
        for day in days:
            row = world.account_day(account, day)
            result["account_daily"].append(
                {
                    "platform": account.platform,
                    "account_id": account.account_id,
                    "date": day.isoformat(),
                    "followers": row.followers,
                    "follows": row.follows,
                    "unfollows": row.unfollows,
                    "views": row.views,
                    "views_paid": row.views_paid,
                    "viewers": row.viewers,
                    "post_engagements": row.post_engagements,
                    "page_views": row.page_views,
                    "video_views": row.video_views,
                    "posts_published": row.posts_published,
                }
            )
        for post in world.posts_between(account, first - timedelta(days=metrics_lookback_days), last):
            ids = _ids(post)
            pid = ids.post_id(post)
            if post.day >= first:
                result["posts"].append(
                    {
                        "platform": account.platform,
                        "account_id": account.account_id,
                        "post_id": pid,
                        "created_at": iso_utc(post.created_at),
                        "topic": post.topic,
                        "format": post.format,
                        "is_sponsored": post.is_sponsored,
                        "message": post.message,
                        "permalink_url": ids.post_permalink(post),
                    }
                )
                for comment in world.comments_before(post, cutoff):
                    result["comments"].append(
                        {
                            "comment_id": ids.comment_id(post, comment.serial),
                            "post_id": pid,
                            "parent_id": (
                                ids.comment_id(post, comment.parent_serial)
                                if comment.parent_serial is not None
                                else None
                            ),
                            "created_at": iso_utc(comment.created_at),
                            "message": comment.message,
                            "author_id": comment.author_id,
                            "is_from_page": comment.is_from_page,
                            "is_question": comment.is_question,
                            "topic": comment.topic,
                        }
                    )
            for as_of in _days(max(first, post.day), last):
                metrics = world.post_metrics(post, as_of)
                result["post_metrics"].append(
                    {
                        "post_id": pid,
                        "as_of": as_of.isoformat(),
                        "views": metrics.views,
                        "views_paid": metrics.views_paid,
                        "viewers": metrics.viewers,
                        "reactions": dict(metrics.reactions),
                        "reactions_total": metrics.reactions_total,
                        "comments": metrics.comments,
                        "shares": metrics.shares,
                        "clicks": metrics.clicks,
                        "video_views": metrics.video_views,
                        "engagements": metrics.engagements,
                    }
                )
    return result


def _incident(world: World, incident: incidents.Incident, accounts: tuple[region.Account, ...]) -> dict[str, Any]:
    """An incident as JSON, with the surge the world wrote on `accounts` (affected ones only)."""
    kind = incident.kind
    affected = [a for a in accounts if incident.affects(a.key)]
    by_hour = {hour: 0 for hour, _ in incident.hours}
    by_account: dict[str, int] = {}
    answers = 0
    for account in affected:
        by_account[account.key] = 0
        for post in world.posts_between(account, (incident.start - COMMENT_WINDOW).date(), incident.end.date()):
            for comment in world.comments(post):
                if comment.incident_id != incident.incident_id:
                    continue
                if comment.is_from_page:
                    answers += 1
                    continue
                by_hour[comment.created_at.replace(minute=0, second=0, microsecond=0)] += 1
                by_account[account.key] += 1
    local_start = incident.start + timedelta(hours=paris_utc_offset_hours(incident.day))
    return {
        "incident_id": incident.incident_id,
        "kind": kind.kind,
        "title": kind.title,
        "topic": kind.topic,
        "hashtag": kind.hashtag,
        "start": iso_utc(incident.start),
        "end": iso_utc(incident.end),
        "start_local": local_start.strftime("%Y-%m-%dT%H:%M:%S"),
        "accounts": [
            {"platform": a.platform, "account_id": a.account_id, "key": a.key, "share": kind.shares[a.key]}
            for a in affected
        ],
        "platforms": sorted({a.platform for a in affected}),
        "expected_comments": round(
            sum(kind.peak_per_hour * kind.shares[a.key] * factor for a in affected for _, factor in incident.hours), 1
        ),
        "surge_comments": sum(by_hour.values()),
        "surge_answers": answers,
        "surge_by_hour": [{"hour": iso_utc(hour), "comments": n} for hour, n in by_hour.items()],
        "surge_by_account": by_account,
    }
