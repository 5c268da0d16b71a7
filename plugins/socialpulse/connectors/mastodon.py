"""Mastodon through an instance's REST API (`/api/v1`).

Speaks the real API: `GET /api/v1/accounts/:id` for the account's counters,
`GET /api/v1/accounts/:id/statuses?exclude_replies=true&exclude_reblogs=true&limit=40`
for its posts (newest first), following the `Link: <...>; rel="next"` header as
Mastodon asks clients to (never computing max_id ourselves), and
`GET /api/v1/statuses/:id/context` for the replies (`descendants`). Production points
the base URL at `https://<instance>` (SOCIALPULSE_MASTODON_BASE_URL; the instance
is recorded as the platform option `instance` in config/accounts.yml); public
accounts need no token (option `public_read: true`), otherwise the token is sent as
a Bearer token.

Errors are `{"error": "..."}` (401 "The access token is invalid" fails fast; a 500 is
often an HTML page: retried); throttles are HTTP 429 with `X-RateLimit-Reset` as an
ISO 8601 time. Mastodon has no views, reach, clicks or daily series (reference §6):
the account is snapshotted at each run and views/reach stay NULL.

`content` is HTML: it is turned into plain text here, with the h-card mentions that
start every reply removed, because a mention names a person (`@user@instance`).
Repliers are pseudonymised (keyed hash of their account id); `in_reply_to_account_id`
is never landed; the account's own replies are flagged `is_from_account`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from html.parser import HTMLParser
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiClient, ApiError, AuthError, RetryPolicy, strip_secret_params
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "mastodon"
PAGE_SIZE = 40  # Mastodon's maximum for account statuses

COMMENT_ENTITY = "comments"

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET /api/v1/accounts/:id: one row per account and run, counters as of fetched_at
    # (no daily series on Mastodon: snapshots are diffed downstream).
    "account_snapshots": [
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("username", pa.string()),
        pa.field("acct", pa.string()),
        pa.field("display_name", pa.string()),
        pa.field("url", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("following_count", pa.int64()),
        pa.field("statuses_count", pa.int64()),
        pa.field("last_status_at", pa.date32()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /api/v1/accounts/:id/statuses?exclude_replies=true&exclude_reblogs=true: one
    # row per own status of the window and run, lifetime counters as of fetched_at.
    # comments_total_count counts the descendants landed from its context.
    "posts": [
        pa.field("status_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("created_at", TS, nullable=False),
        pa.field("text", pa.string()),
        pa.field("language", pa.string()),
        pa.field("visibility", pa.string()),
        pa.field("url", pa.string()),
        pa.field("media_type", pa.string()),
        pa.field("media_count", pa.int64()),
        pa.field("card_url", pa.string()),
        pa.field("replies_count", pa.int64()),
        pa.field("reblogs_count", pa.int64()),
        pa.field("favourites_count", pa.int64()),
        pa.field("comments_total_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /api/v1/statuses/:id/context -> descendants: one row per reply (any depth)
    # and run; parent_status_id is NULL for a direct reply to the post.
    "comments": [
        pa.field("status_id", pa.string(), nullable=False),
        pa.field("post_status_id", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("parent_status_id", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("text", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_account", pa.bool_(), nullable=False),
        pa.field("visibility", pa.string()),
        pa.field("favourites_count", pa.int64()),
        pa.field("replies_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}


class MastodonClient(ApiClient):
    """Mastodon dialect of the shared client; remembers the last response's `Link` header."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"/statuses$": ("", ("id", "created_at")),
        r"/context$": ("descendants", ("id", "created_at")),
    }

    def __init__(self, base_url: str, token: str | None, *, account_key: str, **kw: Any):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(base_url, account_key=account_key, headers=headers, **kw)
        self.last_links: dict[str, str] = {}
        self._http.event_hooks["response"].append(self._remember_links)

    def _remember_links(self, response: httpx.Response) -> None:
        self.last_links = {rel: link["url"] for rel, link in response.links.items() if "url" in link}

    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        message = body.get("error") if isinstance(body, dict) else None
        text = f"HTTP {response.status_code}" + (f": {message}" if message else "")
        if response.status_code in (401, 403):
            return AuthError(
                f"{text}. The Mastodon access token was revoked or is invalid for this instance: create a new "
                "application token (read:accounts, read:statuses) on the instance and update the Airflow "
                "Connection or environment variable, or read public data without a token (option "
                "public_read); nothing was written for this account.",
                status=response.status_code,
                code=message,
            )
        return ApiError(text, status=response.status_code, code=message, transient=response.status_code >= 500)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        if response.status_code != 429:
            return None
        reset = _parse_reset(response.headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(0.0, (reset - datetime.now(UTC)).total_seconds())
        retry_after = response.headers.get("retry-after")
        try:
            return float(retry_after) if retry_after else 0.0
        except ValueError:
            return 0.0

    def pace_delay(self, response: httpx.Response) -> float:
        """Slow down once `pace_from_percent` of the window's budget is spent."""
        try:
            limit = float(response.headers["x-ratelimit-limit"])
            remaining = float(response.headers["x-ratelimit-remaining"])
        except (KeyError, ValueError):
            return 0.0
        if limit <= 0:
            return 0.0
        used = (limit - remaining) * 100.0 / limit
        start = self.policy.pace_from_percent
        if used < start:
            return 0.0
        return self.policy.pace_max_delay * min(1.0, (used - start) / max(1.0, 100.0 - start))

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[Any, dict[str, str]]:
        """The JSON body and the `Link` relations of the answer."""
        body = self.get_json(path, params)
        return body, dict(self.last_links)


def _parse_reset(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class _TextExtractor(HTMLParser):
    """Plain text of a status: paragraphs and line breaks kept, h-card mentions dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._skip_depth:
            if tag == "span":
                self._skip_depth += 1
        elif tag == "span" and "h-card" in classes:
            self._skip_depth = 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip_depth and tag == "span":
            self._skip_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def html_to_text(content: str | None) -> str | None:
    """Mastodon `content` HTML as plain text without mentions; None when nothing is left."""
    if not content:
        return None
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    text = "".join(parser.parts).strip()
    return text or None


class MastodonExtractor:
    """One account, one run: account snapshot, statuses of the window, their replies."""

    def __init__(self, client: MastodonClient, account: Account, pseudonym_key: str, *, now: datetime):
        self.client = client
        self.account = account
        self.account_id = account.account_id
        self.key = pseudonym_key
        self.now = now

    def extract(self, window: Window) -> dict[str, list[dict]]:
        snapshot = self.account_snapshot()
        posts, comments = self.posts_and_comments(window)
        return {"account_snapshots": [snapshot], "posts": posts, "comments": comments}

    def account_snapshot(self) -> dict:
        body, _ = self.client.get(f"api/v1/accounts/{self.account_id}")
        last = body.get("last_status_at")
        return {
            "account_id": str(body.get("id") or self.account_id),
            "username": body.get("username"),
            "acct": body.get("acct"),
            "display_name": body.get("display_name"),
            "url": body.get("url"),
            "followers_count": body.get("followers_count"),
            "following_count": body.get("following_count"),
            "statuses_count": body.get("statuses_count"),
            "last_status_at": datetime.fromisoformat(last[:10]).date() if last else None,
            "fetched_at": self.now,
        }

    def statuses(self, since: datetime) -> list[dict]:
        """Own statuses newest first, following rel="next" until one is older than `since`."""
        params: dict[str, Any] | None = {
            "limit": PAGE_SIZE,
            "exclude_replies": "true",
            "exclude_reblogs": "true",
        }
        path = f"api/v1/accounts/{self.account_id}/statuses"
        found: list[dict] = []
        seen_pages: set[str] = set()
        while True:
            page, links = self.client.get(path, params)
            if not isinstance(page, list):
                raise ApiError(f"{PLATFORM}/{self.account.key}: statuses answer is not a list")
            found.extend(page)
            oldest = min((parse_time(s.get("created_at")) for s in page), default=None)
            nxt = links.get("next")
            if not page or not nxt or (oldest is not None and oldest < since):
                return found
            nxt = strip_secret_params(nxt)
            if nxt in seen_pages:
                raise ApiError(f"{PLATFORM}/{self.account.key}: the statuses Link header loops; stopped")
            seen_pages.add(nxt)
            path, params = nxt, None

    def posts_and_comments(self, window: Window) -> tuple[list[dict], list[dict]]:
        since = datetime.combine(window.start, dtime.min, UTC)
        until = datetime.combine(window.end + timedelta(days=1), dtime.min, UTC)
        posts: list[dict] = []
        comments: list[dict] = []
        seen: set[str] = set()
        for status in self.statuses(since):
            sid = str(status["id"])
            created = parse_time(status.get("created_at"))
            if status.get("reblog") or (status.get("account") or {}).get("id") != self.account_id:
                continue  # a boost, not the account's own post
            # exclude_replies still lists the account's replies to itself (thread continuations):
            # they belong to their thread, not to the posts.
            if status.get("in_reply_to_id") or created is None or not since <= created < until or sid in seen:
                continue
            seen.add(sid)
            replies = self.replies(sid)
            comments.extend(replies)
            media = status.get("media_attachments") or []
            posts.append(
                {
                    "status_id": sid,
                    "account_id": self.account_id,
                    "created_at": created,
                    "text": html_to_text(status.get("content")),
                    "language": status.get("language"),
                    "visibility": status.get("visibility"),
                    "url": status.get("url"),
                    "media_type": media[0].get("type") if media else None,
                    "media_count": len(media),
                    "card_url": (status.get("card") or {}).get("url"),
                    "replies_count": status.get("replies_count"),
                    "reblogs_count": status.get("reblogs_count"),
                    "favourites_count": status.get("favourites_count"),
                    "comments_total_count": len(replies),
                    "fetched_at": self.now,
                }
            )
        return posts, comments

    def replies(self, post_id: str) -> list[dict]:
        body, _ = self.client.get(f"api/v1/statuses/{post_id}/context")
        rows: list[dict] = []
        seen: set[str] = set()
        for status in body.get("descendants") or []:
            sid = str(status["id"])
            if sid in seen:
                continue
            seen.add(sid)
            author = (status.get("account") or {}).get("id")
            parent = status.get("in_reply_to_id")
            rows.append(
                {
                    "status_id": sid,
                    "post_status_id": post_id,
                    "account_id": self.account_id,
                    "parent_status_id": None if parent in (None, post_id) else str(parent),
                    "created_at": parse_time(status.get("created_at")),
                    "text": html_to_text(status.get("content")),
                    "author_pseudo_id": pseudonymise(PLATFORM, author, self.key),
                    "is_from_account": author == self.account_id,
                    "visibility": status.get("visibility"),
                    "favourites_count": status.get("favourites_count"),
                    "replies_count": status.get("replies_count"),
                    "fetched_at": self.now,
                }
            )
        return rows


def build_client(
    base_url: str, token: str | None, account: Account, policy: RetryPolicy | None = None
) -> MastodonClient:
    return MastodonClient(base_url, token, account_key=account.key, policy=policy)


def extract(ctx: ExtractContext) -> Extraction:
    """One account, one window: the connector entry point (see socialpulse.connectors)."""
    token = None if ctx.options.get("public_read") else ctx.token
    with build_client(ctx.base_url, token, ctx.account, ctx.policy) as client:
        entities = MastodonExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now).extract(ctx.window)
        return Extraction(entities=entities, stats=client.stats)


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: replies created in `period` to the posts of `ctx.window`."""
    token = None if ctx.options.get("public_read") else ctx.token
    with build_client(ctx.base_url, token, ctx.account, ctx.policy) as client:
        extractor = MastodonExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now)
        _, comments = extractor.posts_and_comments(ctx.window)
        return Extraction(entities={COMMENT_ENTITY: period.keep(comments, "created_at")}, stats=client.stats)
