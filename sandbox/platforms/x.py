"""X (API v2), as `https://api.x.com/2/` serves it (path prefix `/x`).

Point an X client at `http://127.0.0.1:PORT/x/2/` instead of `https://api.x.com/2/`.
Served endpoints:

* `GET /2/users/:id` and `/2/users/by/username/:username` with `user.fields`
  (`public_metrics` = followers_count, following_count, tweet_count, listed_count);
* `GET /2/users/:id/tweets`: the account's posts, newest first, `max_results` 5–100,
  `pagination_token`, `start_time`/`end_time`, `since_id`/`until_id`,
  `exclude=retweets,replies`, `tweet.fields`, `expansions=attachments.media_keys`
  with `media.fields`; only the 3,200 most recent posts are reachable, as on X;
* `GET /2/tweets/search/recent` (last 7 days) and `/2/tweets/search/all` (full
  archive; without `start_time` it searches the last 30 days, as X does), with
  `query=conversation_id:<id> [OR conversation_id:<id> ...]` (optionally `is:reply`;
  at most 512 / 1,024 characters), newest first, `max_results` 10–100 / 10–500,
  `next_token` (or `pagination_token`), `start_time`/`end_time`.

"Now" is 00:00 UTC of the simulated `today`, like every simulator: posts and replies
created before it exist, counters are those of the end of `today - 1`.

World → X mapping (what each X number is, so `sandbox.truth` reconciles):

* `impression_count` = world views; promoted part = views_paid, organic = the rest
  (public = organic + promoted, as X documents);
* `like_count` = reactions_total; `retweet_count + quote_count` = shares, quotes being
  a deterministic 10–25 % of shares (`x_post_metrics`); quotes are always organic;
* `reply_count` = the world's comment count (replies to replies included, as the
  conversation search lists them); `url_link_clicks` = clicks;
* `bookmark_count` (2–6 % of likes) and `user_profile_clicks` (0.05–0.2 % of views)
  are derived deterministically from the post; `engagements` (non-public) = likes +
  retweets + quotes + replies + url_link_clicks + user_profile_clicks + bookmarks;
* promoted parts of likes, replies, retweets and clicks follow the paid share of views;
* `non_public_metrics` and `organic_metrics` only for posts created in the last 30
  days, `promoted_metrics` only for promoted (world: sponsored) posts of that window;
  older posts simply omit those objects, as X does;
* replies = world comments; `author_id` is the commenter's world id (the account's own
  id for its answers); `in_reply_to_user_id` is the author of the replied-to post;
* X has no account-level daily series: only the user's public_metrics snapshot
  (followers = world followers at the end of `today - 1`).

Ids are snowflakes: `(ms since 2010-11-04 << 22) | low bits`. A post id's low bits
hold (slot, index in its day), so ids decode without a lookup and sort by time; a
reply id carries its conversation's timestamp with a reply flag and the reply's
position (a sandbox simplification: real reply ids carry their own time).

Tokens (`Authorization: Bearer ...`): `sandbox-token` is an OAuth 2.0 user-context
token that reads every account; `sandbox-app-token` is app-only (public metrics only:
asking it for non-public metrics answers 403 unsupported-authentication);
`sandbox-expired…`, anything else or none → 401. Rate limits: per endpoint and token,
15-minute windows (users 900, user tweets 900, search recent 300, search all 300),
reported on every response as `x-rate-limit-limit/remaining/reset` (epoch seconds).
"""

from __future__ import annotations

import base64
import math
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox import region
from sandbox.determinism import rng
from sandbox.faults import FaultRule
from sandbox.platforms.base import ApiError, Call, Platform, Request, Response
from sandbox.ratelimit import RollingWindow, Usage
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start
from sandbox.world import Comment, Post, World

if TYPE_CHECKING:
    from sandbox.state import SandboxState

TWITTER_EPOCH_MS = 1_288_834_974_657
WINDOW_SECONDS = 900.0
DEFAULT_BUDGETS: dict[str, int] = {"users": 900, "user_tweets": 900, "search_recent": 300, "search_all": 300}
TIMELINE_CAP = 3200
PRIVATE_METRICS_DAYS = 30
RECENT_SEARCH_DAYS = 7
MAX_QUERY_RECENT = 512
MAX_QUERY_FULL_ARCHIVE = 1024
ALL_SEARCH_DEFAULT_DAYS = 30

USER_TOKEN = "sandbox-token"
APP_TOKEN = "sandbox-app-token"
EXPIRED_PREFIX = "sandbox-expired"

PROBLEMS = "https://api.x.com/2/problems/"

USER_FIELDS = (
    "created_at",
    "description",
    "id",
    "location",
    "name",
    "pinned_tweet_id",
    "profile_image_url",
    "protected",
    "public_metrics",
    "url",
    "username",
    "verified",
    "verified_type",
)
TWEET_FIELDS = (
    "attachments",
    "author_id",
    "conversation_id",
    "created_at",
    "edit_history_tweet_ids",
    "entities",
    "id",
    "in_reply_to_user_id",
    "lang",
    "non_public_metrics",
    "organic_metrics",
    "possibly_sensitive",
    "promoted_metrics",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "source",
    "text",
)
PRIVATE_FIELDS = ("non_public_metrics", "organic_metrics", "promoted_metrics")
MEDIA_FIELDS = ("duration_ms", "height", "media_key", "preview_image_url", "type", "url", "width")
EXPANSIONS = ("attachments.media_keys", "author_id", "referenced_tweets.id")

_URL = re.compile(r"https?://\S+")
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_QUERY_CONVERSATION = re.compile(r"^conversation_id:([0-9]{1,19})$")


# -- ids ----------------------------------------------------------------------------------


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS


def snowflake_time(snowflake: int) -> datetime:
    """The creation instant a snowflake id carries (millisecond precision)."""
    return datetime.fromtimestamp(((snowflake >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)


def _post_snowflake(post: Post) -> int:
    return (_ms(post.created_at) << 22) | ((post.serial % 1000) << 11) | (post.account.slot << 4) | post.index


def _reply_snowflake(post: Post, comment_serial: int) -> int:
    position = comment_serial % 1000
    return (_ms(post.created_at) << 22) | (1 << 21) | (position << 11) | (post.account.slot << 4) | post.index


def x_time(moment: datetime) -> str:
    """X's timestamp format: `2026-11-25T09:30:00.000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# -- the world seen as X numbers -------------------------------------------------------------


@dataclass(frozen=True)
class XPostMetrics:
    """Every counter X reports for a post as of the end of a UTC day (see module docstring)."""

    impressions: int
    impressions_promoted: int
    likes: int
    retweets: int
    quotes: int
    replies: int
    bookmarks: int
    url_link_clicks: int
    user_profile_clicks: int

    @property
    def engagements(self) -> int:
        return (
            self.likes
            + self.retweets
            + self.quotes
            + self.replies
            + self.url_link_clicks
            + self.user_profile_clicks
            + self.bookmarks
        )

    def promoted(self, value: int) -> int:
        """The promoted part of a counter: its share of promoted impressions."""
        return value * self.impressions_promoted // self.impressions if self.impressions else 0

    def public(self) -> dict[str, int]:
        return {
            "retweet_count": self.retweets,
            "reply_count": self.replies,
            "like_count": self.likes,
            "quote_count": self.quotes,
            "bookmark_count": self.bookmarks,
            "impression_count": self.impressions,
        }

    def non_public(self) -> dict[str, int]:
        return {
            "impression_count": self.impressions,
            "url_link_clicks": self.url_link_clicks,
            "user_profile_clicks": self.user_profile_clicks,
            "engagements": self.engagements,
        }

    def promoted_metrics(self) -> dict[str, int]:
        return {
            "impression_count": self.impressions_promoted,
            "like_count": self.promoted(self.likes),
            "reply_count": self.promoted(self.replies),
            "retweet_count": self.promoted(self.retweets),
            "url_link_clicks": self.promoted(self.url_link_clicks),
            "user_profile_clicks": self.promoted(self.user_profile_clicks),
        }

    def organic_metrics(self) -> dict[str, int]:
        promoted = self.promoted_metrics()
        totals = {
            "impression_count": self.impressions,
            "like_count": self.likes,
            "reply_count": self.replies,
            "retweet_count": self.retweets,
            "url_link_clicks": self.url_link_clicks,
            "user_profile_clicks": self.user_profile_clicks,
        }
        return {name: total - promoted[name] for name, total in totals.items()}


def x_post_metrics(world: World, post: Post, as_of: date) -> XPostMetrics:
    """The X counters of a world post as of the end of UTC day `as_of` (pure; tests use it as truth)."""
    metrics = world.post_metrics(post, as_of)
    gen = rng(world.seed, "x-split", post.account.key, post.serial)
    quote_share, bookmark_share, profile_share = gen.randint(100, 250), gen.randint(20, 60), gen.randint(5, 20)
    quotes = metrics.shares * quote_share // 1000
    return XPostMetrics(
        impressions=metrics.views,
        impressions_promoted=metrics.views_paid,
        likes=metrics.reactions_total,
        retweets=metrics.shares - quotes,
        quotes=quotes,
        replies=metrics.comments,
        bookmarks=metrics.reactions_total * bookmark_share // 1000,
        url_link_clicks=metrics.clicks,
        user_profile_clicks=metrics.views * profile_share // 10000,
    )


@dataclass(frozen=True)
class XUserProfile:
    """An account's X profile as of the end of a UTC day."""

    created_at: datetime
    followers_count: int
    following_count: int
    tweet_count: int
    listed_count: int


def x_user_profile(world: World, account: Account, as_of: date) -> XUserProfile:
    """Profile counters: followers from the world, the rest derived deterministically.

    tweet_count = posts from before the world's EPOCH (a per-account constant) plus
    every world post created up to the end of `as_of`.
    """
    gen = rng(world.seed, "x-profile", account.key)
    created = datetime(2010, 1, 1, tzinfo=UTC) + timedelta(seconds=gen.randrange(6 * 365 * 86400))
    following, listed_per_mille, before_epoch = gen.randint(180, 650), gen.randint(8, 15), gen.randint(4000, 9000)
    followers = world.followers(account, as_of)
    posted = sum(len(world.posts_on(account, EPOCH + timedelta(days=i))) for i in range((as_of - EPOCH).days + 1))
    return XUserProfile(
        created_at=created,
        followers_count=followers,
        following_count=following,
        tweet_count=before_epoch + posted,
        listed_count=followers * listed_per_mille // 1000,
    )


# -- errors ----------------------------------------------------------------------------------


class XError(ApiError):
    """An X API error; `response()` renders it in X's problem-details dialect."""

    def __init__(self, status: int, payload: dict[str, Any]):
        super().__init__(payload.get("detail", ""))
        self.status = status
        self.payload = payload

    def response(self) -> Response:
        return Response.json(self.payload, status=self.status)


def _blank(status: int, title: str) -> XError:
    return XError(status, {"title": title, "detail": title, "type": "about:blank", "status": status})


def unauthorized() -> XError:
    return _blank(401, "Unauthorized")


def too_many_requests() -> XError:
    return _blank(429, "Too Many Requests")


def internal_error() -> XError:
    return _blank(500, "Internal Server Error")


def not_found() -> XError:
    return _blank(404, "Not Found")


def invalid_request(parameter: str, value: str, message: str) -> XError:
    return XError(
        400,
        {
            "errors": [{"parameters": {parameter: [value]}, "message": message}],
            "title": "Invalid Request",
            "detail": "One or more parameters to your request was invalid.",
            "type": f"{PROBLEMS}invalid-request",
        },
    )


def unsupported_authentication() -> XError:
    return XError(
        403,
        {
            "title": "Unsupported Authentication",
            "detail": "Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.  "
            "Supported authentication types are [OAuth 1.0a User Context, OAuth 2.0 User Context].",
            "type": f"{PROBLEMS}unsupported-authentication",
            "status": 403,
        },
    )


def _user_not_found(parameter: str, value: str) -> dict[str, Any]:
    kind = "username" if parameter == "username" else "id"
    return {
        "value": value,
        "detail": f"Could not find user with {kind}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": f"{PROBLEMS}resource-not-found",
    }


# -- request helpers ---------------------------------------------------------------------------


def _fields(query: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> list[str]:
    raw = query.get(name)
    if raw is None or raw == "":
        return []
    values = [v.strip() for v in raw.split(",") if v.strip()]
    for value in values:
        if value not in allowed:
            raise invalid_request(
                name, raw, f"The `{name}` query parameter value [{value}] is not one of [{','.join(allowed)}]"
            )
    return list(dict.fromkeys(values))


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_request(name, raw, f"The `{name}` query parameter value [{raw}] is not between {low} and {high}")
    return int(raw)


def _time_param(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise invalid_request(
            name, raw, f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC 3339 timestamp (YYYY-MM-DDTHH:mm:ssZ)."
        )
    return moment.astimezone(UTC)


def _id_param(query: Mapping[str, str], name: str) -> int | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if not _DIGITS.match(raw):
        raise invalid_request(name, raw, f"The `{name}` query parameter value [{raw}] is not valid")
    return int(raw)


def encode_token(kind: str, snowflake: int) -> str:
    """An opaque paging token (lowercase base32 like X's), carrying where the next page starts."""
    return base64.b32encode(f"{kind}:{snowflake}".encode()).decode().rstrip("=").lower()


def decode_token(token: str, kind: str, parameter: str) -> int:
    try:
        raw = base64.b32decode(token.upper() + "=" * (-len(token) % 8)).decode()
        found, _, value = raw.partition(":")
        if found == kind and value.isdigit():
            return int(value)
    except (ValueError, UnicodeDecodeError):
        pass
    raise invalid_request(parameter, token, f"The `{parameter}` query parameter value [{token}] is not valid")


def _search_key(comment: Comment) -> int:
    """Sort key of a search result (creation second, then serial) packed into one integer for tokens."""
    return int(comment.created_at.timestamp()) * 10**17 + comment.serial


class _EndpointWindow(RollingWindow):
    """A rolling window on the wall clock that also tells when capacity frees up (X's reset)."""

    def reset_at(self, key: str) -> int:
        """Epoch second at which the oldest counted call leaves the window."""
        with self._lock:
            now = self._clock()
            calls = self._prune(key, now)
            return math.ceil((calls[0] if calls else now) + self.window_seconds)


@dataclass(frozen=True)
class _Call(Call):
    user_context: bool
    """True for a user-context token (private metrics allowed), False for app-only."""


class XPlatform(Platform):
    """X API v2 for the region's X accounts."""

    name = "x"

    def __init__(self, state: SandboxState):
        super().__init__(state)
        self.limits = {
            name: _EndpointWindow(budget, WINDOW_SECONDS, time.time) for name, budget in DEFAULT_BUDGETS.items()
        }

    # -- entry points ----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        endpoint = self._endpoint(request.path)
        token = self._token(request)
        usage: Usage | None = None
        try:
            if endpoint is None or request.method != "GET":
                raise not_found()
            call = _Call(request, self.state.today, self._check_token(token))
            usage = self.limits[endpoint].hit(self._limit_key(token))
            if not usage.allowed:
                raise too_many_requests()
            response = Response.json(self._dispatch(call, endpoint))
        except XError as error:
            response = error.response()
        if endpoint is not None:
            response.headers.update(self._rate_headers(endpoint, token, usage))
        return response

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        endpoint = self._endpoint(request.path)
        if rule.kind == "http_429":
            seconds = rule.seconds if rule.seconds is not None else 1.0
            response = too_many_requests().response()
            if endpoint is not None:
                window = self.limits[endpoint]
                response.headers.update(
                    {
                        "x-rate-limit-limit": str(window.budget),
                        "x-rate-limit-remaining": "0",
                        "x-rate-limit-reset": str(math.ceil(time.time() + seconds)),
                    }
                )
            return response
        if rule.kind == "http_500":
            response = internal_error().response()
        elif rule.kind in ("expired_token", "revoked_token"):  # X says 401 Unauthorized for both
            response = unauthorized().response()
        else:
            raise ValueError(f"fault kind {rule.kind!r} is not implemented for x")
        if endpoint is not None:
            response.headers.update(self._rate_headers(endpoint, self._token(request), None))
        return response

    def configure_ratelimit(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """`budget` (every endpoint) or `budgets` {endpoint: n}, `window_seconds`; `reset` clears counts."""
        budgets = dict(settings.get("budgets") or {})
        unknown = set(budgets) - set(self.limits)
        if unknown:
            raise ValueError(f"unknown x endpoints {sorted(unknown)}; known: {sorted(self.limits)}")
        for name, window in self.limits.items():
            budget = budgets.get(name, settings.get("budget", window.budget))
            window.configure(int(budget), float(settings.get("window_seconds", window.window_seconds)))
            if settings.get("reset"):
                window.reset()
        return {
            "platform": self.name,
            "budgets": {name: w.budget for name, w in self.limits.items()},
            "window_seconds": next(iter(self.limits.values())).window_seconds,
        }

    # -- ids -----------------------------------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return str(_post_snowflake(post))

    @staticmethod
    def post_permalink(post: Post) -> str:
        return f"https://x.com/{post.account.username}/status/{_post_snowflake(post)}"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return str(_reply_snowflake(post, comment_serial))

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def _endpoint(path: str) -> str | None:
        segments = [s for s in path.split("/") if s]
        if len(segments) < 3 or segments[0] != "2":
            return None
        if segments[1] == "users" and (len(segments) == 3 or (len(segments) == 4 and segments[2] == "by")):
            return "users"
        if segments[1] == "users" and len(segments) == 4 and segments[3] == "tweets":
            return "user_tweets"
        if segments[1:3] == ["users", "by"] and len(segments) == 5 and segments[3] == "username":
            return "users"
        if segments[1:3] == ["tweets", "search"] and len(segments) == 4 and segments[3] in ("recent", "all"):
            return f"search_{segments[3]}"
        return None

    @staticmethod
    def _token(request: Request) -> str | None:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        return value.strip() if scheme.lower() == "bearer" and value.strip() else None

    @staticmethod
    def _check_token(token: str | None) -> bool:
        """True for a user-context token, False for app-only; 401 otherwise."""
        if token == USER_TOKEN:
            return True
        if token == APP_TOKEN:
            return False
        raise unauthorized()

    @staticmethod
    def _limit_key(token: str | None) -> str:
        return "app" if token == APP_TOKEN else "user"

    def _rate_headers(self, endpoint: str, token: str | None, usage: Usage | None) -> dict[str, str]:
        window = self.limits[endpoint]
        key = self._limit_key(token)
        usage = usage or window.peek(key)
        return {
            "x-rate-limit-limit": str(window.budget),
            "x-rate-limit-remaining": str(max(0, window.budget - usage.calls)),
            "x-rate-limit-reset": str(window.reset_at(key)),
        }

    def _dispatch(self, call: _Call, endpoint: str) -> dict[str, Any]:
        segments = [s for s in call.request.path.split("/") if s]
        if endpoint == "users":
            if segments[2] == "by":
                account = next(
                    (a for a in region.accounts(self.name) if a.username.lower() == segments[4].lower()), None
                )
                return self._user(call, account, "username", segments[4])
            return self._user(call, self._account(segments[2], "id"), "id", segments[2])
        if endpoint == "user_tweets":
            account = self._account(segments[2], "id")
            if account is None:
                return {"errors": [_user_not_found("id", segments[2])]}
            return self._timeline(call, account)
        return self._search(call, full_archive=endpoint == "search_all")

    def _account(self, value: str, parameter: str) -> Account | None:
        if not _DIGITS.match(value):
            raise invalid_request(parameter, value, f"The `{parameter}` query parameter value [{value}] is not valid")
        return region.account_by_id(self.name, value)

    # -- users -----------------------------------------------------------------------------

    def _user(self, call: _Call, account: Account | None, parameter: str, value: str) -> dict[str, Any]:
        fields = _fields(call.request.query, "user.fields", USER_FIELDS)
        if account is None:
            return {"errors": [_user_not_found(parameter, value)]}
        profile = x_user_profile(self.world, account, call.as_of)
        values: dict[str, Any] = {
            "id": account.account_id,
            "name": account.name,
            "username": account.username,
            "created_at": x_time(profile.created_at),
            "description": f"Compte officiel · {account.name}",
            "location": "Val-d'Argent, France",
            "protected": False,
            "url": "https://t.co/valdargent",
            "verified": True,
            "verified_type": "government",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{account.account_id}/logo_normal.jpg",
            "public_metrics": {
                "followers_count": profile.followers_count,
                "following_count": profile.following_count,
                "tweet_count": profile.tweet_count,
                "listed_count": profile.listed_count,
            },
        }
        return {"data": {f: values[f] for f in ["id", "name", "username", *fields] if f in values}}

    # -- timelines -------------------------------------------------------------------------

    def _timeline_cutoff(self, account: Account, now: datetime) -> int:
        """Snowflake of the oldest post still in the timeline (X keeps the last 3,200)."""
        count, day = 0, now.date() - DAY
        while day >= EPOCH:
            posts = [p for p in self.world.posts_on(account, day) if p.created_at < now]
            if count + len(posts) >= TIMELINE_CAP:
                return _post_snowflake(posts[len(posts) - (TIMELINE_CAP - count)])
            count += len(posts)
            day -= DAY
        return 0

    def _posts_newest_first(self, account: Account, now: datetime, oldest: datetime) -> Iterator[Post]:
        day = (now - timedelta(microseconds=1)).date()
        while day >= max(EPOCH, oldest.date()):
            yield from reversed([p for p in self.world.posts_on(account, day) if oldest <= p.created_at < now])
            day -= DAY

    def _timeline(self, call: _Call, account: Account) -> dict[str, Any]:
        query = call.request.query
        fields = _fields(query, "tweet.fields", TWEET_FIELDS)
        media_fields = _fields(query, "media.fields", MEDIA_FIELDS)
        expansions = _fields(query, "expansions", EXPANSIONS)
        _fields(query, "exclude", ("replies", "retweets"))  # the region's posts are all originals
        limit = _int_param(query, "max_results", 10, 5, 100)
        start, end = _time_param(query, "start_time"), _time_param(query, "end_time")
        since_id, until_id = _id_param(query, "since_id"), _id_param(query, "until_id")
        if start and end and start > end:
            raise invalid_request("start_time", query["start_time"], "start_time must not be after end_time")
        if not call.user_context and set(fields) & set(PRIVATE_FIELDS):
            raise unsupported_authentication()
        below = (
            decode_token(query["pagination_token"], "tl", "pagination_token") if query.get("pagination_token") else None
        )
        cutoff = self._timeline_cutoff(account, call.now)
        # Timeline bounds are inclusive, at second granularity.
        now = min(call.now, end + timedelta(seconds=1)) if end else call.now
        oldest = max(start or day_start(EPOCH), day_start(EPOCH))
        page: list[Post] = []
        more = False
        for post in self._posts_newest_first(account, now, oldest):
            snowflake = _post_snowflake(post)
            if snowflake < cutoff or (since_id is not None and snowflake <= since_id):
                break
            if (until_id is not None and snowflake >= until_id) or (below is not None and snowflake >= below):
                continue
            if len(page) == limit:
                more = True
                break
            page.append(post)
        result: dict[str, Any] = {}
        if page:
            result["data"] = [self._tweet(call, p, fields) for p in page]
            if "attachments.media_keys" in expansions:
                media = [self._media(p, media_fields) for p in page if p.format in ("photo", "video")]
                if media:
                    result["includes"] = {"media": media}
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta["newest_id"], meta["oldest_id"] = self.post_id(page[0]), self.post_id(page[-1])
            if more:
                meta["next_token"] = encode_token("tl", _post_snowflake(page[-1]))
        result["meta"] = meta
        return result

    @staticmethod
    def _media_key(post: Post) -> str:
        return f"{3 if post.format == 'photo' else 7}_{_post_snowflake(post)}"

    def _media(self, post: Post, fields: list[str]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "media_key": self._media_key(post),
            "type": post.format,
            "url": f"https://pbs.twimg.com/media/{post.serial}.jpg" if post.format == "photo" else None,
            "preview_image_url": f"https://pbs.twimg.com/ext_tw_video_thumb/{post.serial}/pu/img/thumb.jpg"
            if post.format == "video"
            else None,
            "width": 1200,
            "height": 675,
            "duration_ms": 30_000 + post.serial % 60_000 if post.format == "video" else None,
        }
        return {f: values[f] for f in ["media_key", "type", *fields] if values.get(f) is not None}

    def _tweet(self, call: _Call, post: Post, fields: list[str]) -> dict[str, Any]:
        pid = self.post_id(post)
        text = post.message if post.message is not None else f"https://t.co/{post.serial % 10**10:010d}"
        values: dict[str, Any] = {
            "id": pid,
            "text": text,
            "edit_history_tweet_ids": [pid],
            "author_id": post.account.account_id,
            "conversation_id": pid,
            "created_at": x_time(post.created_at),
            "lang": "fr",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "source": "Sprinklr" if post.is_sponsored else "X Web App",
        }
        if post.format in ("photo", "video"):
            values["attachments"] = {"media_keys": [self._media_key(post)]}
        url = _URL.search(text) if post.format == "link" else None
        if url:
            link = url.group(0)
            values["entities"] = {
                "urls": [
                    {
                        "start": len(text[: url.start()]),
                        "end": len(text[: url.end()]),
                        "url": link,
                        "expanded_url": link,
                        "display_url": link.split("://", 1)[1][:25] + "…",
                    }
                ]
            }
        wanted = {"public_metrics", *PRIVATE_FIELDS} & set(fields)
        if wanted:
            metrics = x_post_metrics(self.world, post, call.as_of)
            values["public_metrics"] = metrics.public()
            if post.created_at >= call.now - timedelta(days=PRIVATE_METRICS_DAYS):
                values["non_public_metrics"] = metrics.non_public()
                values["organic_metrics"] = metrics.organic_metrics()
                if post.is_sponsored:
                    values["promoted_metrics"] = metrics.promoted_metrics()
        default = ["id", "text", "edit_history_tweet_ids"]
        return {f: values[f] for f in dict.fromkeys([*default, *fields]) if f in values}

    # -- conversation search ---------------------------------------------------------------

    @staticmethod
    def _conversations(raw_query: str, full_archive: bool) -> list[int]:
        """Conversation ids of `conversation_id:A [OR conversation_id:B ...] [is:reply]`, within X's length cap."""
        cap = MAX_QUERY_FULL_ARCHIVE if full_archive else MAX_QUERY_RECENT
        if len(raw_query) > cap:
            raise invalid_request(
                "query", raw_query, f"The `query` query parameter value is {len(raw_query)} characters long; max {cap}"
            )
        terms = [t for t in raw_query.replace("(", " ").replace(")", " ").split() if t != "is:reply"]
        ids = [int(m.group(1)) for t in terms if (m := _QUERY_CONVERSATION.match(t))]
        joined = terms[1::2] == ["OR"] * (len(terms) // 2) and len(terms) % 2 == 1
        if not ids or len(ids) != (len(terms) + 1) // 2 or not joined:
            raise invalid_request(
                "query",
                raw_query,
                "The sandbox understands `conversation_id:<id>` terms joined by OR (optionally `is:reply`) only",
            )
        return ids

    def _search(self, call: _Call, full_archive: bool) -> dict[str, Any]:
        query = call.request.query
        raw_query = (query.get("query") or "").strip()
        if not raw_query:
            raise invalid_request("query", "", "The `query` query parameter can not be empty")
        conversations = self._conversations(raw_query, full_archive)
        fields = _fields(query, "tweet.fields", TWEET_FIELDS)
        _fields(query, "expansions", EXPANSIONS)
        _fields(query, "user.fields", USER_FIELDS)
        if set(fields) & set(PRIVATE_FIELDS):
            if not call.user_context:
                raise unsupported_authentication()
        limit = _int_param(query, "max_results", 10, 10, 500 if full_archive else 100)
        start, end = _time_param(query, "start_time"), _time_param(query, "end_time")
        earliest = call.now - timedelta(days=RECENT_SEARCH_DAYS)
        if not full_archive and start is not None and start < earliest:
            raise invalid_request(
                "start_time",
                query["start_time"],
                f"Invalid 'start_time':'{query['start_time']}'. 'start_time' must be on or after {x_time(earliest)}",
            )
        if end is not None and end > call.now:
            raise invalid_request(
                "end_time",
                query["end_time"],
                f"Invalid 'end_time':'{query['end_time']}'. 'end_time' must be a minimum of 10 seconds prior to "
                "the request time.",
            )
        if start and end and start >= end:
            raise invalid_request("start_time", query["start_time"], "start_time must be before end_time")
        default_days = ALL_SEARCH_DEFAULT_DAYS if full_archive else RECENT_SEARCH_DAYS
        lower = start or call.now - timedelta(days=default_days)
        upper = end or call.now
        token = query.get("next_token") or query.get("pagination_token")
        parameter = "next_token" if query.get("next_token") else "pagination_token"
        position = decode_token(token, "sr", parameter) if token else None

        found: list[tuple[int, Post, Comment]] = []
        for post in dict.fromkeys(p for c in conversations if (p := self._conversation_post(c, call.now))):
            for comment in self.world.comments_before(post, upper):
                if comment.created_at >= lower:
                    found.append((_search_key(comment), post, comment))
        found.sort(key=lambda item: item[0], reverse=True)  # newest first, as search returns them
        if position is not None:
            found = [item for item in found if item[0] < position]
        page, more = found[:limit], len(found) > limit
        result: dict[str, Any] = {}
        meta: dict[str, Any] = {}
        if page:
            result["data"] = [self._reply(post, comment, fields) for _, post, comment in page]
            meta["newest_id"] = result["data"][0]["id"]
            meta["oldest_id"] = result["data"][-1]["id"]
        meta["result_count"] = len(page)
        if more:
            meta["next_token"] = encode_token("sr", page[-1][0])
        result["meta"] = meta
        return result

    def _comment(self, post: Post, serial: int) -> Comment | None:
        return next((c for c in self.world.comments(post) if c.serial == serial), None)

    def _conversation_post(self, snowflake: int, now: datetime) -> Post | None:
        """The region's post with this id (decoded from the snowflake), or None."""
        if snowflake >> 21 & 1:
            return None
        created = snowflake_time(snowflake)
        slot, index = snowflake >> 4 & 0x7F, snowflake & 0xF
        account = region.account_by_slot(self.name, slot)
        if account is None or created >= now:
            return None
        posts = self.world.posts_on(account, created.date())
        if index < len(posts) and _post_snowflake(posts[index]) == snowflake:
            return posts[index]
        return None

    def _reply(self, post: Post, comment: Comment, fields: list[str]) -> dict[str, Any]:
        rid = self.comment_id(post, comment.serial)
        parent = self._comment(post, comment.parent_serial) if comment.parent_serial is not None else None
        replied_to = self.comment_id(post, parent.serial) if parent else self.post_id(post)
        values: dict[str, Any] = {
            "id": rid,
            "text": comment.message,
            "edit_history_tweet_ids": [rid],
            "author_id": comment.author_id,
            "conversation_id": self.post_id(post),
            "created_at": x_time(comment.created_at),
            "in_reply_to_user_id": parent.author_id if parent else post.account.account_id,
            "referenced_tweets": [{"type": "replied_to", "id": replied_to}],
            "lang": "fr",
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "source": "X for iPhone",
            "public_metrics": {
                "retweet_count": 0,
                "reply_count": comment.reply_count,
                "like_count": comment.like_count,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 40 + comment.like_count * 25,
            },
        }
        default = ["id", "text", "edit_history_tweet_ids"]
        return {f: values[f] for f in dict.fromkeys([*default, *fields]) if f in values}
