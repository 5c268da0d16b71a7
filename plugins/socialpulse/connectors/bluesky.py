"""Bluesky through the AT Protocol AppView (XRPC `app.bsky.*`).

Speaks the real XRPC API: `app.bsky.actor.getProfile` for the account's counters,
`app.bsky.feed.getAuthorFeed` (filter=posts_no_replies, cursor paging, newest first)
for its posts with their lifetime counters, and `app.bsky.feed.getPostThread` for the
replies. Production reads the public AppView `https://public.api.bsky.app/xrpc`
without a token (set the platform option `public_read: true`); otherwise the token is
sent as a Bearer access JWT. Errors are `{"error", "message"}`; throttles are HTTP 429
`RateLimitExceeded` with `ratelimit-*` headers (reset in epoch seconds).

Bluesky has no views, reach, clicks or daily account series (reference §5): the
account is snapshotted at each run (followers, follows, posts) and the warehouse
derives daily changes from successive snapshots; views and reach stay NULL.

Privacy: a reply's AT URI contains its author's DID, a platform user id. Replies are
therefore landed by record key (rkey) only, the author as a keyed hash, and the
account's own replies flagged with `is_from_account`.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiClient, ApiError, AuthError, RetryPolicy
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "bluesky"
FEED_PAGE_SIZE = 100
THREAD_DEPTH = 1000  # the AppView maximum: every reply at every depth
AUTH_ERRORS = {"ExpiredToken", "InvalidToken", "AuthMissing", "AuthenticationRequired", "AccountTakedown"}
THROTTLE_ERRORS = {"RateLimitExceeded"}

COMMENT_ENTITY = "comments"

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET app.bsky.actor.getProfile?actor=<did>: one row per account and run, the
    # counters as of fetched_at (Bluesky has no daily series: snapshots are diffed).
    "profile_snapshots": [
        pa.field("did", pa.string(), nullable=False),
        pa.field("handle", pa.string()),
        pa.field("display_name", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("follows_count", pa.int64()),
        pa.field("posts_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET app.bsky.feed.getAuthorFeed?filter=posts_no_replies: one row per post of the
    # window and run, with the postView's lifetime counters as of fetched_at.
    # comments_total_count counts the replies landed from the thread, at every depth.
    "posts": [
        pa.field("post_uri", pa.string(), nullable=False),
        pa.field("did", pa.string(), nullable=False),
        pa.field("rkey", pa.string(), nullable=False),
        pa.field("cid", pa.string()),
        pa.field("text", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("indexed_at", TS),
        pa.field("langs", pa.string()),
        pa.field("embed_type", pa.string()),
        pa.field("external_uri", pa.string()),
        pa.field("permalink_url", pa.string()),
        pa.field("like_count", pa.int64()),
        pa.field("repost_count", pa.int64()),
        pa.field("quote_count", pa.int64()),
        pa.field("reply_count", pa.int64()),
        pa.field("comments_total_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET app.bsky.feed.getPostThread?uri=<post>&depth=1000: one row per reply (any
    # depth) and run. Ids are rkeys (the URI would carry the replier's DID);
    # parent_rkey is NULL for a direct reply to the post.
    "comments": [
        pa.field("rkey", pa.string(), nullable=False),
        pa.field("post_uri", pa.string(), nullable=False),
        pa.field("did", pa.string(), nullable=False),
        pa.field("parent_rkey", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("text", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_account", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("reply_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}


class XrpcClient(ApiClient):
    """XRPC dialect of the shared client: `{"error","message"}` bodies, `ratelimit-*` headers."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"getAuthorFeed$": ("feed", ("post.uri", "post.record.createdAt")),
    }

    def __init__(self, base_url: str, token: str | None, *, account_key: str, **kw: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(base_url, account_key=account_key, headers=headers, **kw)

    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        name = body.get("error") if isinstance(body, dict) else None
        message = body.get("message", "") if isinstance(body, dict) else ""
        text = f"XRPC error {name or response.status_code}: {message}".rstrip(": ")
        if name in AUTH_ERRORS or response.status_code == 401:
            return AuthError(
                f"{text}. The Bluesky access token is expired or invalid: create a new session "
                "(com.atproto.server.createSession with an app password, or refreshSession) and update "
                "the Airflow Connection or environment variable, or read the public AppView without a "
                "token (option public_read); nothing was written for this account.",
                status=response.status_code,
                code=name,
            )
        transient = response.status_code >= 500 or name in ("InternalServerError", "UpstreamFailure")
        return ApiError(text, status=response.status_code, code=name, transient=transient)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        name = body.get("error") if isinstance(body, dict) else None
        if response.status_code != 429 and name not in THROTTLE_ERRORS:
            return None
        reset = _header_number(response, "ratelimit-reset")
        if reset is not None:
            return max(0.0, reset - time.time())
        retry_after = _header_number(response, "retry-after")
        return retry_after if retry_after is not None else 0.0

    def pace_delay(self, response: httpx.Response) -> float:
        """Spread the calls left in the window once usage passes `pace_from_percent`."""
        limit = _header_number(response, "ratelimit-limit")
        remaining = _header_number(response, "ratelimit-remaining")
        if not limit or remaining is None:
            return 0.0
        used = (limit - remaining) * 100.0 / limit
        start = self.policy.pace_from_percent
        if used < start:
            return 0.0
        share = min(1.0, (used - start) / max(1.0, 100.0 - start))
        return self.policy.pace_max_delay * share

    def xrpc(self, method: str, params: dict[str, Any]) -> Any:
        return self.get_json(f"xrpc/{method}", params)


def _header_number(response: httpx.Response, name: str) -> float | None:
    value = response.headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_time(value: str | None) -> datetime | None:
    """AT Protocol datetimes: ISO 8601 with `Z` or an offset, any sub-second precision."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def rkey_of(uri: str) -> str:
    """The record key, last segment of `at://<did>/<collection>/<rkey>`."""
    return uri.rsplit("/", 1)[-1]


def embed_type(record: dict) -> str | None:
    """`images`, `video`, `external`, `record`, `recordWithMedia` or None (text only)."""
    kind = (record.get("embed") or {}).get("$type") or ""
    return kind.removeprefix("app.bsky.embed.").split("#", 1)[0] or None


class BlueskyExtractor:
    """One account, one run: profile snapshot, posts of the window, their replies."""

    def __init__(self, client: XrpcClient, account: Account, pseudonym_key: str, *, now: datetime):
        self.client = client
        self.account = account
        self.did = account.account_id
        self.key = pseudonym_key
        self.now = now

    def extract(self, window: Window) -> dict[str, list[dict]]:
        profile = self.profile_snapshot()
        posts, comments = self.posts_and_comments(window, profile.get("handle"))
        return {"profile_snapshots": [profile], "posts": posts, "comments": comments}

    def profile_snapshot(self) -> dict:
        body = self.client.xrpc("app.bsky.actor.getProfile", {"actor": self.did})
        return {
            "did": str(body.get("did") or self.did),
            "handle": body.get("handle"),
            "display_name": body.get("displayName"),
            "followers_count": body.get("followersCount"),
            "follows_count": body.get("followsCount"),
            "posts_count": body.get("postsCount"),
            "fetched_at": self.now,
        }

    def feed(self, since: datetime) -> Iterator[dict]:
        """postViews of the account's own posts, newest first, until one is older than `since`."""
        params: dict[str, Any] = {"actor": self.did, "limit": FEED_PAGE_SIZE, "filter": "posts_no_replies"}
        seen_cursors: set[str] = set()
        while True:
            body = self.client.xrpc("app.bsky.feed.getAuthorFeed", params)
            oldest: datetime | None = None
            for item in body.get("feed", []):
                post = item.get("post") or {}
                if item.get("reason") or (post.get("author") or {}).get("did") != self.did:
                    continue  # a repost by the account, not its own post
                created = parse_time((post.get("record") or {}).get("createdAt"))
                oldest = created if oldest is None or (created and created < oldest) else oldest
                yield post
            cursor = body.get("cursor")
            if not cursor or (oldest is not None and oldest < since):
                return
            if cursor in seen_cursors:
                raise ApiError(f"{PLATFORM}/{self.account.key}: getAuthorFeed cursor loops; stopped")
            seen_cursors.add(cursor)
            params = {**params, "cursor": cursor}

    def posts_and_comments(self, window: Window, handle: str | None) -> tuple[list[dict], list[dict]]:
        since = datetime.combine(window.start, dtime.min, UTC)
        until = datetime.combine(window.end + timedelta(days=1), dtime.min, UTC)
        posts: list[dict] = []
        comments: list[dict] = []
        seen: set[str] = set()
        for view in self.feed(since):
            record = view.get("record") or {}
            created = parse_time(record.get("createdAt"))
            uri = str(view["uri"])
            if created is None or not since <= created < until or uri in seen:
                continue
            seen.add(uri)
            replies = self.replies(uri)
            comments.extend(replies)
            external = ((record.get("embed") or {}).get("external") or {}).get("uri")
            rkey = rkey_of(uri)
            posts.append(
                {
                    "post_uri": uri,
                    "did": self.did,
                    "rkey": rkey,
                    "cid": view.get("cid"),
                    "text": record.get("text"),
                    "created_at": created,
                    "indexed_at": parse_time(view.get("indexedAt")),
                    "langs": ",".join(record.get("langs") or []) or None,
                    "embed_type": embed_type(record),
                    "external_uri": external,
                    "permalink_url": f"https://bsky.app/profile/{handle or self.did}/post/{rkey}",
                    "like_count": view.get("likeCount"),
                    "repost_count": view.get("repostCount"),
                    "quote_count": view.get("quoteCount"),
                    "reply_count": view.get("replyCount"),
                    "comments_total_count": len(replies),
                    "fetched_at": self.now,
                }
            )
        return posts, comments

    def replies(self, post_uri: str) -> list[dict]:
        body = self.client.xrpc(
            "app.bsky.feed.getPostThread", {"uri": post_uri, "depth": THREAD_DEPTH, "parentHeight": 0}
        )
        rows: list[dict] = []
        seen: set[str] = set()
        stack = [(node, None) for node in reversed((body.get("thread") or {}).get("replies") or [])]
        while stack:
            node, parent_rkey = stack.pop()
            if not node.get("$type", "").endswith("#threadViewPost") or not node.get("post"):
                continue  # notFoundPost / blockedPost: nothing readable
            view = node["post"]
            rkey = rkey_of(str(view["uri"]))
            author = (view.get("author") or {}).get("did")
            if rkey in seen:
                continue
            seen.add(rkey)
            rows.append(
                {
                    "rkey": rkey,
                    "post_uri": post_uri,
                    "did": self.did,
                    "parent_rkey": parent_rkey,
                    "created_at": parse_time((view.get("record") or {}).get("createdAt")),
                    "text": (view.get("record") or {}).get("text"),
                    "author_pseudo_id": pseudonymise(PLATFORM, author, self.key),
                    "is_from_account": author == self.did,
                    "like_count": view.get("likeCount"),
                    "reply_count": view.get("replyCount"),
                    "fetched_at": self.now,
                }
            )
            stack.extend((child, rkey) for child in reversed(node.get("replies") or []))
        rows.sort(key=lambda r: (r["created_at"], r["rkey"]))
        return rows


def build_client(base_url: str, token: str | None, account: Account, policy: RetryPolicy | None = None) -> XrpcClient:
    return XrpcClient(base_url, token, account_key=account.key, policy=policy)


def extract(ctx: ExtractContext) -> Extraction:
    """One account, one window: the connector entry point (see socialpulse.connectors)."""
    token = None if ctx.options.get("public_read") else ctx.token
    with build_client(ctx.base_url, token, ctx.account, ctx.policy) as client:
        entities = BlueskyExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now).extract(ctx.window)
        return Extraction(entities=entities, stats=client.stats)


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: replies created in `period` to the posts of `ctx.window`."""
    token = None if ctx.options.get("public_read") else ctx.token
    with build_client(ctx.base_url, token, ctx.account, ctx.policy) as client:
        extractor = BlueskyExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now)
        _, comments = extractor.posts_and_comments(ctx.window, None)
        return Extraction(entities={COMMENT_ENTITY: period.keep(comments, "created_at")}, stats=client.stats)
