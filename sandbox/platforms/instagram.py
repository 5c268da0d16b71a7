"""Instagram professional accounts, as the Instagram API with Facebook Login serves them.

Mounted under `/instagram`: point a Graph client at `http://127.0.0.1:PORT/instagram`
instead of `https://graph.facebook.com`. Same Graph conventions as the Facebook
simulator (versions v23.0-v27.0, tokens, error envelope, cursors, usage headers:
`sandbox.platforms.graph_common`); the Business Use Case header says
`"type":"instagram"` and the IG throttle code is 80002. Served nodes and edges:

* `/{ig-user-id}` fields id, username, name, biography, website, followers_count,
  follows_count, media_count
* `/{ig-user-id}/insights` account metrics (see ACCOUNT_METRICS):
  `period=day` with `metric_type=time_series` (reach, follower_count: one value per
  day) or `metric_type=total_value` (one total over since..until, at most 30 days);
  `follower_demographics` and `reached_audience_demographics` with `period=lifetime`,
  `metric_type=total_value`, `timeframe=this_week|this_month` and
  `breakdown=age|gender|city|country` or the combination `age,gender` (top 45,
  buckets under PRIVACY_THRESHOLD people withheld)
* `/{ig-user-id}/media` the account's feed and reels, newest first, cursor-paged,
  optional since/until (stories are not listed there, like the real edge)
* `/{ig-media-id}` media fields; `/{ig-media-id}/insights` lifetime metrics valid for
  the media's product type: any other known metric fails the WHOLE request with
  "(#100) The Media Insights API does not support the X metric for this media
  product type" (the real trap); removed metrics (impressions, plays, video_views...)
  fail with "metric[i] must be one of"
* `/{ig-media-id}/comments` top-level comments with `replies{...}` field expansion;
  `/{ig-comment-id}` and `/{ig-comment-id}/replies`

World -> Instagram mapping (the world is platform-neutral):

* formats: photo -> IMAGE (one in four as CAROUSEL_ALBUM) / FEED; video -> VIDEO / FEED;
  reel -> VIDEO / REELS. The IG accounts' format_mix has no link or text posts.
* media: views -> `views`, viewers -> `reach`, reactions_total -> `likes` and
  `like_count`, shares -> `shares`, clicks -> `saved`, comments (replies included)
  -> `comments` and `comments_count`, engagements -> `total_interactions` (= likes +
  comments + shares + saved). `follows`, `profile_visits`, `profile_activity`,
  `ig_reels_avg_watch_time`, `ig_reels_video_view_total_time` are derived per post
  (`media_extras`), settling like every other counter. Paid views are not split
  (the sandbox serves one `views`).
* account, per UTC day (`AccountDay`): views -> `views`, viewers -> `reach`,
  follows -> `follower_count` (new followers that day), post_engagements ->
  `total_interactions`; `likes`, `comments`, `shares`, `saves` are the day's deltas
  of the posts' counters (`account_interactions`), `accounts_engaged` a derived
  share of total_interactions. A total_value over several days is the sum of the
  daily values (real unique metrics are not additive; connectors should ask day by
  day, which is also the only way to get daily values of total_value metrics).
* demographics: `follower_demographics` splits the followers as of yesterday whose
  demographics Instagram knows by the region's Account.audience (age bucket x
  gender); `reached_audience_demographics` splits the accounts reached during the
  timeframe up to yesterday (`reached_accounts`: the days' viewers less their
  overlap) by the same audience tilted towards the young (REACH_AGE_TILT: reels
  reach younger people than the follower base). A bucket of fewer than
  PRIVACY_THRESHOLD people is withheld: left out of the results, never served as 0
  (so a bucket absent from an `age,gender` answer is a withheld one). truth.py
  reports the age x gender grid with each bucket's value and whether it is withheld
  (key `audience`, from `audience_rows`).

"Now" is 00:00 UTC of the simulated `today`, as on Facebook.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sandbox import region
from sandbox.determinism import rng, stable_int
from sandbox.platforms.graph_common import (
    GraphCall,
    GraphError,
    GraphPlatform,
    GraphTarget,
    checked_fields,
    cursor_page,
    end_time,
    graph_time,
    insight,
    insight_days,
    insights_window,
    invalid_parameter,
    metric_names,
    node_segments,
    nonexisting_field,
    since_before_until,
    throttled,
    unsupported_get,
    window_paging,
)
from sandbox.region import AGE_BUCKETS, GENDERS, Account
from sandbox.timeutil import DAY, EPOCH
from sandbox.world import (
    COMMENT_SERIAL_BASE,
    POST_SERIAL_BASE,
    SETTLING_PER_MILLE,
    Comment,
    Post,
    World,
    decode_post_serial,
    settle,
)

MAX_INSIGHTS_SPAN_SECONDS = 30 * 86400
"""Day-period account insights: at most 30 days between since and until (reference §2.3, ❓)."""
MAX_COMMENTS_LIMIT = 50
TOP_VALUES = 45
"""Demographic metrics return only the 45 largest values of a breakdown."""
PRIVACY_THRESHOLD = 100
"""Demographic buckets of fewer people are withheld (left out), never served as 0.

Meta states the >= 100 rule for Page demographics (reference §1.4); for Instagram it is
reported by third parties ("more than 100 people in each breakdown", ◐): the sandbox
applies it to every bucket of every demographic metric and breakdown."""
IG_THROTTLE_CODE = 80002
IG_THROTTLE_MESSAGE = (
    f"(#{IG_THROTTLE_CODE}) There have been too many calls to this Instagram account. Wait a bit and try again. "
    "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
)
MEDIA_ID_PREFIX = "17"
COMMENT_ID_PREFIX = "18"

# -- account insights ---------------------------------------------------------------


@dataclass(frozen=True)
class _AccountMetric:
    title: str
    description: str
    types: frozenset[str]
    """metric_type values the metric accepts (time_series, total_value)."""


_TS = frozenset({"time_series"})
_TV = frozenset({"total_value"})
_BOTH = _TS | _TV

ACCOUNT_METRICS: dict[str, _AccountMetric] = {
    "reach": _AccountMetric("Accounts reached", "The number of unique accounts that have seen your content.", _BOTH),
    "follower_count": _AccountMetric(
        "Follower Count", "The number of accounts that started following you each day.", _TS
    ),
    "views": _AccountMetric("Views", "The number of times your content was played or displayed.", _TV),
    "accounts_engaged": _AccountMetric(
        "Accounts engaged", "The number of accounts that have interacted with your content.", _TV
    ),
    "total_interactions": _AccountMetric(
        "Content interactions", "The total number of post interactions, story interactions and reels interactions.", _TV
    ),
    "likes": _AccountMetric("Likes", "The number of likes on your posts, reels and videos.", _TV),
    "comments": _AccountMetric("Comments", "The number of comments on your posts, reels and videos.", _TV),
    "shares": _AccountMetric("Shares", "The number of shares of your posts, stories, reels and videos.", _TV),
    "saves": _AccountMetric("Saves", "The number of saves of your posts, reels and videos.", _TV),
}
DEMOGRAPHIC_METRICS = {
    "follower_demographics": "The demographic characteristics of followers, including countries, cities and gender "
    "distribution.",
    "reached_audience_demographics": "The demographic characteristics of the reached audience, including countries, "
    "cities and gender distribution.",
}
DEMOGRAPHIC_TITLES = {
    "follower_demographics": "Follower demographics",
    "reached_audience_demographics": "Reached audience demographics",
}
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "city", "country")
AGE_GENDER = "age,gender"
"""The one combination of breakdowns the sandbox serves (values like `["18-24", "F"]`)."""
TIMEFRAMES = ("this_week", "this_month")
AUDIENCE_METRICS = {"followers": "follower_demographics", "reach": "reached_audience_demographics"}
"""Warehouse audience -> Instagram demographic metric (what truth.py reports)."""
REACH_AGE_TILT = {"13-17": 1.5, "18-24": 1.35, "25-34": 1.1, "35-44": 0.95, "45-54": 0.85, "55-64": 0.75, "65+": 0.65}
"""How much more (or less) each age bucket weighs in the reached audience than among followers."""

# -- media insights -------------------------------------------------------------------

_POST_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
"""What feed posts and reels both have, in the order the API lists them."""
FEED_METRICS = (*_POST_METRICS, "follows", "profile_visits", "profile_activity")
REELS_METRICS = (*_POST_METRICS, "ig_reels_avg_watch_time", "ig_reels_video_view_total_time")
STORY_METRICS = (
    "views",
    "reach",
    "replies",
    "navigation",
    "shares",
    "follows",
    "profile_visits",
    "profile_activity",
    "total_interactions",
)
MEDIA_METRICS_BY_PRODUCT: dict[str, tuple[str, ...]] = {
    "FEED": FEED_METRICS,
    "REELS": REELS_METRICS,
    "STORY": STORY_METRICS,
}
KNOWN_MEDIA_METRICS: tuple[str, ...] = tuple(dict.fromkeys((*FEED_METRICS, *REELS_METRICS, *STORY_METRICS)))
MEDIA_METRIC_TITLES = {
    "views": "Views",
    "reach": "Accounts reached",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "saved": "Saved",
    "total_interactions": "Interactions",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "profile_activity": "Profile activity",
    "ig_reels_avg_watch_time": "Average watch time",
    "ig_reels_video_view_total_time": "Watch time",
    "replies": "Replies",
    "navigation": "Navigation",
}

USER_FIELDS = ("id", "username", "name", "biography", "website", "followers_count", "follows_count", "media_count")
MEDIA_FIELDS = (
    "id",
    "caption",
    "media_type",
    "media_product_type",
    "permalink",
    "shortcode",
    "timestamp",
    "username",
    "like_count",
    "comments_count",
    "is_comment_enabled",
    "owner",
)
COMMENT_FIELDS = (
    "id",
    "text",
    "timestamp",
    "username",
    "like_count",
    "replies",
    "from",
    "parent_id",
    "hidden",
    "media",
)

_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Followers' cities: the region's towns first, then France's big cities and a few abroad.
_LOCAL_TOWNS = tuple(
    f"{town}{suffix}, Val-d'Argent"
    for town in (
        "Argentières",
        "Montval",
        "Beaulieu",
        "Rochebrune",
        "Villeneuve",
        "Fontaine",
        "Belcourt",
        "Marigny",
        "Sainte-Claire",
        "Courval",
        "Pontarlieu",
        "Saint-Amand",
        "Lorval",
        "Bréville",
    )
    for suffix in ("", "-sur-Argent", "-les-Bains")
)
_OTHER_CITIES = (
    "Paris, Île-de-France",
    "Lyon, Auvergne-Rhône-Alpes",
    "Marseille, Provence-Alpes-Côte d'Azur",
    "Toulouse, Occitanie",
    "Lille, Hauts-de-France",
    "Bordeaux, Nouvelle-Aquitaine",
    "Nantes, Pays de la Loire",
    "Strasbourg, Grand Est",
    "Montpellier, Occitanie",
    "Rennes, Bretagne",
    "Grenoble, Auvergne-Rhône-Alpes",
    "Dijon, Bourgogne-Franche-Comté",
    "Tours, Centre-Val de Loire",
    "Brussels, Brussels Region",
    "Geneva, Geneva",
)
CITIES: tuple[str, ...] = (*_LOCAL_TOWNS, *_OTHER_CITIES)
COUNTRIES: dict[str, float] = {
    "FR": 0.915,
    "BE": 0.018,
    "CH": 0.014,
    "ES": 0.008,
    "IT": 0.007,
    "DE": 0.006,
    "GB": 0.006,
    "PT": 0.005,
    "CA": 0.005,
    "US": 0.005,
    "MA": 0.004,
    "LU": 0.003,
    "NL": 0.002,
    "SN": 0.002,
}


# -- pure functions (the sandbox's Instagram truth beyond sandbox.truth) ------------------


def media_type(post: Post) -> str:
    """IG media_type of a world post."""
    if post.format == "photo":
        return "CAROUSEL_ALBUM" if stable_int("ig-carousel", post.serial) % 4 == 0 else "IMAGE"
    return "VIDEO"


def media_product_type(post: Post) -> str:
    """IG media_product_type of a world post (the world has no stories)."""
    return "REELS" if post.format == "reel" else "FEED"


def shortcode(post: Post) -> str:
    number, chars = post.serial, []
    while number:
        number, rest = divmod(number, 64)
        chars.append(_SHORTCODE_ALPHABET[rest])
    return "C" + "".join(reversed(chars))


def media_extras(world: World, post: Post, as_of: date) -> dict[str, int]:
    """IG-only media counters (not in the world), settled like the world's counters."""
    totals = world.post_totals(post)
    gen = rng(world.seed, "ig-media-extras", post.account.key, post.serial)
    follows = int(totals.views * gen.uniform(0.0005, 0.002))
    visits = int(totals.views * gen.uniform(0.005, 0.02))
    activity = int(visits * gen.uniform(0.1, 0.35))
    avg_watch_ms = gen.randint(3500, 16000)
    age = (as_of - post.day).days
    views = settle(totals.views, age)
    return {
        "follows": settle(follows, age),
        "profile_visits": settle(visits, age),
        "profile_activity": settle(activity, age),
        "ig_reels_avg_watch_time": avg_watch_ms if views else 0,
        "ig_reels_video_view_total_time": avg_watch_ms * views,
    }


def media_insight_values(world: World, post: Post, as_of: date) -> dict[str, int]:
    """Every lifetime media metric the sandbox can serve for `post`, as of the end of `as_of`."""
    m = world.post_metrics(post, as_of)
    return {
        "views": m.views,
        "reach": m.viewers,
        "likes": m.reactions_total,
        "comments": m.comments,
        "shares": m.shares,
        "saved": m.clicks,
        "total_interactions": m.engagements,
        **media_extras(world, post, as_of),
    }


def account_interactions(world: World, account: Account, day: date) -> dict[str, int]:
    """Likes, comments, shares and saves received on UTC `day` (deltas of the posts' counters)."""
    totals = {"likes": 0, "comments": 0, "shares": 0, "saves": 0}
    for post in world.posts_between(account, day - timedelta(days=len(SETTLING_PER_MILLE) - 1), day):
        now, before = world.post_metrics(post, day), world.post_metrics(post, day - DAY)
        totals["likes"] += now.reactions_total - before.reactions_total
        totals["comments"] += now.comments - before.comments
        totals["shares"] += now.shares - before.shares
        totals["saves"] += now.clicks - before.clicks
    return totals


def account_day_values(world: World, account: Account, day: date) -> dict[str, int]:
    """The account's day-period metrics for one UTC day, by IG metric name."""
    row = world.account_day(account, day)
    engaged_share = rng(world.seed, "ig-accounts-engaged", account.key, day.isoformat()).uniform(0.55, 0.8)
    return {
        "reach": row.viewers,
        "follower_count": row.follows,
        "views": row.views,
        "accounts_engaged": int(row.post_engagements * engaged_share),
        "total_interactions": row.post_engagements,
        **account_interactions(world, account, day),
    }


def _shares(weights: Mapping[str, float], total: int) -> dict[str, int]:
    norm = sum(weights.values())
    return {key: int(total * w / norm) for key, w in weights.items()}


def _demographic_split(
    gen: random.Random, audience: Mapping[tuple[str, str], float], breakdown: str, known: int
) -> dict[str, int]:
    """`known` people split by one breakdown (or `age,gender`); ages and genders follow `audience`."""
    if breakdown == "age":
        return _shares({age: sum(audience[(age, g)] for g in GENDERS) for age in AGE_BUCKETS}, known)
    if breakdown == "gender":
        return _shares({g: sum(audience[(age, g)] for age in AGE_BUCKETS) for g in GENDERS}, known)
    if breakdown == AGE_GENDER:
        return _shares({f"{age},{g}": audience[(age, g)] for age in AGE_BUCKETS for g in GENDERS}, known)
    if breakdown == "country":
        return _shares(COUNTRIES, known)
    if breakdown == "city":
        order = list(CITIES)
        gen.shuffle(order)
        local_first = sorted(order, key=lambda c: c not in _LOCAL_TOWNS)  # stable: shuffled within groups
        weights = {city: 1.0 / (rank + 1) ** 1.05 for rank, city in enumerate(local_first)}
        return _shares(weights, int(known * 0.88))
    raise ValueError(f"unknown breakdown {breakdown}")


def follower_demographics(world: World, account: Account, as_of: date, breakdown: str) -> dict[str, int]:
    """Followers with a known value per breakdown value (all values, before the top-45 cut).

    Only followers whose demographics Instagram knows are counted, so every
    breakdown sums to less than followers_count, as on the real API. `age,gender`
    values are keyed `"<age>,<gender>"`.
    """
    followers = world.followers(account, as_of)
    gen = rng(world.seed, "ig-demographics", account.key)
    known = int(followers * gen.uniform(0.86, 0.94))
    return _demographic_split(gen, account.audience, breakdown, known)


def timeframe_start(as_of: date, timeframe: str) -> date:
    """First day a demographics timeframe ending on `as_of` covers (never before EPOCH).

    this_month: the 1st of as_of's month; this_week: the Monday of its week. The real
    API's exact window is not documented (❓): the sandbox counts up to yesterday.
    """
    if timeframe not in TIMEFRAMES:
        raise ValueError(f"unknown timeframe {timeframe}")
    first = as_of.replace(day=1) if timeframe == "this_month" else as_of - timedelta(days=as_of.weekday())
    return max(first, EPOCH)


def reached_accounts(world: World, account: Account, as_of: date, timeframe: str = "this_month") -> int:
    """Unique accounts reached from timeframe_start to the end of `as_of`.

    The best day's viewers plus a small share of the other days' viewers (most of
    them were already reached): never decreasing within a timeframe.
    """
    first = timeframe_start(as_of, timeframe)
    daily = [world.account_day(account, first + timedelta(days=i)).viewers for i in range((as_of - first).days + 1)]
    if not daily:
        return 0
    new_share = rng(world.seed, "ig-reach-overlap", account.key, timeframe, first.isoformat()).uniform(0.15, 0.25)
    return max(daily) + int((sum(daily) - max(daily)) * new_share)


def reached_audience_demographics(
    world: World, account: Account, as_of: date, breakdown: str, timeframe: str = "this_month"
) -> dict[str, int]:
    """Reached accounts with a known value per breakdown value (before the top-45 cut)."""
    gen = rng(world.seed, "ig-reach-demographics", account.key)
    known = int(reached_accounts(world, account, as_of, timeframe) * gen.uniform(0.78, 0.9))
    tilted = {(age, g): share * REACH_AGE_TILT[age] for (age, g), share in account.audience.items()}
    return _demographic_split(gen, tilted, breakdown, known)


def demographics(
    world: World, account: Account, as_of: date, metric: str, breakdown: str, timeframe: str = "this_month"
) -> dict[str, int]:
    """Every value of one demographic metric and breakdown, before the top-45 cut and the threshold."""
    if metric == "follower_demographics":
        return follower_demographics(world, account, as_of, breakdown)
    if metric == "reached_audience_demographics":
        return reached_audience_demographics(world, account, as_of, breakdown, timeframe)
    raise ValueError(f"unknown demographic metric {metric}")


def top_values(
    values: Mapping[str, int], limit: int = TOP_VALUES, threshold: int = PRIVACY_THRESHOLD
) -> list[tuple[str, int]]:
    """What the API serves: the `limit` largest values, largest first (ties by name),
    values under the privacy `threshold` (zeros included) withheld."""
    ranked = sorted(((k, v) for k, v in values.items() if v >= threshold), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]


def audience_rows(world: World, account: Account, as_of: date, timeframe: str = "this_month") -> list[dict[str, Any]]:
    """The ground truth of the age x gender grid as of the end of `as_of`, per warehouse audience.

    Every (age bucket, gender) of the world, with its true value and whether the API
    withholds it (under the threshold): what `breakdown=age,gender` serves on
    `as_of` + 1 is exactly the rows with is_withheld false.
    """
    rows: list[dict[str, Any]] = []
    for audience, metric in AUDIENCE_METRICS.items():
        values = demographics(world, account, as_of, metric, AGE_GENDER, timeframe)
        served = dict(top_values(values))
        rows.extend(
            {
                "platform": account.platform,
                "account_id": account.account_id,
                "date": as_of.isoformat(),
                "audience": audience,
                "metric": metric,
                "timeframe": timeframe,
                "age_bucket": age,
                "gender": g,
                "value": values[f"{age},{g}"],
                "is_withheld": f"{age},{g}" not in served,
            }
            for age in AGE_BUCKETS
            for g in GENDERS
        )
    return rows


def commenter_username(comment: Comment) -> str:
    """The handle a commenter shows on Instagram: the account's own for its replies."""
    if comment.is_from_page:
        return comment.post.account.username
    ascii_name = unicodedata.normalize("NFKD", comment.author_name).encode("ascii", "ignore").decode()
    handle = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
    return f"{handle}{int(comment.author_id) % 1000:03d}"


def commenter_igsid(comment: Comment) -> str:
    """Instagram-scoped id of a commenter (the account's own id for its replies)."""
    if comment.is_from_page:
        return comment.post.account.account_id
    return f"1{stable_int('igsid', comment.author_id) % 10**16:016d}"


# -- the platform -------------------------------------------------------------------------


def _invalid_metric_list(index: int, name: str, valid: tuple[str, ...]) -> GraphError:
    return GraphError(
        f"(#100) metric[{index}] must be one of the following values: {', '.join(valid)}",
        code=100,
        user_title="Invalid insights metric",
        user_msg=f"The metric {name} does not exist or has been deprecated.",
    )


def _unsupported_for_product(name: str) -> GraphError:
    return invalid_parameter(f"The Media Insights API does not support the {name} metric for this media product type.")


REPLY_FIELDS = tuple(f for f in COMMENT_FIELDS if f != "replies")
"""Fields of the `replies{...}` sub-selection: replies have no replies."""


class InstagramPlatform(GraphPlatform):
    """The Instagram Graph API (Facebook Login) for the region's professional accounts."""

    name = "instagram"
    buc_type = "instagram"
    app_throttle_code = IG_THROTTLE_CODE
    account_throttle_code = IG_THROTTLE_CODE
    token_type = "USER"
    token_scopes = (
        "instagram_basic",
        "instagram_manage_insights",
        "instagram_manage_comments",
        "pages_read_engagement",
    )

    # -- ids ---------------------------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return f"{MEDIA_ID_PREFIX}{post.serial}"

    @staticmethod
    def post_permalink(post: Post) -> str:
        kind = "reel" if post.format == "reel" else "p"
        return f"https://www.instagram.com/{kind}/{shortcode(post)}/"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return f"{COMMENT_ID_PREFIX}{comment_serial}"

    # -- nodes (see GraphPlatform.handle) ----------------------------------------

    def _throttled(self, code: int, retry_after_seconds: int, headers: dict[str, str]) -> GraphError:
        """Instagram answers every throttle, app or account, injected or not, with 80002."""
        return throttled(IG_THROTTLE_CODE, retry_after_seconds, headers, message=IG_THROTTLE_MESSAGE)

    def _account_id_in_path(self, path: str) -> str | None:
        segments = node_segments(path)
        if not segments:
            return None
        account = self._account_of_node(segments[0])
        return account.account_id if account else None

    def _post_of_serial(self, serial: int) -> Post | None:
        decoded = decode_post_serial(serial)
        if decoded is None:
            return None
        account = region.account_by_slot(self.name, decoded[1])
        return self.world.find_post(account, serial) if account else None

    def _account_of_node(self, node_id: str) -> Account | None:
        account = region.account_by_id(self.name, node_id)
        if account or not node_id.isdigit() or len(node_id) != 18:
            return account
        serial = int(node_id[2:])
        if node_id.startswith(COMMENT_ID_PREFIX):
            serial = POST_SERIAL_BASE + (serial - COMMENT_SERIAL_BASE) // 1000
        post = self._post_of_serial(serial)
        return post.account if post else None

    def _find_node(self, call: GraphCall, node_id: str) -> tuple[Account | None, Post | None, Comment | None]:
        """An IG user, or a media (`17…`) or comment (`18…`) created before now, by its 18-digit id."""
        account = region.account_by_id(self.name, node_id)
        post: Post | None = None
        comment: Comment | None = None
        if account is None and node_id.isdigit() and len(node_id) == 18:
            serial = int(node_id[2:])
            if node_id.startswith(MEDIA_ID_PREFIX):
                post = self._post_of_serial(serial)
            elif node_id.startswith(COMMENT_ID_PREFIX):
                post = self._post_of_serial(POST_SERIAL_BASE + (serial - COMMENT_SERIAL_BASE) // 1000)
                if post is not None:
                    found = [c for c in self.world.comments_before(post, call.now) if c.serial == serial]
                    comment = found[0] if found else None
                    if comment is None:
                        post = None
            if post is not None and post.created_at < call.now:
                account = post.account
        return account, post, comment

    def _dispatch(self, call: GraphCall, target: GraphTarget) -> dict[str, Any]:
        if target.tail:
            raise unsupported_get(f"{target.node_id}/{target.edge}/{'/'.join(target.tail)}")
        if target.comment is not None:
            if target.edge is None:
                return self._comment_node(call, target.comment)
            if target.edge == "replies":
                return self._replies(call, target.comment)
            raise nonexisting_field(target.edge, "IGComment")
        if target.post is not None:
            if target.edge is None:
                return self._media_node(call, target.post)
            if target.edge == "insights":
                return self._media_insights(call, target.post)
            if target.edge == "comments":
                return self._comments(call, target.post)
            raise nonexisting_field(target.edge, "IGMedia")
        if target.edge is None:
            return self._user_node(call, target.account)
        if target.edge == "insights":
            return self._account_insights(call, target.account)
        if target.edge == "media":
            return self._media_list(call, target.account)
        raise nonexisting_field(target.edge, "IGUser")

    # -- IG user -----------------------------------------------------------------

    def media_count(self, account: Account, today: date) -> int:
        """Media published before `today` (plus the account's archive from before EPOCH)."""
        archive = rng(self.state.seed, "ig-archive", account.key).randint(300, 900)
        first, last = EPOCH, today - DAY
        return archive + sum(1 for _ in self.world.posts_between(account, first, last))

    def _user_node(self, call: GraphCall, account: Account) -> dict[str, Any]:
        fields = checked_fields(call.request.query.get("fields"), ("id", "username"), USER_FIELDS, "IGUser")
        needs_count = "media_count" in fields
        values = {
            "id": account.account_id,
            "username": account.username,
            "name": account.name,
            "biography": f"Compte officiel · {account.name}",
            "website": "https://www.valdargent.example",
            "followers_count": self.world.followers(account, call.as_of),
            "follows_count": rng(self.state.seed, "ig-follows", account.key).randint(120, 640),
            "media_count": self.media_count(account, call.today) if needs_count else None,
        }
        return {f: values[f] for f in [*fields, "id"] if values.get(f) is not None}

    def _insight_window(self, call: GraphCall) -> tuple[list[date], datetime, datetime]:
        since, until = insights_window(call.request.query, call.now, MAX_INSIGHTS_SPAN_SECONDS)
        if since >= until:
            raise since_before_until()
        last = min((until - timedelta(microseconds=1)).date(), call.as_of)
        return insight_days(call.today, since, last), since, until

    def _account_insights(self, call: GraphCall, account: Account) -> dict[str, Any]:
        query = call.request.query
        names = metric_names(query)
        valid = (*ACCOUNT_METRICS, *DEMOGRAPHIC_METRICS)
        for i, name in enumerate(names):
            if name not in valid:
                raise _invalid_metric_list(i, name, valid)
        demographic = [n for n in names if n in DEMOGRAPHIC_METRICS]
        if demographic and len(demographic) != len(names):
            raise invalid_parameter("Demographic metrics cannot be requested together with day metrics")
        if demographic:
            return self._demographics(call, account, demographic)
        period = query.get("period") or ""
        if period != "day":
            raise invalid_parameter(f"period must be one of the following values: day (got {period or 'none'})")
        metric_type = query.get("metric_type") or "time_series"
        if metric_type not in ("time_series", "total_value"):
            raise invalid_parameter("metric_type must be one of the following values: time_series, total_value")
        wrong = [n for n in names if metric_type not in ACCOUNT_METRICS[n].types]
        if wrong and metric_type == "time_series":
            raise invalid_parameter(
                f"The following metrics ({', '.join(wrong)}) should be specified with parameter metric_type=total_value"
            )
        if wrong:
            raise invalid_parameter(f"metric_type=total_value is not supported for the metrics ({', '.join(wrong)})")
        if query.get("breakdown"):
            raise invalid_parameter(
                f"The breakdown {query['breakdown']} is not supported by the sandbox for these metrics"
            )
        days, since, until = self._insight_window(call)
        if not days:  # Instagram answers an empty data set, not zeros
            return {"data": []}
        series = [account_day_values(self.world, account, d) for d in days]
        data = []
        for name in names:
            metric = ACCOUNT_METRICS[name]
            value: dict[str, Any]
            if metric_type == "time_series":
                value = {
                    "values": [
                        {"value": values[name], "end_time": end_time(d)} for d, values in zip(days, series, strict=True)
                    ]
                }
            else:
                value = {"total_value": {"value": sum(values[name] for values in series)}}
            data.append(insight(account.account_id, name, "day", metric.title, metric.description, **value))
        result: dict[str, Any] = {"data": data}
        if metric_type == "time_series":
            result["paging"] = window_paging(call.request, since, until)
        return result

    def _demographics(self, call: GraphCall, account: Account, names: list[str]) -> dict[str, Any]:
        query = call.request.query
        if (query.get("period") or "") != "lifetime":
            raise invalid_parameter(f"Metric {names[0]} only supports the period lifetime")
        if (query.get("metric_type") or "") != "total_value":
            raise invalid_parameter(
                f"The following metrics ({', '.join(names)}) should be specified with parameter metric_type=total_value"
            )
        timeframe = query.get("timeframe") or ""
        if timeframe not in TIMEFRAMES:
            raise invalid_parameter(f"timeframe must be one of the following values: {', '.join(TIMEFRAMES)}")
        keys = [k.strip() for k in (query.get("breakdown") or "").split(",")]
        if any(k not in DEMOGRAPHIC_BREAKDOWNS for k in keys):
            raise invalid_parameter(
                f"breakdown must be one of the following values: {', '.join(DEMOGRAPHIC_BREAKDOWNS)}"
            )
        if len(keys) > 1 and sorted(keys) != ["age", "gender"]:
            raise invalid_parameter(
                f"The breakdown {','.join(keys)} is not supported by the sandbox (combinations: age,gender)"
            )
        breakdown = AGE_GENDER if len(keys) > 1 else keys[0]
        data = []
        for name in names:
            values = demographics(self.world, account, call.as_of, name, breakdown, timeframe)
            results = []
            for key, value in top_values(values):
                dimension_values = key.split(",") if len(keys) > 1 else [key]
                if keys[0] == "gender" and len(keys) > 1:
                    dimension_values.reverse()
                results.append({"dimension_values": dimension_values, "value": value})
            data.append(
                {
                    "name": name,
                    "period": "lifetime",
                    "title": DEMOGRAPHIC_TITLES[name],
                    "description": DEMOGRAPHIC_METRICS[name],
                    "total_value": {"breakdowns": [{"dimension_keys": keys, "results": results}]},
                    "id": f"{account.account_id}/insights/{name}/lifetime",
                }
            )
        return {"data": data}

    # -- media -------------------------------------------------------------------

    def _media_values(self, call: GraphCall, post: Post, fields: list[str]) -> dict[str, Any]:
        metrics = self.world.post_metrics(post, call.as_of)
        values: dict[str, Any] = {
            "id": self.post_id(post),
            "caption": post.message,
            "media_type": media_type(post),
            "media_product_type": media_product_type(post),
            "permalink": self.post_permalink(post),
            "shortcode": shortcode(post),
            "timestamp": graph_time(post.created_at),
            "username": post.account.username,
            "like_count": metrics.reactions_total,
            "comments_count": len(self.world.comments_before(post, call.now)),
            "is_comment_enabled": True,
            "owner": {"id": post.account.account_id},
        }
        return {f: values[f] for f in [*fields, "id"] if values.get(f) is not None}

    @staticmethod
    def _media_fields(call: GraphCall) -> list[str]:
        return checked_fields(call.request.query.get("fields"), ("id",), MEDIA_FIELDS, "IGMedia")

    def _media_node(self, call: GraphCall, post: Post) -> dict[str, Any]:
        return self._media_values(call, post, self._media_fields(call))

    def _media_list(self, call: GraphCall, account: Account) -> dict[str, Any]:
        """Newest first, cursor-paged; optional since/until bound the creation time."""
        fields = self._media_fields(call)
        return self._posts_page(call, account, "media", lambda post: self._media_values(call, post, fields))

    def _media_insights(self, call: GraphCall, post: Post) -> dict[str, Any]:
        query = call.request.query
        names = metric_names(query)
        for i, name in enumerate(names):
            if name not in KNOWN_MEDIA_METRICS:
                raise _invalid_metric_list(i, name, KNOWN_MEDIA_METRICS)
        allowed = MEDIA_METRICS_BY_PRODUCT[media_product_type(post)]
        for name in names:
            if name not in allowed:
                raise _unsupported_for_product(name)
        if query.get("period") not in (None, "", "lifetime"):
            raise invalid_parameter("period must be one of the following values: lifetime")
        if query.get("breakdown"):
            raise invalid_parameter(f"The breakdown {query['breakdown']} is not supported by the sandbox")
        values = media_insight_values(self.world, post, call.as_of)
        media_id = self.post_id(post)
        data = []
        for name in names:
            title = MEDIA_METRIC_TITLES[name]
            description = f"Lifetime: {title} of this media."
            data.append(insight(media_id, name, "lifetime", title, description, values=[{"value": values[name]}]))
        return {"data": data}

    # -- comments ------------------------------------------------------------------

    def _comment_fields(self, call: GraphCall) -> tuple[list[str], list[str]]:
        """Top-level fields and the fields of the `replies{...}` sub-selection."""
        raw = call.request.query.get("fields")
        fields = checked_fields(raw, ("id", "text", "timestamp"), COMMENT_FIELDS, "IGComment")
        reply_fields = ["id", "text", "timestamp"]
        match = re.search(r"replies\{([^}]*)\}", raw or "")
        if match:
            reply_fields = checked_fields(match.group(1), ("id",), REPLY_FIELDS, "IGComment")
        return fields, reply_fields

    def _comment_values(
        self, comment: Comment, fields: list[str], replies: list[Comment], reply_fields: list[str]
    ) -> dict[str, Any]:
        post = comment.post
        values: dict[str, Any] = {
            "id": self.comment_id(post, comment.serial),
            "text": comment.message,
            "timestamp": graph_time(comment.created_at),
            "username": commenter_username(comment),
            "like_count": comment.like_count,
            "from": {"id": commenter_igsid(comment), "username": commenter_username(comment)},
            "parent_id": (self.comment_id(post, comment.parent_serial) if comment.parent_serial is not None else None),
            "hidden": False,
            "media": {"id": self.post_id(post)},
            "replies": (
                {"data": [self._comment_values(r, reply_fields, [], []) for r in replies]} if replies else None
            ),
        }
        return {f: values[f] for f in [*fields, "id"] if values.get(f) is not None}

    def _comments(self, call: GraphCall, post: Post) -> dict[str, Any]:
        """Top-level comments, oldest first, each with its replies when `replies{...}` is asked."""
        fields, reply_fields = self._comment_fields(call)
        everything = self.world.comments_before(post, call.now)
        replies: dict[int, list[Comment]] = {}
        for c in everything:
            if c.parent_serial is not None:
                replies.setdefault(c.parent_serial, []).append(c)
        top = [c for c in everything if c.parent_serial is None]
        page, paging = cursor_page(call.request, top, "comment", MAX_COMMENTS_LIMIT)
        result: dict[str, Any] = {
            "data": [self._comment_values(c, fields, replies.get(c.serial, []), reply_fields) for c in page]
        }
        if paging:
            result["paging"] = paging
        return result

    def _comment_node(self, call: GraphCall, comment: Comment) -> dict[str, Any]:
        fields, reply_fields = self._comment_fields(call)
        replies = [c for c in self.world.comments_before(comment.post, call.now) if c.parent_serial == comment.serial]
        return self._comment_values(comment, fields, replies, reply_fields)

    def _replies(self, call: GraphCall, comment: Comment) -> dict[str, Any]:
        fields, _ = self._comment_fields(call)
        replies = [c for c in self.world.comments_before(comment.post, call.now) if c.parent_serial == comment.serial]
        page, paging = cursor_page(call.request, replies, "reply", MAX_COMMENTS_LIMIT)
        result: dict[str, Any] = {"data": [self._comment_values(c, fields, [], []) for c in page]}
        if paging:
            result["paging"] = paging
        return result
