"""X accounts through the X API v2 (users, user timelines, conversation search).

Speaks the real API (reference: shared/reference/platform_apis.md §4): `Authorization:
Bearer` OAuth 2.0 user-context token, `GET /2/users/:id?user.fields=public_metrics`,
`GET /2/users/:id/tweets` paged with `meta.next_token` → `pagination_token`, and the
replies through `GET /2/tweets/search/recent?query=conversation_id:<id> OR ...` (7 days;
many posts per call, within X's query length cap) or `/2/tweets/search/all` (full
archive) for older posts. Errors are
problem details (`{"title", "detail", "type"}`), throttles are HTTP 429 with the
`x-rate-limit-*` headers. Pointing it at https://api.x.com with a real user token is
all production needs (`SOCIALPULSE_X_BASE_URL`).

What lands, and why:

- `user_snapshots`: X has no account-level daily series, so every run lands the
  profile counters (followers, following, posts, lists); daily follower figures are
  derived downstream from consecutive snapshots.
- `posts` and `post_metrics`: the window's posts and their lifetime counters as of the
  run. Non-public, organic and promoted metrics exist only for posts younger than 30
  days (X omits them afterwards): they land as NULL, never 0, so a backfill does not
  pretend that old posts had no clicks. `has_private_metrics` says which case a row is.
- `replies`: the conversation of each post. Repliers are pseudonymised here (keyed
  hash of the X user id); names, handles and user ids of repliers never land. The
  account's own answers keep `is_from_account = true`.

User access tokens live two hours: a 401 fails the task at once with the renewal
instructions (refresh with the `offline.access` refresh token); retrying only burns
the rate limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiClient, ApiError, AuthError, RetryPolicy
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "x"
DEFAULT_VERSION = "2"
MAX_RESULTS = 100
MAX_ARCHIVE_RESULTS = 500
RECENT_QUERY_CHARS = 512  # X's query length cap for recent search (full archive: 1,024)
ARCHIVE_QUERY_CHARS = 1024
COMMENT_ENTITY = "replies"  # X's comments are the replies of a post's conversation

USER_FIELDS = "created_at,public_metrics,username,name"
PUBLIC_TWEET_FIELDS = "created_at,public_metrics,conversation_id,text,lang,attachments,entities"
PRIVATE_TWEET_FIELDS = "non_public_metrics,organic_metrics,promoted_metrics"
REPLY_FIELDS = "author_id,created_at,in_reply_to_user_id,conversation_id,text,referenced_tweets,public_metrics"

PUBLIC_METRICS = ("impression_count", "like_count", "retweet_count", "quote_count", "reply_count", "bookmark_count")
NON_PUBLIC_METRICS = ("impression_count", "url_link_clicks", "user_profile_clicks", "engagements")
SPLIT_METRICS = (
    "impression_count",
    "like_count",
    "reply_count",
    "retweet_count",
    "url_link_clicks",
    "user_profile_clicks",
)

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET /2/users/:id?user.fields=created_at,public_metrics,username,name
    # One row per account and extract run: the profile counters as of fetched_at.
    "user_snapshots": [
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("username", pa.string()),
        pa.field("name", pa.string()),
        pa.field("created_at", TS),
        pa.field("followers_count", pa.int64()),
        pa.field("following_count", pa.int64()),
        pa.field("tweet_count", pa.int64()),
        pa.field("listed_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /2/users/:id/tweets?start_time&end_time&exclude=retweets,replies
    # One row per post of the window seen by the run. media_type comes from the
    # attachments.media_keys expansion; link_url is the first expanded URL.
    "posts": [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("conversation_id", pa.string()),
        pa.field("text", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("media_type", pa.string()),
        pa.field("link_url", pa.string()),
        pa.field("permalink_url", pa.string()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # tweet.fields=public_metrics,non_public_metrics,organic_metrics,promoted_metrics
    # One row per post and run, lifetime values as of fetched_at. Private metrics
    # (non_public, organic, promoted) are NULL for posts older than 30 days;
    # promoted_* are NULL for posts that were not promoted.
    "post_metrics": [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        *(pa.field(name, pa.int64()) for name in PUBLIC_METRICS),
        pa.field("non_public_impression_count", pa.int64()),
        pa.field("url_link_clicks", pa.int64()),
        pa.field("user_profile_clicks", pa.int64()),
        pa.field("engagements", pa.int64()),
        *(pa.field(f"organic_{name}", pa.int64()) for name in SPLIT_METRICS),
        *(pa.field(f"promoted_{name}", pa.int64()) for name in SPLIT_METRICS),
        pa.field("has_private_metrics", pa.bool_(), nullable=False),
        pa.field("is_promoted", pa.bool_()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /2/tweets/search/{recent,all}?query=conversation_id:<post id>
    # One row per reply in the post's conversation (replies to replies included).
    # author_pseudo_id is a keyed hash of the X user id: raw ids never land.
    "replies": [
        pa.field("reply_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("parent_reply_id", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("text", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_account", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}

RENEW_HINT = (
    "X user access tokens (OAuth 2.0 Authorization Code with PKCE) expire after 2 hours: refresh it with the "
    "refresh token (scope offline.access; POST https://api.x.com/2/oauth2/token, grant_type=refresh_token) and "
    "update the Airflow Connection or environment variable; nothing was written for this account."
)


class XClient(ApiClient):
    """X API v2 dialect of the shared client: problem details, x-rate-limit-* headers."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"/(tweets|search/recent|search/all)$": ("data", ("id", "created_at")),
    }

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        account_key: str,
        api_version: str = DEFAULT_VERSION,
        clock: Callable[[], float] = time.time,
        **kw: Any,
    ):
        super().__init__(base_url, account_key=account_key, headers={"Authorization": f"Bearer {token}"}, **kw)
        self.api_version = api_version
        self._clock = clock

    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        status = response.status_code
        problem = body if isinstance(body, dict) else {}
        kind = str(problem.get("type") or "")
        details = "; ".join(str(e.get("message") or e.get("detail")) for e in problem.get("errors") or [])
        text = f"X API {status} {problem.get('title') or ''}: {details or problem.get('detail') or ''}".strip()
        if status == 401:
            return AuthError(f"{text}. The token is invalid or expired. {RENEW_HINT}", status=status, code=kind)
        if status == 403 and kind.endswith("unsupported-authentication"):
            return AuthError(
                f"{text}. Non-public metrics need a user-context token (OAuth 2.0 with scopes tweet.read "
                "users.read offline.access), not the app-only Bearer token; or set options.private_metrics: false.",
                status=status,
                code=kind,
            )
        if status == 403:
            return AuthError(
                f"{text}. The app or token may not read this resource (project access level, full-archive "
                "search); see options.full_archive_search.",
                status=status,
                code=kind,
            )
        if status == 429:  # only usage caps get here: throttles are waited out
            return ApiError(
                f"{text}. The X usage cap or credit balance is exhausted: raise the spending limit or buy credits "
                "in the Developer Console.",
                status=status,
                code=kind,
            )
        return ApiError(text, status=status, code=kind, transient=status >= 500)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        """Wait until x-rate-limit-reset on a 429 (not on a usage cap, which waiting does not lift)."""
        if response.status_code != 429:
            return None
        if isinstance(body, dict) and str(body.get("type") or "").endswith("usage-capped"):
            return None
        reset = _int_header(response, "x-rate-limit-reset")
        if reset is not None:
            return max(0.0, reset - self._clock())
        retry_after = response.headers.get("retry-after")
        try:
            return float(retry_after) if retry_after else 60.0
        except ValueError:
            return 60.0

    def pace_delay(self, response: httpx.Response) -> float:
        """Spread the calls left over the time left once most of the window's budget is used."""
        limit = _int_header(response, "x-rate-limit-limit")
        remaining = _int_header(response, "x-rate-limit-remaining")
        reset = _int_header(response, "x-rate-limit-reset")
        if not limit or remaining is None or reset is None:
            return 0.0
        used = (limit - remaining) * 100.0 / limit
        if used < self.policy.pace_from_percent:
            return 0.0
        left = max(0.0, reset - self._clock())
        return min(self.policy.pace_max_delay, left / (remaining + 1))

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get_json(f"{self.api_version}/{path.lstrip('/')}", params)

    def paged(self, path: str, params: dict[str, Any], token_param: str) -> Iterator[dict]:
        """Every page of a v2 list endpoint, following meta.next_token (sent back as `token_param`)."""
        seen: set[str] = set()
        query = dict(params)
        while True:
            body = self.get(path, query)
            yield body
            token = (body.get("meta") or {}).get("next_token")
            if not token:
                return
            if token in seen:
                raise ApiError(f"{self.platform}/{self.account_key}: {path}: the pagination token loops; stopped")
            seen.add(token)
            query = {**params, token_param: token}


def _int_header(response: httpx.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_x_time(value: str) -> datetime:
    """X timestamps look like 2026-11-25T09:30:00.000Z."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def x_time_param(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class XAccountExtractor:
    """Extracts one X account for one run: profile snapshot, posts, their metrics, replies."""

    def __init__(
        self,
        client: XClient,
        account: Account,
        pseudonym_key: str,
        *,
        now: datetime | None = None,
        private_metrics: bool = True,
        full_archive_search: bool = True,
    ):
        self.client = client
        self.account = account
        self.user_id = account.account_id
        self.key = pseudonym_key
        self.now = now or datetime.now(UTC)
        self.private_metrics = private_metrics
        self.full_archive_search = full_archive_search
        self._recent_search_ok = True
        self.username: str | None = None

    def extract(self, window: Window) -> dict[str, list[dict]]:
        snapshot = self.user_snapshot()
        posts, metrics = self.posts(window)
        replies = self.replies([(post["post_id"], post["created_at"]) for post in posts])
        return {"user_snapshots": [snapshot], "posts": posts, "post_metrics": metrics, "replies": replies}

    # -- user ---------------------------------------------------------------------------
    def user_snapshot(self) -> dict:
        body = self.client.get(f"users/{self.user_id}", {"user.fields": USER_FIELDS})
        user = body.get("data")
        if not isinstance(user, dict):
            problems = "; ".join(str(e.get("detail")) for e in body.get("errors") or [])
            raise ApiError(f"{PLATFORM}/{self.account.key}: user {self.user_id} not found: {problems}")
        public = user.get("public_metrics") or {}
        self.username = user.get("username")
        return {
            "user_id": str(user.get("id", self.user_id)),
            "username": self.username,
            "name": user.get("name"),
            "created_at": parse_x_time(user["created_at"]) if user.get("created_at") else None,
            "followers_count": public.get("followers_count"),
            "following_count": public.get("following_count"),
            "tweet_count": public.get("tweet_count"),
            "listed_count": public.get("listed_count"),
            "fetched_at": self.now,
        }

    # -- posts --------------------------------------------------------------------------
    def posts(self, window: Window) -> tuple[list[dict], list[dict]]:
        start = datetime.combine(window.start, datetime.min.time(), UTC)
        end = datetime.combine(window.end, datetime.min.time(), UTC) + timedelta(days=1) - timedelta(seconds=1)
        fields = PUBLIC_TWEET_FIELDS + ("," + PRIVATE_TWEET_FIELDS if self.private_metrics else "")
        params = {
            "max_results": MAX_RESULTS,
            "start_time": x_time_param(start),
            "end_time": x_time_param(end),  # inclusive, second granularity
            "exclude": "retweets,replies",
            "tweet.fields": fields,
            "expansions": "attachments.media_keys",
            "media.fields": "type",
        }
        posts: list[dict] = []
        metrics: list[dict] = []
        seen: set[str] = set()
        for page in self.client.paged(f"users/{self.user_id}/tweets", params, "pagination_token"):
            media = {m.get("media_key"): m.get("type") for m in (page.get("includes") or {}).get("media") or []}
            for item in page.get("data") or []:
                post_id = str(item["id"])
                if post_id in seen:  # a post repeated across pages is landed once
                    continue
                seen.add(post_id)
                posts.append(self._post_row(item, media))
                metrics.append(self._metrics_row(item))
        return posts, metrics

    def _post_row(self, item: dict, media: dict[str, str]) -> dict:
        keys = (item.get("attachments") or {}).get("media_keys") or []
        urls = (item.get("entities") or {}).get("urls") or []
        post_id = str(item["id"])
        return {
            "post_id": post_id,
            "user_id": self.user_id,
            "conversation_id": item.get("conversation_id"),
            "text": item.get("text"),
            "lang": item.get("lang"),
            "created_at": parse_x_time(item["created_at"]),
            "media_type": next((media[k] for k in keys if media.get(k)), None),
            "link_url": next((u.get("expanded_url") or u.get("url") for u in urls), None),
            "permalink_url": f"https://x.com/{self.username or 'i/web'}/status/{post_id}",
            "fetched_at": self.now,
        }

    def _metrics_row(self, item: dict) -> dict:
        public = item.get("public_metrics") or {}
        private = item.get("non_public_metrics")
        organic = item.get("organic_metrics") or {}
        promoted = item.get("promoted_metrics")
        has_private = private is not None or bool(organic)
        row: dict[str, Any] = {"post_id": str(item["id"]), "user_id": self.user_id}
        row.update({name: public.get(name) for name in PUBLIC_METRICS})
        row["non_public_impression_count"] = (private or {}).get("impression_count")
        row.update({name: (private or {}).get(name) for name in NON_PUBLIC_METRICS[1:]})
        row.update({f"organic_{name}": organic.get(name) for name in SPLIT_METRICS})
        row.update({f"promoted_{name}": (promoted or {}).get(name) for name in SPLIT_METRICS})
        row["has_private_metrics"] = has_private
        row["is_promoted"] = (promoted is not None) if has_private else None
        row["fetched_at"] = self.now
        return row

    # -- replies ------------------------------------------------------------------------
    def replies(self, posts: list[tuple[str, datetime]]) -> list[dict]:
        """The conversations of `posts` (newest first), several per search call.

        One search per post would spend the search budget (300 calls per 15 minutes)
        on a backfill; `conversation_id:A OR conversation_id:B ...` up to X's query
        length cap answers many posts per call. Recent search (7 days) is tried first;
        once X says a start_time is too old, the remaining (older) posts go to the
        full-archive search.
        """
        rows: list[dict] = []
        pending = list(posts)
        while pending:
            recent = self._recent_search_ok
            batch = _batch(pending, RECENT_QUERY_CHARS if recent else ARCHIVE_QUERY_CHARS)
            if not recent and not self.full_archive_search:
                log.warning(
                    "%s/%s: replies of %d posts older than 7 days skipped (options.full_archive_search is off)",
                    PLATFORM,
                    self.account.key,
                    len(pending),
                )
                return rows
            try:
                rows.extend(self._conversations(batch, "recent" if recent else "all"))
            except ApiError as exc:
                if not recent or isinstance(exc, AuthError) or exc.status != 400 or "start_time" not in str(exc):
                    raise
                log.info(
                    "%s/%s: posts older than recent search allows; using full-archive search",
                    PLATFORM,
                    self.account.key,
                )
                self._recent_search_ok = False
                continue
            pending = pending[len(batch) :]
        return rows

    def _conversations(self, batch: list[tuple[str, datetime]], endpoint: str) -> list[dict]:
        wanted = {post_id for post_id, _ in batch}
        params = {
            "query": _conversation_query(batch),
            "tweet.fields": REPLY_FIELDS,
            "max_results": MAX_RESULTS if endpoint == "recent" else MAX_ARCHIVE_RESULTS,
            "start_time": x_time_param(min(created for _, created in batch)),
        }
        rows: list[dict] = []
        seen: set[str] = set()
        for page in self.client.paged(f"tweets/search/{endpoint}", params, "next_token"):
            for item in page.get("data") or []:
                reply_id, post_id = str(item["id"]), str(item.get("conversation_id"))
                if reply_id in seen or post_id not in wanted:
                    continue
                seen.add(reply_id)
                rows.append(self._reply_row(post_id, item))
        return rows

    def _reply_row(self, post_id: str, item: dict) -> dict:
        author = item.get("author_id")
        replied_to = next(
            (str(r.get("id")) for r in item.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None
        )
        return {
            "reply_id": str(item["id"]),
            "post_id": post_id,
            "user_id": self.user_id,
            "parent_reply_id": replied_to if replied_to and replied_to != post_id else None,
            "created_at": parse_x_time(item["created_at"]),
            "text": item.get("text"),
            "author_pseudo_id": pseudonymise(PLATFORM, author, self.key),
            "is_from_account": author == self.user_id,
            "like_count": (item.get("public_metrics") or {}).get("like_count"),
            "fetched_at": self.now,
        }

    def recent_replies(self, window: Window, period: Period) -> list[dict]:
        """The veille: replies created in `period` to the account's posts of `window`.

        The search starts at the period (not at the post): recent search answers it and
        spends one call per batch of conversations, whatever the posts' age.
        """
        posts, _ = self.posts(window)
        wanted = [(p["post_id"], max(p["created_at"], period.start)) for p in posts if p["created_at"] < period.end]
        return period.keep(self.replies(wanted), "created_at")


def _conversation_query(batch: list[tuple[str, datetime]]) -> str:
    return " OR ".join(f"conversation_id:{post_id}" for post_id, _ in batch)


def _batch(posts: list[tuple[str, datetime]], max_chars: int) -> list[tuple[str, datetime]]:
    """The longest prefix of `posts` whose OR query fits in `max_chars` (at least one post)."""
    size = 1
    while size < len(posts) and len(_conversation_query(posts[: size + 1])) <= max_chars:
        size += 1
    return posts[:size]


def build_client(
    base_url: str, token: str, account: Account, api_version: str | None, policy: RetryPolicy | None = None
) -> XClient:
    return XClient(base_url, token, account_key=account.key, api_version=api_version or DEFAULT_VERSION, policy=policy)


def _flag(options: dict, name: str, default: bool) -> bool:
    value = options.get(name, default)
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


def extract(ctx: ExtractContext, period: Period | None = None) -> Extraction:
    """One X account, one window: the connector entry point (see socialpulse.connectors).

    With `period` (the veille, through `extract_comments`), only the replies created in it.
    """
    with build_client(ctx.base_url, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        extractor = XAccountExtractor(
            client,
            ctx.account,
            ctx.pseudonym_key,
            now=ctx.now,
            private_metrics=_flag(ctx.options, "private_metrics", True),
            full_archive_search=_flag(ctx.options, "full_archive_search", True),
        )
        if period is not None:
            return Extraction(
                entities={COMMENT_ENTITY: extractor.recent_replies(ctx.window, period)}, stats=client.stats
            )
        return Extraction(entities=extractor.extract(ctx.window), stats=client.stats)


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: replies created in `period` to the posts of `ctx.window`."""
    return extract(ctx, period)
