"""Bluesky, as the AT Protocol AppView serves it over XRPC (path prefix `/bluesky`).

Point an XRPC client at `http://127.0.0.1:PORT/bluesky/xrpc/` instead of
`https://public.api.bsky.app/xrpc/`. Served methods (GET, "Does not require auth"):

* `app.bsky.actor.getProfile?actor=<did|handle>` profileViewDetailed
* `app.bsky.feed.getAuthorFeed?actor=&limit=1..100&cursor=&filter=` the account's posts,
  newest first, cursor-paged (filters posts_with_replies, posts_no_replies,
  posts_and_author_threads, posts_with_media, posts_with_video)
* `app.bsky.feed.getPostThread?uri=&depth=0..1000&parentHeight=` a post and its replies

World -> Bluesky mapping (Bluesky has no views, reach, clicks, reactions by type or
daily series; the warehouse stores NULL for those):

* `likeCount` = reactions_total (all reaction types are one "like" here);
* `repostCount` + `quoteCount` = shares, split by a fixed per-post quote share
  (`post_counts`); both are monotone while the post settles;
* `replyCount` = direct replies only, as the AppView counts them (top-level comments
  for a post, a comment's own replies for a reply); the world's comment count is the
  number of reply objects in the thread at every depth;
* `followersCount` = followers at the end of `today - 1`; `postsCount` = top-level
  posts since EPOCH; `followsCount` is a fixed number per account;
* the account's answers to comments are replies by the account's own DID.

Ids: the account is a `did:plc:`; a post is `at://<did>/app.bsky.feed.post/<rkey>`
whose rkey is a TID (53-bit microsecond time + 10-bit clock id, base32-sortable)
encoding the post's creation time, so the sandbox finds a post from its URI without
an index. Repliers get stable fictional DIDs and handles. A reply's rkey is a TID
anchored on its post's time plus its position (`comment_id`), because truth only
knows a comment's serial; the reply's `createdAt` is its real time.

The author feed lists top-level posts only: the account's replies to commenters
appear in threads, not in `posts_with_replies` (a simplification).

Errors are XRPC's `{"error": "<Name>", "message": "..."}`. Rate limits follow the
PDS: `ratelimit-limit/remaining/reset/policy` headers (reset in epoch seconds),
default 3,000 calls per 300 s, over budget HTTP 429 `RateLimitExceeded`. Public reads
need no token; a Bearer token, when sent, must be valid (`sandbox-token`):
`sandbox-expired…` answers 400 `ExpiredToken`, anything else 401 `InvalidToken`.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
import unicodedata
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox import region
from sandbox.determinism import rng
from sandbox.platforms.base import ApiError, Call, PublicReadPlatform, Request, Response
from sandbox.ratelimit import Usage
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start
from sandbox.world import COMMENT_SERIAL_BASE, POST_SERIAL_BASE, Comment, Post, World

DEFAULT_BUDGET = 3000
DEFAULT_WINDOW_SECONDS = 300.0
MAX_LIMIT = 100
DEFAULT_LIMIT = 50
MAX_DEPTH = 1000
DEFAULT_DEPTH = 6
VALID_TOKEN = "sandbox-token"
EXPIRED_PREFIX = "sandbox-expired"
FEED_FILTERS = (
    "posts_with_replies",
    "posts_no_replies",
    "posts_with_media",
    "posts_and_author_threads",
    "posts_with_video",
)
POST_COLLECTION = "app.bsky.feed.post"
_B32_SORT = "234567abcdefghijklmnopqrstuvwxyz"
_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_URI = re.compile(r"^at://(?P<did>[^/]+)/app\.bsky\.feed\.post/(?P<rkey>[2-7a-z]{13})$")


class XrpcError(ApiError):
    """An XRPC error; `response()` renders `{"error", "message"}`."""

    def __init__(self, status: int, error: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers or {}

    def response(self) -> Response:
        return Response.json({"error": self.error, "message": self.message}, self.status, dict(self.headers))


def invalid_request(message: str) -> XrpcError:
    return XrpcError(400, "InvalidRequest", message)


# -- ids ------------------------------------------------------------------------------


def tid(microseconds: int, clock_id: int) -> str:
    """A TID: 64-bit (0 | 53-bit µs timestamp | 10-bit clock id) in base32-sortable, 13 chars."""
    value = (microseconds << 10) | (clock_id & 0x3FF)
    chars = []
    for _ in range(13):
        chars.append(_B32_SORT[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode_tid(key: str) -> tuple[int, int] | None:
    """(µs timestamp, clock id) of a TID, or None when `key` is not one."""
    value = 0
    for char in key:
        position = _B32_SORT.find(char)
        if position < 0:
            return None
        value = value * 32 + position
    return value >> 10, value & 0x3FF


def _b32(*parts: object, length: int) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    bits = int.from_bytes(digest, "big")
    return "".join(_B32[(bits >> (5 * i)) & 31] for i in range(length))


def person_did(person_id: str) -> str:
    """A stable fictional did:plc for a world person (repliers)."""
    return f"did:plc:{_b32('bluesky-person', person_id, length=24)}"


def person_handle(person_id: str, name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "", ascii_name)[:18] or "user"
    return f"{slug}{int(person_id) % 997}.bsky.social"


def cid_for(*parts: object) -> str:
    """A CIDv1 lookalike (dag-cbor, sha-256, base32): `bafyrei` + 52 characters."""
    return "bafyrei" + _b32("cid", *parts, length=52)


def post_rkey(post: Post) -> str:
    return tid(int(post.created_at.timestamp()) * 1_000_000, post.serial % 1000)


def post_uri(post: Post) -> str:
    return f"at://{post.account.account_id}/{POST_COLLECTION}/{post_rkey(post)}"


def reply_rkey(post: Post, comment_serial: int) -> str:
    """TID of a reply: its post's time plus its position (µs), so it sorts after the post."""
    base = COMMENT_SERIAL_BASE + (post.serial - POST_SERIAL_BASE) * 1000
    position = comment_serial - base
    return tid(int(post.created_at.timestamp()) * 1_000_000 + position + 1, 512 + post.serial % 500)


def bsky_time(moment: datetime) -> str:
    """`2026-11-25T09:30:00.000Z`, the millisecond ISO form the AppView prints."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _quote_share_percent(seed: int, post: Post) -> int:
    return rng(seed, "bluesky-quotes", post.account.key, post.serial).randint(8, 25)


def post_counts(world: World, post: Post, as_of: date) -> dict[str, int]:
    """The counters `getAuthorFeed` serves for `post` when `today = as_of + 1` (its truth)."""
    metrics = world.post_metrics(post, as_of)
    shares = metrics.shares
    quotes = shares * _quote_share_percent(world.seed, post) // 100
    cutoff = day_start(as_of + DAY)
    comments = world.comments_before(post, cutoff)
    return {
        "likeCount": metrics.reactions_total,
        "repostCount": shares - quotes,
        "quoteCount": quotes,
        "replyCount": sum(1 for c in comments if c.parent_serial is None),
        "threadReplies": len(comments),
    }


def follows_count(seed: int, account: Account) -> int:
    return rng(seed, "bluesky-follows", account.key).randint(120, 420)


def posts_count(world: World, account: Account, today: date) -> int:
    """Top-level posts created before `today` (00:00 UTC), since EPOCH."""
    return sum(len(world.posts_on(account, EPOCH + timedelta(days=i))) for i in range((today - EPOCH).days))


# -- platform ------------------------------------------------------------------------------


class BlueskyPlatform(PublicReadPlatform):
    """The public AppView XRPC methods for the region's Bluesky account."""

    name = "bluesky"
    default_budget = DEFAULT_BUDGET
    default_window_seconds = DEFAULT_WINDOW_SECONDS

    # -- entry points (see PublicReadPlatform.handle) ----------------------------------------

    def _answer(self, call: Call) -> Response:
        segments = [s for s in call.request.path.split("/") if s]
        if len(segments) != 2 or segments[0] != "xrpc":
            raise XrpcError(404, "MethodNotImplemented", "Method Not Implemented")
        method = {
            "app.bsky.actor.getProfile": self._get_profile,
            "app.bsky.feed.getAuthorFeed": self._get_author_feed,
            "app.bsky.feed.getPostThread": self._get_post_thread,
        }.get(segments[1])
        if method is None:
            raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
        return Response.json(method(call))

    def _rate_limited(self, usage: Usage) -> XrpcError:
        return XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", self._rate_headers(usage))

    def _method_not_allowed(self, method: str) -> XrpcError:
        return XrpcError(405, "MethodNotImplemented", f"Method Not Implemented: {method}")

    def _server_error(self) -> Response:
        return XrpcError(500, "InternalServerError", "Internal Server Error").response()

    def _token_expired(self) -> XrpcError:
        return XrpcError(400, "ExpiredToken", "Token has expired")

    def _token_revoked(self) -> XrpcError:
        return XrpcError(401, "InvalidToken", "Token has been revoked")

    # -- ids (used by sandbox.truth) -------------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return post_uri(post)

    @staticmethod
    def post_permalink(post: Post) -> str:
        return f"https://bsky.app/profile/{post.account.username}/post/{post_rkey(post)}"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return reply_rkey(post, comment_serial)

    # -- plumbing -------------------------------------------------------------------------

    def _limit_key(self, request: Request) -> str:
        """Calls are counted per IP; a token, when sent, must still be valid."""
        auth = request.headers.get("Authorization") or ""
        if not auth:
            return "ip"  # public AppView reads need no auth
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise XrpcError(400, "InvalidRequest", "Unexpected authorization type")
        if token.startswith(EXPIRED_PREFIX):
            raise self._token_expired()
        if token != VALID_TOKEN:
            raise XrpcError(401, "InvalidToken", "Token could not be verified")
        return "ip"

    @staticmethod
    def _rate_headers(usage: Usage) -> dict[str, str]:
        remaining = max(0, usage.budget - usage.calls)
        reset_in = usage.retry_after if usage.retry_after > 0 else usage.window_seconds
        return {
            "ratelimit-limit": str(usage.budget),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(math.ceil(time.time() + reset_in)),
            "ratelimit-policy": f"{usage.budget};w={int(usage.window_seconds)}",
        }

    def _account(self, actor: str | None) -> Account:
        if not actor:
            raise invalid_request('Error: Params must have the property "actor"')
        for account in region.accounts(self.name):
            if actor in (account.account_id, account.username):
                return account
        raise invalid_request("Profile not found")

    def _find_post(self, call: Call, uri: str) -> Post:
        match = _URI.match(uri or "")
        not_found = XrpcError(400, "NotFound", f"Post not found: {uri}")
        if not match:
            if not uri:
                raise invalid_request('Error: Params must have the property "uri"')
            raise not_found
        account = region.account_by_id(self.name, match["did"])
        decoded = decode_tid(match["rkey"])
        if account is None or decoded is None:
            raise not_found
        micros, clock = decoded
        created = datetime.fromtimestamp(micros // 1_000_000, tz=UTC)
        if created.date() < EPOCH:
            raise not_found
        for post in self.world.posts_on(account, created.date()):
            if post.created_at == created and post.serial % 1000 == clock and post.created_at < call.now:
                return post
        raise not_found

    # -- views ------------------------------------------------------------------------------

    def _author_basic(self, account: Account) -> dict[str, Any]:
        return {
            "did": account.account_id,
            "handle": account.username,
            "displayName": account.name,
            "avatar": _cdn("avatar", account),
            "associated": {"chat": {"allowIncoming": "following"}},
            "labels": [],
            "createdAt": "2023-04-12T09:15:00.000Z",
        }

    def _person_basic(self, comment: Comment) -> dict[str, Any]:
        if comment.is_from_page:
            return self._author_basic(comment.post.account)
        return {
            "did": person_did(comment.author_id),
            "handle": person_handle(comment.author_id, comment.author_name),
            "displayName": comment.author_name,
            "labels": [],
            "createdAt": "2024-02-06T18:00:00.000Z",
        }

    def _get_profile(self, call: Call) -> dict[str, Any]:
        account = self._account(call.request.query.get("actor"))
        return {
            **self._author_basic(account),
            "description": f"Compte officiel de la {account.name}. Actualités, transports, lycées, emploi.",
            "banner": _cdn("banner", account),
            "followersCount": self.world.followers(account, call.as_of),
            "followsCount": follows_count(self.state.seed, account),
            "postsCount": posts_count(self.world, account, call.today),
            "indexedAt": "2024-02-06T18:00:00.000Z",
            "associated": {"lists": 0, "feedgens": 0, "starterPacks": 1, "labeler": False},
        }

    def _embed(self, post: Post) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(record embed, hydrated view) for the post's format."""
        did = post.account.account_id
        blob = cid_for("blob", post.serial)
        if post.format == "photo":
            record = {
                "$type": "app.bsky.embed.images",
                "images": [
                    {
                        "alt": "",
                        "image": {"$type": "blob", "ref": {"$link": blob}, "mimeType": "image/jpeg", "size": 412_337},
                        "aspectRatio": {"width": 1600, "height": 900},
                    }
                ],
            }
            view = {
                "$type": "app.bsky.embed.images#view",
                "images": [
                    {
                        "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{blob}@jpeg",
                        "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{blob}@jpeg",
                        "alt": "",
                        "aspectRatio": {"width": 1600, "height": 900},
                    }
                ],
            }
            return record, view
        if post.format in ("video", "reel"):
            record = {
                "$type": "app.bsky.embed.video",
                "video": {"$type": "blob", "ref": {"$link": blob}, "mimeType": "video/mp4", "size": 8_912_004},
                "aspectRatio": {"width": 1080, "height": 1920 if post.format == "reel" else 1080},
            }
            view = {
                "$type": "app.bsky.embed.video#view",
                "cid": blob,
                "playlist": f"https://video.bsky.app/watch/{did}/{blob}/playlist.m3u8",
                "thumbnail": f"https://video.bsky.app/watch/{did}/{blob}/thumbnail.jpg",
                "aspectRatio": record["aspectRatio"],
            }
            return record, view
        if post.format == "link":
            external = {
                "uri": f"https://www.valdargent.fr/actualites/{post.topic}/{post.serial}",
                "title": f"Région Val-d'Argent – {post.topic}",
                "description": (post.message or "")[:120],
            }
            return {"$type": "app.bsky.embed.external", "external": external}, {
                "$type": "app.bsky.embed.external#view",
                "external": external,
            }
        return None, None

    def _post_view(self, call: Call, post: Post) -> dict[str, Any]:
        counts = post_counts(self.world, post, call.as_of)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": post.message or "",
            "createdAt": bsky_time(post.created_at),
            "langs": ["fr"],
        }
        embed, view = self._embed(post)
        if embed:
            record["embed"] = embed
        result: dict[str, Any] = {
            "uri": post_uri(post),
            "cid": cid_for("post", post.serial),
            "author": self._author_basic(post.account),
            "record": record,
        }
        if view:
            result["embed"] = view
        result.update(
            {
                "replyCount": counts["replyCount"],
                "repostCount": counts["repostCount"],
                "likeCount": counts["likeCount"],
                "quoteCount": counts["quoteCount"],
                "indexedAt": bsky_time(post.created_at + timedelta(milliseconds=300 + post.serial % 900)),
                "labels": [],
            }
        )
        return result

    def _reply_uri(self, comment: Comment) -> str:
        did = comment.post.account.account_id if comment.is_from_page else person_did(comment.author_id)
        return f"at://{did}/{POST_COLLECTION}/{reply_rkey(comment.post, comment.serial)}"

    def _reply_view(
        self, comment: Comment, parent_ref: dict[str, str], root_ref: dict[str, str], children: int
    ) -> dict:
        return {
            "uri": self._reply_uri(comment),
            "cid": cid_for("reply", comment.serial),
            "author": self._person_basic(comment),
            "record": {
                "$type": POST_COLLECTION,
                "text": comment.message,
                "createdAt": bsky_time(comment.created_at),
                "langs": ["fr"],
                "reply": {"root": root_ref, "parent": parent_ref},
            },
            "replyCount": children,
            "repostCount": 0,
            "likeCount": comment.like_count,
            "quoteCount": 0,
            "indexedAt": bsky_time(comment.created_at + timedelta(milliseconds=250)),
            "labels": [],
        }

    # -- methods ----------------------------------------------------------------------------

    def _get_author_feed(self, call: Call) -> dict[str, Any]:
        query = call.request.query
        account = self._account(query.get("actor"))
        limit = _limit(query.get("limit"), DEFAULT_LIMIT)
        feed_filter = query.get("filter") or "posts_with_replies"
        if feed_filter not in FEED_FILTERS:
            raise invalid_request(f"Error: filter must be one of {', '.join(FEED_FILTERS)}")
        formats = {
            "posts_with_media": ("photo", "video", "reel"),
            "posts_with_video": ("video", "reel"),
        }.get(feed_filter)
        boundary: int | None = None
        if query.get("cursor"):
            rkey = query["cursor"].rpartition("::")[2]
            decoded = decode_tid(rkey) if len(rkey) == 13 else None
            if decoded is None:
                raise invalid_request("Malformed cursor")
            boundary = (decoded[0] << 10) | decoded[1]

        def sort_key(post: Post) -> int:
            micros, clock = decode_tid(post_rkey(post)) or (0, 0)
            return (micros << 10) | clock

        found: list[Post] = []
        day = call.as_of
        if boundary is not None:
            day = min(day, datetime.fromtimestamp((boundary >> 10) // 1_000_000, tz=UTC).date())
        while day >= EPOCH and len(found) <= limit:
            for post in sorted(self.world.posts_on(account, day), key=sort_key, reverse=True):
                if post.created_at >= call.now or (boundary is not None and sort_key(post) >= boundary):
                    continue
                if formats and post.format not in formats:
                    continue
                found.append(post)
            day -= DAY
        page = found[:limit]
        result: dict[str, Any] = {"feed": [{"post": self._post_view(call, p)} for p in page]}
        if len(found) > limit:
            last = page[-1]
            result["cursor"] = f"{bsky_time(last.created_at)}::{post_rkey(last)}"
        return result

    def _get_post_thread(self, call: Call) -> dict[str, Any]:
        query = call.request.query
        depth = _bounded_int(query.get("depth"), DEFAULT_DEPTH, 0, MAX_DEPTH, "depth")
        _bounded_int(query.get("parentHeight"), 80, 0, MAX_DEPTH, "parentHeight")
        post = self._find_post(call, query.get("uri") or "")
        comments = self.world.comments_before(post, call.now)
        children: dict[int | None, list[Comment]] = {}
        for comment in comments:
            children.setdefault(comment.parent_serial, []).append(comment)
        root_view = self._post_view(call, post)
        root_ref = {"uri": root_view["uri"], "cid": root_view["cid"]}

        def thread(comment: Comment, parent_ref: dict[str, str], level: int) -> dict[str, Any]:
            kids = children.get(comment.serial, [])
            view = self._reply_view(comment, parent_ref, root_ref, len(kids))
            node: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": view}
            if level < depth:
                ref = {"uri": view["uri"], "cid": view["cid"]}
                node["replies"] = [thread(kid, ref, level + 1) for kid in kids]
            return node

        top: dict[str, Any] = {"$type": "app.bsky.feed.defs#threadViewPost", "post": root_view}
        if depth > 0:
            top["replies"] = [thread(c, root_ref, 1) for c in children.get(None, [])]
        return {"thread": top, "threadgate": None}


def _cdn(kind: str, account: Account) -> str:
    return f"https://cdn.bsky.app/img/{kind}/plain/{account.account_id}/{cid_for(kind, account.key)}@jpeg"


def _limit(value: str | None, default: int) -> int:
    return _bounded_int(value, default, 1, MAX_LIMIT, "limit")


def _bounded_int(value: str | None, default: int, low: int, high: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise invalid_request(f"Error: {name} must be an integer") from None
    if number < low:
        raise invalid_request(f"Error: {name} can not be less than {low}")
    if number > high:
        raise invalid_request(f"Error: {name} can not be greater than {high}")
    return number
