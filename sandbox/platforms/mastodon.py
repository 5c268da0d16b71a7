"""Mastodon, as an instance's REST API serves it (path prefix `/mastodon`).

Point a Mastodon client at `http://127.0.0.1:PORT/mastodon` instead of
`https://<instance>`. The region's accounts live on `social.valdargent.fr`.
Served (GET, public data: no token needed):

* `/api/v1/accounts/lookup?acct=<username>[@<instance>]` and `/api/v1/accounts/:id` Account
* `/api/v1/accounts/:id/statuses?limit=..40&max_id=&since_id=&min_id=&exclude_replies=
  &exclude_reblogs=&only_media=` newest first, `Link` header (rel="next" with max_id,
  rel="prev" with min_id)
* `/api/v1/statuses/:id` Status; `/api/v1/statuses/:id/context` ancestors and descendants

World -> Mastodon mapping (Mastodon serves no views, reach, clicks or daily series):

* `favourites_count` = reactions_total; `reblogs_count` = shares;
* `replies_count` = direct replies only, as Mastodon counts them (top-level comments
  for a post); the world's comment count is the number of descendants;
* `followers_count` = followers at the end of `today - 1`; `statuses_count` = posts
  since EPOCH; `following_count` fixed per account; `last_status_at` = date of the
  latest post;
* the account's answers to comments are its own statuses replying to the commenter,
  starting with a mention of them, like every Mastodon reply; commenters' statuses
  mention the account. Commenters live on several instances (acct `user@domain`).

Ids are snowflakes like Mastodon's: `(milliseconds << 16) | sequence`. A post's id
encodes its creation time and (salt, index), so the sandbox finds it without an
index. A reply's id is anchored on its post's time plus its position (`comment_id`:
truth only knows a comment's serial); its `created_at` is its real time.

The statuses list holds top-level posts only (the account's replies to commenters
appear in contexts; `exclude_replies` is accepted and changes nothing): a
simplification. `content` is HTML (paragraph, linked URLs with Mastodon's invisible
spans, hashtag links, h-card mentions).

Errors are `{"error": "..."}`: 404 "Record not found", 401 "The access token is
invalid" (tokens `sandbox-expired…` or unknown; none is fine for public reads), 429
"Too many requests"; a 500 answers Rails' HTML error page. Rate limits: headers
`X-RateLimit-Limit/Remaining/Reset` (reset as ISO 8601 time), default 300 calls per
300 s per token or IP.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sandbox import region
from sandbox.determinism import rng
from sandbox.platforms.base import ApiError, Call, PublicReadPlatform, Request, Response
from sandbox.ratelimit import Usage
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start
from sandbox.world import COMMENT_SERIAL_BASE, POST_SERIAL_BASE, Comment, Post, World

INSTANCE = "social.valdargent.fr"
DEFAULT_BUDGET = 300
DEFAULT_WINDOW_SECONDS = 300.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 40
VALID_TOKEN = "sandbox-token"
EXPIRED_PREFIX = "sandbox-expired"
REMOTE_INSTANCES = ("mastodon.social", "piaille.fr", "framapiaf.org", "mamot.fr", INSTANCE)
_URL = re.compile(r"https?://[^\s<]+")
_TAG = re.compile(r"(?<![\w/])#(\w+)")
_SERVER_ERROR_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>We're sorry, but something went wrong (500)</title></head>"
    b"<body><div class='dialog'><h1>We're sorry, but something went wrong.</h1></div></body></html>\n"
)


class MastodonError(ApiError):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}

    def response(self) -> Response:
        return Response.json({"error": self.message}, self.status, dict(self.headers))


def not_found() -> MastodonError:
    return MastodonError(404, "Record not found")


# -- ids and derived facts (pure: truth and tests call them) ---------------------------


def _millis(moment: datetime) -> int:
    return int(moment.timestamp()) * 1000


SLOT_SPAN = 600
"""A post's sequence is `slot x 600 + (salt % 60) x 10 + index` (< 60,000, below the
replies' 0xF000): two accounts posting in the same second never share an id."""


def post_sequence(post: Post) -> int:
    return (post.account.slot % 100) * SLOT_SPAN + (post.serial % 60) * 10 + post.index


def status_id(post: Post) -> str:
    """Snowflake of a post: creation time in ms, then (account slot, salt, index) as the sequence."""
    return str((_millis(post.created_at) << 16) | post_sequence(post))


def reply_status_id(post: Post, comment_serial: int) -> str:
    """Snowflake of a reply, anchored on its post's time plus its position (sorts after the post)."""
    position = comment_serial - (COMMENT_SERIAL_BASE + (post.serial - POST_SERIAL_BASE) * 1000)
    return str(((_millis(post.created_at) + position + 1) << 16) | 0xF000 | (post.serial % 4096))


def person_account_id(person_id: str) -> str:
    digest = hashlib.sha256(f"mastodon-person\x1f{person_id}".encode()).digest()
    return str(109_000_000_000_000_000 + int.from_bytes(digest[:8], "big") % 10**15)


def person_acct(person_id: str, name: str) -> tuple[str, str]:
    """(username, domain) of a commenter: a slug of the name on one of a few instances."""
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    username = (re.sub(r"[^a-z0-9]+", "_", ascii_name).strip("_")[:20] or "user") + str(int(person_id) % 97)
    domain = REMOTE_INSTANCES[int(person_id) % len(REMOTE_INSTANCES)]
    return username, domain


def status_counts(world: World, post: Post, as_of: date) -> dict[str, int]:
    """What a status shows when `today = as_of + 1` (the truth of the counters)."""
    metrics = world.post_metrics(post, as_of)
    comments = world.comments_before(post, day_start(as_of + DAY))
    return {
        "favourites_count": metrics.reactions_total,
        "reblogs_count": metrics.shares,
        "replies_count": sum(1 for c in comments if c.parent_serial is None),
        "descendants": len(comments),
    }


def following_count(seed: int, account: Account) -> int:
    return rng(seed, "mastodon-following", account.key).randint(80, 260)


def mastodon_time(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def content_html(text: str, mention: tuple[str, str] | None = None) -> str:
    """Mastodon's HTML for a plain text status: linked URLs and hashtags, a leading mention."""

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        scheme, _, rest = url.partition("://")
        prefix = f"{scheme}://" + ("www." if rest.startswith("www.") else "")
        shown = url[len(prefix) :]
        return (
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
            f'<span class="invisible">{html.escape(prefix)}</span><span class="">{html.escape(shown)}</span>'
            '<span class="invisible"></span></a>'
        )

    def tag(match: re.Match[str]) -> str:
        name = match.group(1)
        return (
            f'<a href="https://{INSTANCE}/tags/{name.lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{html.escape(name)}</span></a>"
        )

    def plain(segment: str) -> str:
        """Escaped text with its hashtags linked (tags found before escaping: `&#39;` is no tag)."""
        out, start = [], 0
        for match in _TAG.finditer(segment):
            out += [html.escape(segment[start : match.start()]), tag(match)]
            start = match.end()
        return "".join([*out, html.escape(segment[start:])])

    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        parts.append(plain(text[position : match.start()]))
        parts.append(link(match))
        position = match.end()
    parts.append(plain(text[position:]))
    body = "".join(parts).replace("\n", "<br />")
    if mention:
        username, domain = mention
        body = (
            f'<span class="h-card" translate="no"><a href="https://{domain}/@{username}" class="u-url mention">'
            f"@<span>{username}</span></a></span> " + body
        )
    return f"<p>{body}</p>"


class MastodonPlatform(PublicReadPlatform):
    """The REST API of the region's Mastodon instance."""

    name = "mastodon"
    default_budget = DEFAULT_BUDGET
    default_window_seconds = DEFAULT_WINDOW_SECONDS

    # -- entry points (see PublicReadPlatform.handle) ------------------------------------

    def _rate_limited(self, usage: Usage) -> MastodonError:
        return MastodonError(429, "Too many requests", self._rate_headers(usage))

    def _method_not_allowed(self, method: str) -> MastodonError:
        return MastodonError(405, "This action is not allowed")

    def _server_error(self) -> Response:
        """Rails' HTML error page, not JSON."""
        return Response(500, _SERVER_ERROR_PAGE, {"Content-Type": "text/html; charset=utf-8"})

    def _token_expired(self) -> MastodonError:
        return MastodonError(401, "The access token is invalid")

    def _token_revoked(self) -> MastodonError:
        challenge = 'Bearer error="invalid_token", error_description="The access token was revoked"'
        return MastodonError(401, "The access token was revoked", {"WWW-Authenticate": challenge})

    # -- ids (used by sandbox.truth) ---------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return status_id(post)

    @staticmethod
    def post_permalink(post: Post) -> str:
        return f"https://{INSTANCE}/@{post.account.username}/{status_id(post)}"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return reply_status_id(post, comment_serial)

    # -- plumbing ----------------------------------------------------------------------

    def _limit_key(self, request: Request) -> str:
        """The rate-limit key: the token when one is sent (it must be valid), else the IP."""
        auth = request.headers.get("Authorization") or ""
        if not auth:
            return "ip"
        scheme, _, token = auth.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or token != VALID_TOKEN:
            raise self._token_expired()  # Mastodon says "invalid" for expired and unknown tokens alike
        return "token"

    @staticmethod
    def _rate_headers(usage: Usage) -> dict[str, str]:
        reset_in = usage.retry_after if usage.retry_after > 0 else usage.window_seconds
        reset_at = datetime.now(UTC) + timedelta(seconds=reset_in)
        return {
            "X-RateLimit-Limit": str(usage.budget),
            "X-RateLimit-Remaining": str(max(0, usage.budget - usage.calls)),
            "X-RateLimit-Reset": reset_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def _answer(self, call: Call) -> Response:
        segments = [s for s in call.request.path.split("/") if s]
        if segments[:2] != ["api", "v1"] or len(segments) < 3:
            raise not_found()
        rest = segments[2:]
        if rest == ["accounts", "lookup"]:
            return Response.json(self._account_entity(call, self._lookup(call.request.query.get("acct"))))
        if rest[0] == "accounts" and len(rest) in (2, 3):
            account = region.account_by_id(self.name, rest[1])
            if account is None:
                raise not_found()
            if len(rest) == 2:
                return Response.json(self._account_entity(call, account))
            if rest[2] == "statuses":
                return self._statuses(call, account)
        if rest[0] == "statuses" and len(rest) in (2, 3):
            post = self._find_post(call, rest[1])
            if len(rest) == 2:
                return Response.json(self._status(call, post))
            if rest[2] == "context":
                return Response.json({"ancestors": [], "descendants": self._descendants(call, post)})
        raise not_found()

    def _lookup(self, acct: str | None) -> Account:
        username, _, domain = (acct or "").lstrip("@").partition("@")
        if domain and domain != INSTANCE:
            raise not_found()
        for account in region.accounts(self.name):
            if account.username == username:
                return account
        raise not_found()

    def _find_post(self, call: Call, raw_id: str) -> Post:
        if not raw_id.isdigit():
            raise not_found()
        value = int(raw_id)
        millis, sequence = value >> 16, value & 0xFFFF
        if sequence >= 0xF000:
            raise not_found()  # a reply: not served on its own by the sandbox
        try:
            created = datetime.fromtimestamp(millis / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise not_found() from None
        if created.date() < EPOCH or created >= call.now:
            raise not_found()
        for account in region.accounts(self.name):
            if account.slot % 100 != sequence // SLOT_SPAN:
                continue
            for post in self.world.posts_on(account, created.date()):
                if post_sequence(post) == sequence and post.created_at == created:
                    return post
        raise not_found()

    # -- entities ----------------------------------------------------------------------

    def _account_entity(self, call: Call, account: Account) -> dict[str, Any]:
        days = (call.today - EPOCH).days
        statuses = 0
        last_day: date | None = None
        for i in range(days):
            count = len(self.world.posts_on(account, EPOCH + timedelta(days=i)))
            statuses += count
            if count:
                last_day = EPOCH + timedelta(days=i)
        url = f"https://{INSTANCE}/@{account.username}"
        return {
            "id": account.account_id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": True,
            "group": False,
            "created_at": "2022-11-07T00:00:00.000Z",
            "note": f"<p>Compte officiel : {html.escape(account.name, quote=True)}.</p>",
            "url": url,
            "uri": f"https://{INSTANCE}/users/{account.username}",
            "avatar": f"https://{INSTANCE}/system/accounts/avatars/{account.account_id}/original/logo.png",
            "header": f"https://{INSTANCE}/system/accounts/headers/{account.account_id}/original/banner.jpg",
            "followers_count": self.world.followers(account, call.as_of),
            "following_count": following_count(self.state.seed, account),
            "statuses_count": statuses,
            "last_status_at": last_day.isoformat() if last_day else None,
            "emojis": [],
            "fields": [{"name": "Site", "value": "https://www.region-valdargent.fr", "verified_at": None}],
        }

    def _account_short(self, account: Account) -> dict[str, Any]:
        return {
            "id": account.account_id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.name,
            "url": f"https://{INSTANCE}/@{account.username}",
            "bot": False,
            "group": False,
        }

    def _person_account(self, comment: Comment) -> dict[str, Any]:
        if comment.is_from_page:
            return self._account_short(comment.post.account)
        username, domain = person_acct(comment.author_id, comment.author_name)
        return {
            "id": person_account_id(comment.author_id),
            "username": username,
            "acct": username if domain == INSTANCE else f"{username}@{domain}",
            "display_name": comment.author_name,
            "url": f"https://{domain}/@{username}",
            "bot": False,
            "group": False,
        }

    def _media(self, post: Post) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        base = f"https://{INSTANCE}/system/media_attachments/files/{post.serial}"
        if post.format == "photo":
            return [
                {
                    "id": str(post.serial),
                    "type": "image",
                    "url": f"{base}/original/photo.jpg",
                    "preview_url": f"{base}/small/photo.jpg",
                    "description": None,
                }
            ], None
        if post.format in ("video", "reel"):
            return [
                {
                    "id": str(post.serial),
                    "type": "video",
                    "url": f"{base}/original/video.mp4",
                    "preview_url": f"{base}/small/video.png",
                    "description": None,
                }
            ], None
        if post.format == "link":
            url = _URL.search(post.message or "")
            card_url = url.group(0) if url else f"https://www.region-valdargent.fr/{post.topic}"
            return [], {"url": card_url, "title": f"Région Val-d'Argent – {post.topic}", "type": "link"}
        return [], None

    def _status(self, call: Call, post: Post) -> dict[str, Any]:
        counts = status_counts(self.world, post, call.as_of)
        media, card = self._media(post)
        sid = status_id(post)
        return {
            "id": sid,
            "created_at": mastodon_time(post.created_at),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": "fr",
            "uri": f"https://{INSTANCE}/users/{post.account.username}/statuses/{sid}",
            "url": self.post_permalink(post),
            "replies_count": counts["replies_count"],
            "reblogs_count": counts["reblogs_count"],
            "favourites_count": counts["favourites_count"],
            "edited_at": None,
            "content": content_html(post.message or ""),
            "reblog": None,
            "application": None,
            "account": self._account_short(post.account),
            "media_attachments": media,
            "mentions": [],
            "tags": [
                {"name": t.lower(), "url": f"https://{INSTANCE}/tags/{t.lower()}"}
                for t in _TAG.findall(post.message or "")
            ],
            "emojis": [],
            "card": card,
            "poll": None,
        }

    def _statuses(self, call: Call, account: Account) -> Response:
        query = call.request.query
        try:
            limit = max(1, min(MAX_LIMIT, int(query.get("limit") or DEFAULT_LIMIT)))
            max_id = int(query["max_id"]) if query.get("max_id") else None
            since_id = int(query["since_id"]) if query.get("since_id") else None
            min_id = int(query["min_id"]) if query.get("min_id") else None
        except ValueError:
            raise MastodonError(400, "Validation failed: invalid pagination parameter") from None
        only_media = (query.get("only_media") or "").lower() in ("1", "true")
        if (query.get("pinned") or "").lower() in ("1", "true"):
            return Response.json([])
        lower = min_id if min_id is not None else since_id

        def eligible(post: Post) -> bool:
            sid = int(status_id(post))
            return (
                post.created_at < call.now
                and (max_id is None or sid < max_id)
                and (lower is None or sid > lower)
                and (not only_media or post.format in ("photo", "video", "reel"))
            )

        found: list[Post] = []
        if min_id is not None:  # the page right after min_id, oldest first, then shown newest first
            day = datetime.fromtimestamp((min_id >> 16) / 1000, tz=UTC).date()
            while day <= call.as_of and len(found) < limit:
                found += [p for p in self.world.posts_on(account, max(day, EPOCH)) if eligible(p)]
                day += DAY
            found = sorted(found[:limit], key=lambda p: int(status_id(p)), reverse=True)
        else:
            day = call.as_of
            if max_id is not None:
                day = min(day, datetime.fromtimestamp((max_id >> 16) / 1000, tz=UTC).date())
            floor = datetime.fromtimestamp((lower >> 16) / 1000, tz=UTC).date() if lower else EPOCH
            while day >= max(EPOCH, floor) and len(found) <= limit:
                posts = sorted(self.world.posts_on(account, day), key=lambda p: int(status_id(p)), reverse=True)
                found += [p for p in posts if eligible(p)]
                day -= DAY
        more = len(found) > limit
        page = found[:limit]
        headers: dict[str, str] = {}
        links = []
        if page:
            if more or min_id is not None:
                links.append(
                    f'<{call.request.url_with(max_id=status_id(page[-1]), min_id=None, since_id=None)}>; rel="next"'
                )
            links.append(
                f'<{call.request.url_with(min_id=status_id(page[0]), max_id=None, since_id=None)}>; rel="prev"'
            )
            headers["Link"] = ", ".join(links)
        return Response.json([self._status(call, p) for p in page], headers=headers)

    def _descendants(self, call: Call, post: Post) -> list[dict[str, Any]]:
        """Replies in thread order (depth first, oldest first among siblings), as Mastodon lists them."""
        comments = self.world.comments_before(post, call.now)
        by_serial = {c.serial: c for c in comments}
        children: dict[int | None, list[Comment]] = {}
        for comment in comments:
            children.setdefault(comment.parent_serial, []).append(comment)
        root_sid = status_id(post)
        ordered: list[Comment] = []
        stack = list(reversed(children.get(None, [])))
        while stack:
            comment = stack.pop()
            ordered.append(comment)
            stack.extend(reversed(children.get(comment.serial, [])))
        result = []
        for comment in ordered:
            parent = by_serial.get(comment.parent_serial) if comment.parent_serial is not None else None
            parent_account = self._person_account(parent) if parent else self._account_short(post.account)
            mention = (parent_account["username"], parent_account["url"].split("/")[2])
            sid = reply_status_id(post, comment.serial)
            author = self._person_account(comment)
            result.append(
                {
                    "id": sid,
                    "created_at": mastodon_time(comment.created_at),
                    "in_reply_to_id": reply_status_id(post, parent.serial) if parent else root_sid,
                    "in_reply_to_account_id": parent_account["id"],
                    "sensitive": False,
                    "spoiler_text": "",
                    "visibility": "public",
                    "language": "fr",
                    "uri": f"{author['url'].rsplit('/@', 1)[0]}/users/{author['username']}/statuses/{sid}",
                    "url": f"{author['url']}/{sid}",
                    "replies_count": len(children.get(comment.serial, [])),
                    "reblogs_count": 0,
                    "favourites_count": comment.like_count,
                    "edited_at": None,
                    "content": content_html(comment.message, mention),
                    "reblog": None,
                    "account": author,
                    "media_attachments": [],
                    "mentions": [
                        {
                            "id": parent_account["id"],
                            "username": parent_account["username"],
                            "acct": parent_account["acct"],
                            "url": parent_account["url"],
                        }
                    ],
                    "tags": [],
                    "emojis": [],
                    "card": None,
                    "poll": None,
                }
            )
        return result
