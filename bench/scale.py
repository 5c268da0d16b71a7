"""Scale generator: landing Parquet for N accounts x D days, as the daily extract DAGs land it, without HTTP.

    .venv/bin/python bench/scale.py --accounts 200 --days 60 --end 2026-11-25 --home /tmp/scale [--seed 42]

writes `<home>/landing/platform=<p>/entity=<e>/ds=<day>/account=<key>.parquet` for every
entity of every platform (each connector's `LANDING_SCHEMAS` plus the lineage columns,
paths from `socialpulse.landing.Partition`), and `<home>/accounts.yml` naming the same
accounts, so that `SOCIALPULSE_HOME=<home> SOCIALPULSE_ACCOUNTS=<home>/accounts.yml` makes
the loader, dbt and the audit's coverage checks see them. See bench/SCALE.md.

What one file holds is what the connector would have landed against the sandbox for that
account and day: the numbers come from the sandbox's own `World` (posts, settling
lifetime counters, comments and replies, daily series, incidents) and the sandbox
platforms' pure functions (`x_post_metrics`, `account_day_values`, `demographics`,
`share_statistics_day`, `post_counts`, ids...); only the HTTP round trip (JSON, paging,
the connector's parsing) is skipped and its result written directly. `bench/scale_check.py`
proves it: it runs the real connectors in process against the sandbox for the same
generated accounts and compares every file.

Accounts: the first ones of each platform are the sandbox region's own (same keys, ids and
parameters: `--accounts 12` is exactly the demo region); the others are clones of them with
jittered size and rates (`clone_accounts`), new keys and ids. Platforms get accounts in the
proportions of `config/accounts.yml` (3 Facebook, 2 Instagram, 2 LinkedIn, 2 X, 1 Bluesky,
2 Mastodon out of 12).

Runs: one extraction per account and day `ds` (first = end - days + 1), each reading the
platform's lookback window (3 days ending at `ds`, as the scheduled DAG run of `ds` does:
a post lands in three consecutive `ds` files with its settling counters). `--initial-days K`
makes the first run an initial load of K days (the DAG's `{"days": K}`).
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import json
import multiprocessing
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from sandbox import region, timeutil
from sandbox.determinism import rng, stable_int
from sandbox.platforms import bluesky as bsky
from sandbox.platforms import facebook as fb
from sandbox.platforms import instagram as ig
from sandbox.platforms import linkedin as li
from sandbox.platforms import mastodon as masto
from sandbox.platforms import x as xp
from sandbox.platforms.graph_common import insight_days
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start
from sandbox.world import Comment, Post, PostMetrics, World, settle
from socialpulse.connectors import facebook as fb_conn
from socialpulse.connectors import instagram as ig_conn
from socialpulse.connectors import linkedin as li_conn
from socialpulse.connectors import mastodon as masto_conn
from socialpulse.connectors import x as x_conn
from socialpulse.connectors.base import Window
from socialpulse.landing import Partition
from socialpulse.landing_schemas import LINEAGE_FIELDS, entities, schema_for
from socialpulse.privacy import pseudonymise

REPO = Path(__file__).resolve().parents[1]

# The Paris DST rule is asked hundreds of thousands of times per account (every comment time
# is drawn against the wall clock): memoized, it answers the same, in a dictionary lookup.
timeutil._last_sunday = lru_cache(maxsize=None)(timeutil._last_sunday)
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
KEY_PREFIX = {"facebook": "fb", "instagram": "ig", "linkedin": "li", "x": "x", "bluesky": "bsky", "mastodon": "masto"}
DEFAULT_END = date(2026, 11, 25)
DEFAULT_PSEUDONYM_KEY = "socialpulse-scale-bench"  # fictional commenters: nothing to protect
MAX_WORKERS = 2  # the machine is shared: never more
GENERATOR_VERSION = 2
"""Bumped whenever the generator writes other files for the same arguments (bench.py keys its
cache on it). 2: Mastodon post ids carry the account's slot (two accounts posting in the same
second shared ids)."""

BANK = 100
"""Accounts per "bank" of a platform: the sandbox's post serials hold a slot of 0..99."""
BANK_STRIDE = 10**10
"""Serial offset of a bank: above any (day, slot, index, salt) the sandbox encodes, and
small enough that serials keep 16 digits and comment serials stay below 2 x 10^15."""


# -- the world, widened to thousands of accounts ---------------------------------------------


class ScaleWorld(World):
    """The sandbox's `World`, with two widenings for accounts beyond the region's.

    * Post serials: the sandbox encodes an account slot of 0..99 in them; an account of slot
      `s >= 100` gets the serial of slot `s % 100` plus `(s // 100) x BANK_STRIDE`, so ids
      built from serials stay unique. Slots below 100 give exactly the sandbox's posts.
    * Incidents: their shares name the region's account keys; a clone takes its template's
      share, so a train strike floods the clones of the transport accounts too.

    Post plans, post metrics and comment times are cached per account (values unchanged: the
    sandbox recomputes them for every day and platform metric that asks).

    `forget()` drops everything cached about the accounts done so far (a worker generates
    thousands of accounts one after the other); the people (commenters) stay.
    """

    def __init__(self, seed: int, templates: dict[str, str] | None = None):
        super().__init__(seed)
        self.templates = dict(templates or {})
        self._slot_view: dict[tuple[str, str], Account] = {}
        self._plans: dict[tuple[str, str, date], tuple[tuple[int, int], ...]] = {}
        self._metrics: dict[tuple[str, int, date], PostMetrics] = {}
        self._times: dict[tuple[str, int], list[datetime]] = {}

    def post_metrics(self, post: Post, as_of: date) -> PostMetrics:
        """Cached: the daily series, the platforms' daily deltas and every run of the lookback ask again."""
        key = (post.account.key, post.serial, as_of)
        metrics = self._metrics.get(key)
        if metrics is None:
            metrics = self._metrics[key] = super().post_metrics(post, as_of)
        return metrics

    def comments_before(self, post: Post, instant: datetime) -> tuple[Comment, ...]:
        """The sandbox's, with the comments' times listed once per post instead of once per call."""
        comments = self.comments(post)
        key = (post.account.key, post.serial)
        times = self._times.get(key)
        if times is None or len(times) != len(comments):
            times = self._times[key] = [c.created_at for c in comments]
        return comments[: bisect.bisect_left(times, instant)]

    def _post_plan(self, account: Account, day: date) -> tuple[tuple[int, int], ...]:
        """Cached: followers (net follows since EPOCH), the profile post counts and the posts all ask for it."""
        key = (account.platform, account.key, day)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = super()._post_plan(account, day)
        return plan

    def _make_post(self, account: Account, day: date, index: int, second: int, salt: int) -> Post:
        if account.slot < BANK:
            return super()._make_post(account, day, index, second, salt)
        key = (account.platform, account.key)
        view = self._slot_view.get(key)
        if view is None:
            view = self._slot_view[key] = dataclasses.replace(account, slot=account.slot % BANK)
        # drawn by the sandbox (its generator is keyed on the account's key, so banks differ), then banked
        post = super()._make_post(view, day, index, second, salt)
        return dataclasses.replace(post, account=account, serial=post.serial + (account.slot // BANK) * BANK_STRIDE)

    def _surge(self, incident, account: Account):
        template = self.templates.get(account.key)
        if template is not None and template != account.key:
            kind = incident.kind
            share = kind.shares.get(template, 0.0)
            shares = MappingProxyType({account.key: share})
            incident = dataclasses.replace(incident, kind=dataclasses.replace(kind, shares=shares))
        return super()._surge(incident, account)

    def forget(self) -> None:
        for cached in (
            self.posts_on,
            self.post_totals,
            self.comments,
            self.surge,
            self._follow_counts,
            self.account_day,
        ):
            cached.cache_clear()
        self._cumulative_net.clear()
        self._slot_view.clear()
        self._plans.clear()
        self._metrics.clear()
        self._times.clear()


# -- accounts ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleAccount:
    account: Account
    template: str
    """Key of the region account it was cloned from (itself for the region's own)."""
    index: int
    """Position among all generated accounts (stable across runs of the same N)."""


def platform_counts(n: int) -> dict[str, int]:
    """N accounts over the platforms in the region's proportions (largest remainder, >= 1 each when N >= 6)."""
    weights = {p: len(region.accounts(p)) for p in PLATFORMS}
    total = sum(weights.values())
    exact = {p: n * w / total for p, w in weights.items()}
    counts = {p: int(v) for p, v in exact.items()}
    for p in sorted(PLATFORMS, key=lambda p: (-(exact[p] - counts[p]), PLATFORMS.index(p)))[: n - sum(counts.values())]:
        counts[p] += 1
    if n >= len(PLATFORMS):  # every platform present: a platform with no account hides its models' cost
        for p in PLATFORMS:
            while counts[p] == 0:
                donor = max(PLATFORMS, key=lambda q: counts[q])
                counts[donor] -= 1
                counts[p] += 1
    return counts


def _clone_id(platform: str, number: int, key: str) -> str:
    if platform == "facebook":
        return str(880_000_000_000_000 + number)  # 15-digit Page id
    if platform == "instagram":
        return str(17_841_499_000_000_000 + number)  # 17-digit IG user id
    if platform == "linkedin":
        return str(20_000_000 + number)  # organization id
    if platform == "x":
        return str(1_500_000_000_000_000_000 + number)  # 19-digit user id
    if platform == "bluesky":
        return f"did:plc:{bsky._b32('scale-did', key, length=24)}"
    return str(110_000_000_000_000_000 + number)  # Mastodon account id


def _clone_username(template: Account, number: int) -> str:
    if template.platform == "bluesky":
        return f"{template.username.split('.', 1)[0]}{number:05d}.bsky.social"
    if template.platform == "linkedin":
        return f"{template.username}-{number:05d}"
    return f"{template.username}_{number:05d}"


def clone_accounts(n: int, seed: int) -> list[ScaleAccount]:
    """The region's accounts first, then clones of them, `platform_counts(n)` per platform.

    A clone keeps its template's topic, format and audience mixes and category; its size
    (followers, lognormal around the template's), posting rate and reach, engagement,
    comment and answer rates are drawn around the template's, so the observatory holds
    institutions of many sizes that each behave like a sandbox account.
    """
    made: list[ScaleAccount] = []
    for platform, count in platform_counts(n).items():
        templates = region.accounts(platform)
        used_slots = {a.slot for a in templates}
        free_slots = (s for s in range(10**6) if s not in used_slots)
        for number in range(count):
            template = templates[number % len(templates)]
            if number < len(templates):
                made.append(ScaleAccount(template, template.key, len(made)))
                continue
            gen = rng(seed, "scale-account", platform, number)
            key = f"{KEY_PREFIX[platform]}_{number:05d}"
            account = dataclasses.replace(
                template,
                key=key,
                account_id=_clone_id(platform, number, key),
                name=f"{template.name} {number:05d}",
                slot=next(free_slots),
                username=_clone_username(template, number),
                base_followers=max(300, int(template.base_followers * gen.lognormvariate(0.0, 0.6))),
                posts_per_day=round(template.posts_per_day * gen.uniform(0.6, 1.4), 3),
                reach_rate=template.reach_rate * gen.uniform(0.8, 1.25),
                engagement_rate=template.engagement_rate * gen.uniform(0.8, 1.25),
                comment_rate=template.comment_rate * gen.uniform(0.8, 1.25),
                reply_rate=min(0.95, template.reply_rate * gen.uniform(0.8, 1.2)),
            )
            made.append(ScaleAccount(account, template.key, len(made)))
    return made


def accounts_config(accounts: list[ScaleAccount]) -> dict:
    """config/accounts.yml's platforms block (api versions, lookbacks, options) and the generated accounts."""
    base = yaml.safe_load((REPO / "config" / "accounts.yml").read_text(encoding="utf-8"))
    platforms = {p: dict(base["platforms"][p]) for p in PLATFORMS}
    platforms["x"]["usernames"] = {a.account.key: a.account.username for a in accounts if a.account.platform == "x"}
    return {
        "region": base.get("region", region.REGION_NAME),
        "timezone": base.get("timezone", region.TIMEZONE),
        "platforms": platforms,
        "accounts": [
            {
                "key": a.account.key,
                "platform": a.account.platform,
                "account_id": a.account.account_id,
                "name": a.account.name,
            }
            for a in accounts
        ],
    }


def write_accounts_yml(path: Path, accounts: list[ScaleAccount], seed: int) -> None:
    doc = accounts_config(accounts)
    header = (
        f"# Generated by bench/scale.py (seed {seed}, {len(accounts)} accounts): the sandbox region's accounts,\n"
        "# then clones of them. Use with SOCIALPULSE_ACCOUNTS=<this file> SOCIALPULSE_HOME=<its folder>.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def lookbacks() -> dict[str, int]:
    base = yaml.safe_load((REPO / "config" / "accounts.yml").read_text(encoding="utf-8"))
    return {p: int((base["platforms"].get(p) or {}).get("lookback_days", 3)) for p in PLATFORMS}


# -- one extraction --------------------------------------------------------------------------------


@dataclass
class Run:
    """One extraction of one account: what the connector's ExtractContext would hold."""

    world: ScaleWorld
    account: Account
    ds: date
    window: Window
    now: datetime
    """`fetched_at` / `_extracted_at`: when the run read the APIs (after `ds` ended)."""
    key: str
    """Pseudonymisation key."""
    api_version: str | None = None

    @property
    def today(self) -> date:
        """The sandbox's clock when the run reads: the day after `ds` (values as of the end of `ds`)."""
        return self.ds + DAY

    @property
    def as_of(self) -> date:
        return self.ds

    @property
    def cutoff(self) -> datetime:
        """00:00 UTC of `today`: what was created before it exists."""
        return day_start(self.today)

    def posts_newest_first(self) -> list[Post]:
        """Posts created in the window (UTC days start..end), newest first (what every feed lists)."""
        found = list(self.world.posts_between(self.account, self.window.start, min(self.window.end, self.as_of)))
        found.sort(key=lambda p: (p.created_at, p.serial), reverse=True)
        return found

    def comments(self, post: Post) -> tuple[Comment, ...]:
        return self.world.comments_before(post, self.cutoff)


class Pseudonyms(dict):
    """Keyed hashes of commenter ids, computed once per worker (a comment lands three times)."""

    def __init__(self, platform: str, key: str):
        super().__init__()
        self.platform, self.key = platform, key

    def __missing__(self, user_id: str) -> str | None:
        value = self[user_id] = pseudonymise(self.platform, user_id, self.key)
        return value


class PostCounts:
    """Posts per UTC day since EPOCH, cumulated: the profile counters (tweet_count, media_count,
    postsCount, statuses_count) without materialising four years of posts.

    `len(World.posts_on(a, d)) == len(World._post_plan(a, d))`: the plan is the cheap part.
    """

    def __init__(self, world: World, account: Account, last: date):
        days = (last - EPOCH).days + 1
        self.per_day = [len(world._post_plan(account, EPOCH + timedelta(days=i))) for i in range(max(0, days))]
        self.cumulative: list[int] = []
        total = 0
        for n in self.per_day:
            total += n
            self.cumulative.append(total)

    def through(self, day: date) -> int:
        """Posts created from EPOCH to the end of `day`."""
        i = (day - EPOCH).days
        return 0 if i < 0 else self.cumulative[min(i, len(self.cumulative) - 1)]

    def last_day_with_posts(self, day: date) -> date | None:
        i = min((day - EPOCH).days, len(self.per_day) - 1)
        while i >= 0 and not self.per_day[i]:
            i -= 1
        return EPOCH + timedelta(days=i) if i >= 0 else None


Rows = dict[str, list[tuple]]
"""Entity -> rows, each a tuple in the order of the connector's LANDING_SCHEMAS fields."""


# -- Facebook -----------------------------------------------------------------------------------


def facebook(run: Run, ctx: dict) -> Rows:
    w, acc, now, page_id = run.world, run.account, run.now, run.account.account_id
    followers = w.followers(acc, run.as_of)
    fan_ratio = rng(w.seed, "fan-ratio", acc.platform, acc.key).randint(880, 950)
    snapshot = [
        (page_id, acc.name, f"https://www.facebook.com/{acc.username}", acc.category, followers,
         followers * fan_ratio // 1000, now)
    ]  # fmt: skip
    insights: list[tuple] = []
    for chunk in run.window.chunks(fb_conn.MAX_WINDOW_DAYS):
        days = insight_days(run.today, day_start(chunk.start), min(chunk.end, run.as_of))
        series = [(d, w.account_day(acc, d), day_start(d + DAY) + timedelta(hours=8)) for d in days]
        for name in fb_conn.PAGE_DAY_METRICS:
            value = fb.PAGE_DAY_METRICS[name].value
            insights.extend((page_id, name, "day", end, "", "", value(row)) for _, row, end in series)
        for _, row, end in series:
            insights.append((page_id, "page_media_view", "day", end, "is_from_ads", "true", row.views_paid))
            insights.append(
                (page_id, "page_media_view", "day", end, "is_from_ads", "false", row.views - row.views_paid)
            )
    posts, post_insights, comments = [], [], []
    names = ctx["pseudonyms"]
    for post in run.posts_newest_first():
        post_id = f"{page_id}_{post.serial}"
        thread = run.comments(post)
        m = w.post_metrics(post, run.as_of)
        shares = settle(w.post_totals(post).shares, (run.as_of - post.day).days)
        posts.append(
            (post_id, page_id, post.message, post.created_at, fb.FacebookPlatform.post_permalink(post),
             fb.STATUS_TYPES[post.format], shares, len(thread), now)
        )  # fmt: skip
        life = [("post_media_view", "", "", m.views), ("post_total_media_view_unique", "", "", m.viewers)]
        life += [("post_reactions_by_type_total", "type", t, n) for t, n in m.reactions.items()]
        life += [("post_clicks", "", "", m.clicks)]
        life += [("post_media_view", "is_from_ads", "true", m.views_paid)]
        life += [("post_media_view", "is_from_ads", "false", m.views - m.views_paid)]
        post_insights.extend((post_id, page_id, metric, "lifetime", b, bv, v, now) for metric, b, bv, v in life)
        base = f"https://www.facebook.com/{page_id}/posts/{post.serial}?comment_id="
        for c in thread:
            comments.append(
                (f"{post.serial}_{c.serial}", post_id, page_id,
                 f"{post.serial}_{c.parent_serial}" if c.parent_serial is not None else None,
                 c.created_at, c.message, names[c.author_id], c.author_id == page_id, c.like_count,
                 f"{base}{c.serial}", now)
            )  # fmt: skip
    return {
        "page_snapshots": snapshot,
        "page_insights": insights,
        "posts": posts,
        "post_insights": post_insights,
        "comments": comments,
    }


# -- Instagram --------------------------------------------------------------------------------------


def instagram(run: Run, ctx: dict) -> Rows:
    w, acc, now, uid = run.world, run.account, run.now, run.account.account_id
    counts: PostCounts = ctx["post_counts"]
    archive = rng(w.seed, "ig-archive", acc.key).randint(300, 900)
    snapshot = [
        (uid, acc.username, acc.name, w.followers(acc, run.as_of),
         rng(w.seed, "ig-follows", acc.key).randint(120, 640), archive + counts.through(run.as_of), now)
    ]  # fmt: skip
    day_values = ctx.setdefault("day_values", {})

    def values(d: date) -> dict[str, int]:
        if d not in day_values:
            day_values[d] = ig.account_day_values(w, acc, d)
        return day_values[d]

    insights: list[tuple] = []
    for chunk in run.window.chunks(ig_conn.MAX_SERIES_DAYS):
        days = insight_days(run.today, day_start(chunk.start), min(chunk.end, run.as_of))
        for name in ig_conn.SERIES_METRICS:
            for d in days:
                end = day_start(d + DAY) + timedelta(hours=8)
                insights.append((uid, name, "time_series", "day", d, end, values(d)[name], now))
    d = run.window.start
    while d <= run.window.end:
        if insight_days(run.today, day_start(d), min(d, run.as_of)):
            insights.extend(
                (uid, name, "total_value", "day", d, None, values(d)[name], now) for name in ig_conn.DAILY_TOTAL_METRICS
            )
        d += DAY
    demographics: list[tuple] = []
    for metric in ig_conn.DEMOGRAPHIC_METRICS:
        for breakdown in ig_conn.DEMOGRAPHIC_BREAKDOWNS:
            split = ig.demographics(w, acc, run.as_of, metric, breakdown, ig_conn.DEMOGRAPHIC_TIMEFRAME)
            demographics.extend(
                (uid, metric, ig_conn.DEMOGRAPHIC_TIMEFRAME, breakdown, bucket, value, now)
                for bucket, value in ig.top_values(split)
            )
    media, media_insights, comments = [], [], []
    names = ctx["pseudonyms"]
    for post in run.posts_newest_first():
        media_id = ig.InstagramPlatform.post_id(post)
        product = ig.media_product_type(post)
        thread = run.comments(post)
        m = w.post_metrics(post, run.as_of)
        media.append(
            (media_id, uid, post.message, ig.media_type(post), product, ig.InstagramPlatform.post_permalink(post),
             post.created_at, m.reactions_total, len(thread), now)
        )  # fmt: skip
        metric_values = ig.media_insight_values(w, post, run.as_of)
        media_insights.extend(
            (media_id, uid, product, name, "lifetime", metric_values[name], now)
            for name in ig_conn.MEDIA_METRICS_BY_PRODUCT[product]
        )
        replies: dict[int, list[Comment]] = {}
        for c in thread:
            if c.parent_serial is not None:
                replies.setdefault(c.parent_serial, []).append(c)
        for top in (c for c in thread if c.parent_serial is None):
            for c in (top, *replies.get(top.serial, ())):
                username = ig.commenter_username(c)
                comments.append(
                    (f"{ig.COMMENT_ID_PREFIX}{c.serial}", media_id, uid,
                     f"{ig.COMMENT_ID_PREFIX}{top.serial}" if c is not top else None,
                     c.created_at, c.message, names[username], username == acc.username, c.like_count, now)
                )  # fmt: skip
    return {
        "account_snapshots": snapshot,
        "account_insights": insights,
        "audience_demographics": demographics,
        "media": media,
        "media_insights": media_insights,
        "comments": comments,
    }


# -- LinkedIn ---------------------------------------------------------------------------------------


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _linkedin_comment(run: Run, post: Post, urn: str, c: Comment, parent_urn: str | None, names: Pseudonyms) -> tuple:
    org_urn = li.organization_urn(run.account)
    actor = org_urn if c.is_from_page else li.member_urn(c.author_id)
    return (li.LinkedInPlatform.comment_id(post, c.serial), str(c.serial), urn, run.account.account_id, parent_urn,
            c.created_at, c.message, names[actor], actor == org_urn, c.like_count, c.reply_count, run.now)  # fmt: skip


def linkedin(run: Run, ctx: dict) -> Rows:
    w, acc, now, org = run.world, run.account, run.now, run.account.account_id
    org_urn = li.organization_urn(acc)
    authorized = day_start(run.today - timedelta(days=20)) + timedelta(hours=9)  # LinkedInPlatform.token_times
    snapshot = [
        (org, org_urn, acc.name, acc.username, w.followers(acc, run.as_of),
         str(run.api_version or li_conn.DEFAULT_VERSION), authorized, authorized + li.TOKEN_TTL, now)
    ]  # fmt: skip
    first, last = max(run.window.start, EPOCH), min(run.window.end, run.as_of)
    followers, shares = [], []
    floor = _year_before(run.today)
    d = first
    while d <= last:
        organic, paid = li.follower_gains(w, acc, d)
        followers.append((org, day_start(d), day_start(d + DAY), organic, paid))
        if d >= floor:
            s = li.share_statistics_day(w, acc, d)
            shares.append(
                (org, day_start(d), day_start(d + DAY), s["impressionCount"], s["uniqueImpressionsCount"],
                 s["clickCount"], s["likeCount"], s["commentCount"], s["shareCount"], float(s["engagement"]))
            )  # fmt: skip
        d += DAY
    posts, statistics, comments = [], [], []
    names = ctx["pseudonyms"]
    reaction_of = {api: world_type for world_type, api in li.REACTION_TYPES.items()}
    for post in run.posts_newest_first():
        urn = li.post_urn(post)
        kind, article = {
            "photo": ("image", None),
            "video": ("video", None),
            "link": ("article", f"https://www.valdargent.example/actualites/{post.serial}"),
        }.get(post.format, ("none", None))
        posts.append(
            (urn, org, post.message, kind, article, "PUBLIC", "PUBLISHED",
             f"https://www.linkedin.com/feed/update/{urn}/", post.created_at, post.created_at, post.created_at, now)
        )  # fmt: skip
        thread = run.comments(post)
        m = w.post_metrics(post, run.as_of)
        if post.day >= floor:
            s = li.post_share_statistics(w, post, run.as_of)
            stats = (s["impressionCount"], s["uniqueImpressionsCount"], s["clickCount"], s["likeCount"],
                     s["commentCount"], s["shareCount"], float(s["engagement"]))  # fmt: skip
        else:  # past LinkedIn's rolling 12 months: no statistics, NULL
            stats = (None,) * 7
        reactions = tuple(m.reactions[reaction_of[r]] for r in li_conn.REACTIONS)
        top_level = [c for c in thread if c.parent_serial is None]
        statistics.append((urn, org, *stats, *reactions, len(thread), len(top_level), now))

        comments.extend(_linkedin_comment(run, post, urn, c, None, names) for c in top_level)
        for top in top_level:
            if top.reply_count:
                parent = li.LinkedInPlatform.comment_id(post, top.serial)
                comments.extend(
                    _linkedin_comment(run, post, urn, c, parent, names) for c in thread if c.parent_serial == top.serial
                )
    return {
        "organization_snapshots": snapshot,
        "follower_statistics": followers,
        "share_statistics": shares,
        "posts": posts,
        "post_statistics": statistics,
        "comments": comments,
    }


# -- X -----------------------------------------------------------------------------------------------

_X_URL = re.compile(r"https?://\S+")


def _x_low_bits(post: Post) -> tuple[int, int]:
    """(millisecond offset, slot bits) of an account's snowflakes: a bank shifts the milliseconds
    (posts are made on whole seconds, banks < 1000), so ids stay unique beyond 128 accounts."""
    return post.account.slot // BANK, post.account.slot % BANK


def x_post_id(post: Post) -> str:
    if post.account.slot < BANK:
        return xp.XPlatform.post_id(post)
    bank, slot = _x_low_bits(post)
    ms = xp._ms(post.created_at) + bank
    return str((ms << 22) | ((post.serial % 1000) << 11) | (slot << 4) | post.index)


def x_reply_id(post: Post, comment_serial: int) -> str:
    if post.account.slot < BANK:
        return xp.XPlatform.comment_id(post, comment_serial)
    bank, slot = _x_low_bits(post)
    ms = xp._ms(post.created_at) + bank
    return str((ms << 22) | (1 << 21) | ((comment_serial % 1000) << 11) | (slot << 4) | post.index)


def x(run: Run, ctx: dict) -> Rows:
    w, acc, now, uid = run.world, run.account, run.now, run.account.account_id
    counts: PostCounts = ctx["post_counts"]
    gen = rng(w.seed, "x-profile", acc.key)  # sandbox.platforms.x.x_user_profile, same draws in the same order
    created = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(seconds=gen.randrange(6 * 365 * 86400))
    following, listed_per_mille, before_epoch = gen.randint(180, 650), gen.randint(8, 15), gen.randint(4000, 9000)
    followers = w.followers(acc, run.as_of)
    snapshot = [
        (uid, acc.username, acc.name, created, followers, following, before_epoch + counts.through(run.as_of),
         followers * listed_per_mille // 1000, now)
    ]  # fmt: skip
    posts, metrics, replies = [], [], []
    names = ctx["pseudonyms"]
    private_since = run.cutoff - timedelta(days=xp.PRIVATE_METRICS_DAYS)
    for post in run.posts_newest_first():
        pid = x_post_id(post)
        text = post.message if post.message is not None else f"https://t.co/{post.serial % 10**10:010d}"
        url = _X_URL.search(text) if post.format == "link" else None
        posts.append(
            (pid, uid, pid, text, "fr", post.created_at, post.format if post.format in ("photo", "video") else None,
             url.group(0) if url else None, f"https://x.com/{acc.username}/status/{pid}", now)
        )  # fmt: skip
        xm = xp.x_post_metrics(w, post, run.as_of)
        public = xm.public()
        row = [pid, uid, *(public[name] for name in x_conn.PUBLIC_METRICS)]
        if post.created_at >= private_since:
            private, organic = xm.non_public(), xm.organic_metrics()
            promoted = xm.promoted_metrics() if post.is_sponsored else None
            row += [private[name] for name in x_conn.NON_PUBLIC_METRICS]
            row += [organic[name] for name in x_conn.SPLIT_METRICS]
            row += [promoted[name] if promoted else None for name in x_conn.SPLIT_METRICS]
            row += [True, promoted is not None, now]
        else:  # X omits private metrics after 30 days: NULL, never 0
            row += [None] * (len(x_conn.NON_PUBLIC_METRICS) + 2 * len(x_conn.SPLIT_METRICS))
            row += [False, None, now]
        metrics.append(tuple(row))
        for c in run.comments(post):
            replies.append(
                (x_reply_id(post, c.serial), pid, uid,
                 x_reply_id(post, c.parent_serial) if c.parent_serial is not None else None,
                 c.created_at, c.message, names[c.author_id], c.author_id == uid, c.like_count, now)
            )  # fmt: skip
    return {"user_snapshots": snapshot, "posts": posts, "post_metrics": metrics, "replies": replies}


# -- Bluesky --------------------------------------------------------------------------------------------


def bluesky(run: Run, ctx: dict) -> Rows:
    w, acc, now, did = run.world, run.account, run.now, run.account.account_id
    counts: PostCounts = ctx["post_counts"]
    snapshot = [
        (did, acc.username, acc.name, w.followers(acc, run.as_of), bsky.follows_count(w.seed, acc),
         counts.through(run.as_of), now)
    ]  # fmt: skip
    posts, comments = [], []
    names = ctx["pseudonyms"]
    embeds = {"photo": "images", "video": "video", "reel": "video", "link": "external"}
    for post in run.posts_newest_first():
        uri, rkey = bsky.post_uri(post), bsky.post_rkey(post)
        thread = run.comments(post)
        counts_now = bsky.post_counts(w, post, run.as_of)
        external = f"https://www.valdargent.fr/actualites/{post.topic}/{post.serial}" if post.format == "link" else None
        posts.append(
            (uri, did, rkey, bsky.cid_for("post", post.serial), post.message or "", post.created_at,
             post.created_at + timedelta(milliseconds=300 + post.serial % 900), "fr", embeds.get(post.format),
             external, f"https://bsky.app/profile/{acc.username}/post/{rkey}", counts_now["likeCount"],
             counts_now["repostCount"], counts_now["quoteCount"], counts_now["replyCount"], len(thread), now)
        )  # fmt: skip
        children: dict[int, int] = {}
        for c in thread:
            if c.parent_serial is not None:
                children[c.parent_serial] = children.get(c.parent_serial, 0) + 1
        rows = []
        for c in thread:
            author = did if c.is_from_page else bsky.person_did(c.author_id)
            rows.append(
                (bsky.reply_rkey(post, c.serial), uri, did,
                 bsky.reply_rkey(post, c.parent_serial) if c.parent_serial is not None else None,
                 c.created_at, c.message, names[author], author == did, c.like_count, children.get(c.serial, 0), now)
            )  # fmt: skip
        rows.sort(key=lambda r: (r[4], r[0]))  # the connector lands a thread by (created_at, rkey)
        comments.extend(rows)
    return {"profile_snapshots": snapshot, "posts": posts, "comments": comments}


# -- Mastodon ------------------------------------------------------------------------------------------


def mastodon_status_id(post: Post) -> str:
    if post.account.slot < BANK:
        return masto.status_id(post)
    ms = masto._millis(post.created_at) + post.account.slot // BANK
    return str((ms << 16) | masto.post_sequence(post))


def mastodon_reply_id(post: Post, comment_serial: int) -> str:
    """A reply's status id. Beyond the first bank, the comment serial itself: unique across the
    platform's accounts, 16 digits where snowflakes have 18, so it meets no post or sandbox reply id
    (a snowflake anchored on the post's second would need the account in its 16 low bits too)."""
    if post.account.slot < BANK:
        return masto.reply_status_id(post, comment_serial)
    return str(comment_serial)


@lru_cache(maxsize=65536)
def _mastodon_text(text: str) -> str | None:
    """What the connector reads back from the status HTML the instance serves for `text`."""
    return masto_conn.html_to_text(masto.content_html(text))


def mastodon(run: Run, ctx: dict) -> Rows:
    w, acc, now, aid = run.world, run.account, run.now, run.account.account_id
    counts: PostCounts = ctx["post_counts"]
    last = counts.last_day_with_posts(run.as_of)
    snapshot = [
        (aid, acc.username, acc.username, acc.name, f"https://{masto.INSTANCE}/@{acc.username}",
         w.followers(acc, run.as_of), masto.following_count(w.seed, acc), counts.through(run.as_of), last, now)
    ]  # fmt: skip
    posts, comments = [], []
    names = ctx["pseudonyms"]
    for post in run.posts_newest_first():
        sid = mastodon_status_id(post)
        thread = run.comments(post)
        sc = masto.status_counts(w, post, run.as_of)
        media_type = {"photo": "image", "video": "video", "reel": "video"}.get(post.format)
        card = None
        if post.format == "link":
            url = masto._URL.search(post.message or "")
            card = url.group(0) if url else f"https://www.region-valdargent.fr/{post.topic}"
        posts.append(
            (sid, aid, post.created_at, _mastodon_text(post.message or ""), "fr", "public",
             f"https://{masto.INSTANCE}/@{acc.username}/{sid}", media_type, 1 if media_type else 0, card,
             sc["replies_count"], sc["reblogs_count"], sc["favourites_count"], len(thread), now)
        )  # fmt: skip
        children: dict[int | None, list[Comment]] = {}
        for c in thread:
            children.setdefault(c.parent_serial, []).append(c)
        stack = list(reversed(children.get(None, [])))
        while stack:  # thread order, as the context's descendants list them
            c = stack.pop()
            stack.extend(reversed(children.get(c.serial, [])))
            author = aid if c.is_from_page else masto.person_account_id(c.author_id)
            comments.append(
                (mastodon_reply_id(post, c.serial), sid, aid,
                 mastodon_reply_id(post, c.parent_serial) if c.parent_serial is not None else None,
                 c.created_at, _mastodon_text(c.message), names[author], author == aid, "public", c.like_count,
                 len(children.get(c.serial, [])), now)
            )  # fmt: skip
    return {"account_snapshots": snapshot, "posts": posts, "comments": comments}


BUILDERS = {
    "facebook": facebook,
    "instagram": instagram,
    "linkedin": linkedin,
    "x": x,
    "bluesky": bluesky,
    "mastodon": mastodon,
}


# -- tables and files ------------------------------------------------------------------------------------


def run_id_for(ds: date) -> str:
    """The run id of the scheduled extract DAG run of `ds` (Airflow 3's default)."""
    return f"scheduled__{ds.isoformat()}T00:00:00+00:00"


def extracted_at(account: ScaleAccount, ds: date) -> datetime:
    """When the scheduled run of `ds` read this account: a few minutes after `ds` ended."""
    return day_start(ds + DAY) + timedelta(minutes=5, seconds=stable_int("scale-now", account.account.key) % 1800)


def to_table(platform: str, entity: str, rows: list[tuple], lineage: tuple) -> pa.Table:
    """Rows (schema order, lineage excluded) plus the lineage columns, as the entity's Arrow table."""
    schema = schema_for(platform, entity)
    if not rows:
        return schema.empty_table()
    n = len(rows)
    width = len(schema) - len(LINEAGE_FIELDS)
    if len(rows[0]) != width:
        raise ValueError(f"{platform}/{entity}: rows have {len(rows[0])} fields, the landing schema {width}")
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=False)]
    arrays += [pa.array([value] * n, type=f.type) for value, f in zip(lineage, LINEAGE_FIELDS, strict=True)]
    table = pa.Table.from_arrays(arrays, schema=schema)
    for f, arr in zip(schema, arrays, strict=True):
        if not f.nullable and arr.null_count:
            raise ValueError(f"{platform}/{entity}: field {f.name!r} is required but has {arr.null_count} NULLs")
    return table


@dataclass
class Stats:
    account_days: int = 0
    files: int = 0
    rows: int = 0
    bytes: int = 0
    cpu_generate: float = 0.0
    """CPU seconds of the worker process (not wall: the machine may be shared)."""
    cpu_write: float = 0.0

    def add(self, other: Stats) -> None:
        for f in dataclasses.fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class Generator:
    """Generates and writes the landing files of accounts, one account at a time (a worker's job)."""

    def __init__(
        self,
        home: Path,
        seed: int,
        templates: dict[str, str],
        *,
        compression: str = "zstd",
        pseudonym_key: str = DEFAULT_PSEUDONYM_KEY,
    ):
        self.landing = home / "landing"
        self.world = ScaleWorld(seed, templates)
        self.compression = compression
        self.pseudonym_key = pseudonym_key
        self.api_versions = {p: c.get("api_version") for p, c in accounts_config([])["platforms"].items()}
        self._dirs: set[Path] = set()

    def extractions(self, account: ScaleAccount, runs: list[tuple[date, int]]) -> Iterator[tuple[date, Rows]]:
        """(ds, rows per entity) of each run (ds, window days) of one account."""
        acc = account.account
        ctx = {"pseudonyms": Pseudonyms(acc.platform, self.pseudonym_key)}
        if acc.platform in ("instagram", "x", "bluesky", "mastodon"):
            ctx["post_counts"] = PostCounts(self.world, acc, max(ds for ds, _ in runs))
        try:
            for ds, days in runs:
                run = Run(
                    self.world,
                    acc,
                    ds,
                    Window.ending(ds, days),
                    extracted_at(account, ds),
                    self.pseudonym_key,
                    self.api_versions.get(acc.platform),
                )
                if len(ctx.get("day_values", ())) > 64:
                    ctx["day_values"].clear()
                yield ds, BUILDERS[acc.platform](run, ctx)
        finally:
            self.world.forget()

    def write(self, account: ScaleAccount, ds: date, rows: Rows, stats: Stats) -> None:
        acc = account.account
        lineage = (acc.key, ds, run_id_for(ds), extracted_at(account, ds), "api")
        for entity in entities(acc.platform):
            table = to_table(acc.platform, entity, rows[entity], lineage)
            path = self.landing / Partition(acc.platform, entity, ds, acc.key).relpath()
            if path.parent not in self._dirs:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._dirs.add(path.parent)
            pq.write_table(table, path, compression=self.compression)
            stats.files += 1
            stats.rows += table.num_rows
            stats.bytes += path.stat().st_size

    def account(self, account: ScaleAccount, runs: list[tuple[date, int]]) -> Stats:
        stats = Stats()
        it = self.extractions(account, runs)
        while True:
            t0 = time.process_time()
            try:
                ds, rows = next(it)
            except StopIteration:
                break
            t1 = time.process_time()
            self.write(account, ds, rows, stats)
            stats.account_days += 1
            stats.cpu_generate += t1 - t0
            stats.cpu_write += time.process_time() - t1
        return stats


def plan_runs(end: date, days: int, lookback: int, initial_days: int | None = None) -> list[tuple[date, int]]:
    """(ds, window days) of each scheduled run: one per day, the first one optionally an initial load."""
    first = end - timedelta(days=days - 1)
    return [(first + timedelta(days=i), (initial_days or lookback) if i == 0 else lookback) for i in range(days)]


# -- driver ------------------------------------------------------------------------------------------------

_WORKER: Generator | None = None
_ACCOUNTS: list[ScaleAccount] = []


def _init_worker(kwargs: dict) -> None:
    """A worker's generator; accounts are drawn again here (deterministic) rather than pickled."""
    global _WORKER, _ACCOUNTS
    _ACCOUNTS = clone_accounts(kwargs["accounts"], kwargs["generator"]["seed"])
    _WORKER = Generator(**kwargs["generator"])


def _work(item: tuple[int, list[tuple[date, int]]]) -> Stats:
    index, runs = item
    assert _WORKER is not None
    return _WORKER.account(_ACCOUNTS[index], runs)


def generate(
    accounts: int,
    days: int,
    end: date,
    home: Path,
    *,
    seed: int = 42,
    initial_days: int | None = None,
    workers: int = MAX_WORKERS,
    compression: str = "zstd",
    pseudonym_key: str = DEFAULT_PSEUDONYM_KEY,
    progress: bool = False,
) -> dict:
    """Write `home/accounts.yml` and `home/landing/` for `accounts` accounts over the `days` days ending `end`.

    Returns what was written and how long it took (the numbers bench/SCALE.md reports).
    """
    if accounts < 1 or days < 1:
        raise ValueError("accounts and days must be at least 1")
    home = Path(home).resolve()
    landing = home / "landing"
    if landing.exists() and any(landing.iterdir()):
        raise FileExistsError(
            f"{landing} is not empty: generate into a fresh home (the files of another run would mix)"
        )
    started = time.perf_counter()
    made = clone_accounts(accounts, seed)
    write_accounts_yml(home / "accounts.yml", made, seed)
    templates = {a.account.key: a.template for a in made}
    looks = lookbacks()
    # big accounts first: the two workers finish together
    order = sorted(made, key=lambda a: -a.account.base_followers * a.account.posts_per_day)
    work = [(a.index, plan_runs(end, days, looks[a.account.platform], initial_days)) for a in order]
    kwargs = {
        "accounts": accounts,
        "generator": {
            "home": home,
            "seed": seed,
            "templates": templates,
            "compression": compression,
            "pseudonym_key": pseudonym_key,
        },
    }
    total = Stats()
    workers = max(1, min(MAX_WORKERS, workers, len(work)))
    if workers == 1:
        _init_worker(kwargs)
        results: Iterable[Stats] = map(_work, work)
    else:
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker, initargs=(kwargs,))
        results = pool.imap_unordered(_work, work, chunksize=1)
    try:
        for done, stats in enumerate(results, 1):
            total.add(stats)
            if progress and (done % max(1, len(work) // 20) == 0 or done == len(work)):
                elapsed = time.perf_counter() - started
                print(f"  {done}/{len(work)} accounts, {total.files} files, {total.rows} rows, {elapsed:.1f} s",
                      file=sys.stderr, flush=True)  # fmt: skip
    finally:
        if workers > 1:
            pool.close()
            pool.join()
    seconds = time.perf_counter() - started
    return {
        "accounts": accounts,
        "days": days,
        "end": end.isoformat(),
        "seed": seed,
        "initial_days": initial_days,
        "workers": workers,
        "compression": compression,
        "platform_accounts": platform_counts(accounts),
        "account_days": total.account_days,
        "files": total.files,
        "rows": total.rows,
        "bytes": total.bytes,
        "seconds": round(seconds, 2),
        "cpu_seconds_generate": round(total.cpu_generate, 2),
        "cpu_seconds_write": round(total.cpu_write, 2),
        "rows_per_second": round(total.rows / seconds) if seconds else None,
        "files_per_second": round(total.files / seconds) if seconds else None,
        "rows_per_cpu_second": round(total.rows / cpu) if (cpu := total.cpu_generate + total.cpu_write) else None,
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "home": str(home),
    }


def history_days(days: int, initial_days: int | None) -> int:
    """Days of history a run lands: the first run's window, then one more day per daily run."""
    return (initial_days or 1) + days - 1 if initial_days else days


def extrapolate(result: dict, accounts: int = 10_000, days: int = 365) -> dict | None:
    """Files, rows, bytes and time of `accounts` x `days` of history landed the same way as `result`.

    Daily runs (no initial load) scale with account-days; a single initial load (`--days 1
    --initial-days K`) scales with accounts x K. A mix of both does not scale linearly: None.
    `minutes_as_measured` scales the run's wall time (on a machine as busy as it was);
    `minutes_two_free_cores` scales its CPU seconds over two processes with nothing else running.
    Per-account costs (followers since EPOCH) are counted per account-day: a slight overestimate
    for longer spans than measured.
    """
    if result["initial_days"] and result["days"] > 1:
        return None
    measured = result["accounts"] * history_days(result["days"], result["initial_days"])
    factor = accounts * days / measured
    cpu = result["cpu_seconds_generate"] + result["cpu_seconds_write"]
    return {
        "accounts": accounts,
        "days": days,
        "landed_as": f"an initial load of {days} days" if result["initial_days"] else f"{days} daily runs",
        "files": round(result["files"] * (factor if not result["initial_days"] else accounts / result["accounts"])),
        "rows": round(result["rows"] * factor),
        "gigabytes": round(result["bytes"] * factor / 1e9, 1),
        "minutes_as_measured": round(result["seconds"] * factor / 60, 1),
        "minutes_two_free_cores": round(cpu * factor / MAX_WORKERS / 60, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, required=True, help="accounts over the six platforms")
    ap.add_argument("--days", type=int, required=True, help="extraction days (ds) ending at --end")
    ap.add_argument("--end", type=date.fromisoformat, default=DEFAULT_END, help="last ds (default %(default)s)")
    ap.add_argument("--home", type=Path, required=True, help="SOCIALPULSE_HOME to fill (landing/ and accounts.yml)")
    ap.add_argument("--seed", type=int, default=42, help="the sandbox seed (default %(default)s)")
    ap.add_argument("--initial-days", type=int, default=None, help="the first run is an initial load of N days")
    ap.add_argument("--workers", type=int, default=MAX_WORKERS, help=f"processes, at most {MAX_WORKERS}")
    ap.add_argument(
        "--compression", default="zstd", choices=("zstd", "snappy", "none"), help="Parquet codec (extraction: zstd)"
    )
    ap.add_argument("--extrapolate", action="store_true", help="also print the estimate for 10,000 accounts x 365 days")
    args = ap.parse_args(argv)
    result = generate(
        args.accounts,
        args.days,
        args.end,
        args.home,
        seed=args.seed,
        initial_days=args.initial_days,
        workers=args.workers,
        compression=args.compression,
        progress=True,
    )
    if args.extrapolate:
        result["observatory_estimate"] = extrapolate(result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
