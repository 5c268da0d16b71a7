"""LinkedIn Pages through the Community Management API (versioned REST, Rest.li 2.0).

Speaks the real API: base `https://api.linkedin.com/rest/` (the sandbox serves the
same paths under `/linkedin/rest/`), the headers `Linkedin-Version: YYYYMM` and
`X-Restli-Protocol-Version: 2.0.0` on every call, Rest.li query values
(`timeIntervals=(timeRange:(start:ms,end:ms),timeGranularityType:DAY)`,
`shares=List(urn%3Ali%3Ashare%3A1,...)`), start/count paging, and error bodies
`{"status", "serviceErrorCode", "code", "message"}`. See
shared/reference/platform_apis.md §3.

Why it is built this way:

* LinkedIn publishes no rate-limit headers and its quotas are **daily** (reset at
  00:00 UTC). Waiting for a 429 to clear would mean waiting hours, so the client
  retries a throttle a few times with a short backoff (infrastructure throttles do
  clear) and then fails with a message saying the daily quota is spent until
  00:00 UTC; Airflow retries the task later.
* Access tokens live 60 days and cannot be refreshed without a person (unless the
  app is an approved partner). The extraction starts by introspecting the token:
  a dead token fails at once with what to renew, and a live one has its expiry
  recorded (`Extraction.token_expires_at` and the `organization_snapshots` row) so
  that dashboards can warn before the pipeline stops.
* Share statistics are organic only and limited to the past 12 months; the Posts
  API has no date filter, so posts are read newest first (`sortBy=CREATED`) until
  they are older than the window.
* Rest.li structure characters must travel unescaped while URN leaves are
  percent-encoded; a small transport re-encodes every query string that way,
  because the shared client normalises query strings with form encoding.
* Commenters are pseudonymised here (keyed hash of the member URN); the
  organization's own comments keep `is_from_account = true`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote

import httpx
import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiClient, ApiError, AuthError, RetryPolicy
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "linkedin"
DEFAULT_VERSION = "202609"
RESTLI_PROTOCOL = "2.0.0"
PAGE_SIZE = 100
COMMENT_ENTITY = "comments"
POSTS_PER_STATS_CALL = 20
MAX_THROTTLE_RETRIES = 3
EXPIRY_WARNING = timedelta(days=10)
FOLLOWER_EDGE = "COMPANY_FOLLOWED_BY_MEMBER"
REACTIONS = ("LIKE", "PRAISE", "EMPATHY", "INTEREST", "APPRECIATION", "ENTERTAINMENT")
SHARE_STATS = (
    ("impression_count", "impressionCount"),
    ("unique_impressions_count", "uniqueImpressionsCount"),
    ("click_count", "clickCount"),
    ("like_count", "likeCount"),
    ("comment_count", "commentCount"),
    ("share_count", "shareCount"),
)

_SHARE_STAT_FIELDS = [pa.field(name, pa.int64()) for name, _ in SHARE_STATS] + [pa.field("engagement", pa.float64())]

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET organizations/{id} + networkSizes/{org urn}?edgeType=COMPANY_FOLLOWED_BY_MEMBER
    # + the token introspection. One row per organization and extract run.
    "organization_snapshots": [
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("organization_urn", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("vanity_name", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("api_version", pa.string(), nullable=False),
        pa.field("token_authorized_at", TS),
        pa.field("token_expires_at", TS),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET organizationalEntityFollowerStatistics?...&timeIntervals=(...DAY)
    # One row per organization and UTC day [time_range_start, time_range_end).
    "follower_statistics": [
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("time_range_start", TS, nullable=False),
        pa.field("time_range_end", TS, nullable=False),
        pa.field("organic_follower_gain", pa.int64()),
        pa.field("paid_follower_gain", pa.int64()),
    ],
    # GET organizationalEntityShareStatistics?...&timeIntervals=(...DAY)
    # Organic only; one row per organization and UTC day. engagement is a ratio.
    "share_statistics": [
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("time_range_start", TS, nullable=False),
        pa.field("time_range_end", TS, nullable=False),
        *_SHARE_STAT_FIELDS,
    ],
    # GET posts?q=author&author={org urn}&sortBy=CREATED. One row per post created in the window.
    # media_type is derived from `content`: image, video, article or none.
    "posts": [
        pa.field("post_urn", pa.string(), nullable=False),
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("commentary", pa.string()),
        pa.field("media_type", pa.string(), nullable=False),
        pa.field("article_url", pa.string()),
        pa.field("visibility", pa.string()),
        pa.field("lifecycle_state", pa.string()),
        pa.field("permalink_url", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("published_at", TS),
        pa.field("last_modified_at", TS),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET organizationalEntityShareStatistics?...&shares=List(..)&ugcPosts=List(..) (lifetime,
    # organic) + GET socialMetadata/{post urn} (reactions by type, comment counts).
    "post_statistics": [
        pa.field("post_urn", pa.string(), nullable=False),
        pa.field("organization_id", pa.string(), nullable=False),
        *_SHARE_STAT_FIELDS,
        *[pa.field(f"reaction_{r.lower()}_count", pa.int64()) for r in REACTIONS],
        pa.field("comments_count", pa.int64()),
        pa.field("top_level_comments_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET socialActions/{post urn}/comments, then socialActions/{comment urn}/comments for replies.
    # author_pseudo_id is a keyed hash of the actor URN: member URNs never reach landing.
    "comments": [
        pa.field("comment_urn", pa.string(), nullable=False),
        pa.field("comment_id", pa.string(), nullable=False),
        pa.field("post_urn", pa.string(), nullable=False),
        pa.field("organization_id", pa.string(), nullable=False),
        pa.field("parent_comment_urn", pa.string()),
        pa.field("created_at", TS, nullable=False),
        pa.field("message", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_account", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("reply_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}


# -- Rest.li 2.0 query encoding ------------------------------------------------------------


def parse_restli(text: str) -> Any:
    """Decode a URL-decoded Rest.li value: `List(..)` -> list, `(k:v,..)` -> dict, else str."""
    value, end = _parse(text, 0, top=True)
    if end != len(text):
        raise ValueError(f"trailing {text[end:]!r} in Rest.li value")
    return value


def _parse(text: str, pos: int, top: bool = False) -> tuple[Any, int]:
    is_list = text.startswith("List(", pos)
    if is_list or text.startswith("(", pos):
        pos += 5 if is_list else 1
        items: list[Any] = []
        obj: dict[str, Any] = {}
        while not text.startswith(")", pos):
            if pos >= len(text):
                raise ValueError("unclosed Rest.li value")
            if is_list:
                item, pos = _parse(text, pos)
                items.append(item)
            else:
                colon = text.index(":", pos)
                obj[text[pos:colon]], pos = _parse(text, colon + 1)
            if text.startswith(",", pos):
                pos += 1
        return (items if is_list else obj), pos + 1
    if top:
        return text[pos:], len(text)
    end = pos
    while end < len(text) and text[end] not in ",)":
        end += 1
    return text[pos:end], end


def encode_restli(value: Any) -> str:
    """Rest.li 2.0 URL form: structure characters raw, leaves percent-encoded."""
    if isinstance(value, list):
        return "List(" + ",".join(encode_restli(v) for v in value) + ")"
    if isinstance(value, dict):
        return "(" + ",".join(f"{quote(str(k), safe='')}:{encode_restli(v)}" for k, v in value.items()) + ")"
    return quote(str(value), safe="")


def restli_query(params: dict[str, Any]) -> str:
    return "&".join(f"{quote(k, safe='')}={encode_restli(v)}" for k, v in params.items())


class RestliTransport(httpx.BaseTransport):
    """Re-encodes each query string in Rest.li 2.0 form before it leaves.

    The shared client canonicalises URLs with form encoding (`:` -> `%3A`), which
    would turn `timeRange:(start:..)` into a literal string for LinkedIn. Values are
    decoded, parsed as Rest.li and re-encoded; plain values come out percent-encoded.
    """

    def __init__(self, inner: httpx.BaseTransport | None = None):
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raw = request.url.query.decode("ascii")
        if raw:
            items = parse_qsl(raw, keep_blank_values=True)
            encoded = "&".join(f"{quote(k, safe='')}={_reencode(v)}" for k, v in items)
            request.url = request.url.copy_with(query=encoded.encode("ascii"))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _reencode(value: str) -> str:
    try:
        return encode_restli(parse_restli(value))
    except ValueError:
        return quote(value, safe="")


# -- client ----------------------------------------------------------------------------------


class QuotaExhausted(ApiError):
    """LinkedIn's daily quota for a resource is spent; it resets at 00:00 UTC."""


class LinkedInClient(ApiClient):
    """LinkedIn REST dialect of the shared client."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"/rest/posts$": ("elements", ("id", "createdAt")),
    }

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        account_key: str,
        api_version: str = DEFAULT_VERSION,
        transport: httpx.BaseTransport | None = None,
        **kw: Any,
    ):
        headers = {
            "Authorization": f"Bearer {token}",
            "Linkedin-Version": api_version,
            "X-Restli-Protocol-Version": RESTLI_PROTOCOL,
        }
        super().__init__(base_url, account_key=account_key, headers=headers, transport=RestliTransport(transport), **kw)
        self.api_version = api_version
        self._token = token
        self._throttle_streak = 0

    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        status = response.status_code
        doc = body if isinstance(body, dict) else {}
        code = doc.get("code") or doc.get("serviceErrorCode")
        text = f"LinkedIn HTTP {status}" + (f" {code}" if code else "") + f": {doc.get('message', '')}".rstrip(": ")
        if status == 401:
            return AuthError(
                f"{text}. The LinkedIn access token is expired, revoked or invalid: a Page administrator must "
                "re-authorize the app (3-legged OAuth, scopes rw_organization_admin and r_organization_social) "
                "and update the token; nothing was written for this account.",
                status=status,
                code=code,
            )
        if status == 403:
            return AuthError(
                f"{text}. The member behind the token is not an ADMINISTRATOR of this Page or the app lacks "
                "the Community Management API product / a scope.",
                status=status,
                code=code,
            )
        if status == 426:
            return ApiError(
                f"{text}. Linkedin-Version {self.api_version} is sunset: set platforms.linkedin.api_version "
                "in config/accounts.yml to a supported YYYYMM version.",
                status=status,
                code=code,
            )
        if status == 429:
            now = datetime.now(UTC)
            reset = datetime.combine(now.date() + timedelta(days=1), time.min, UTC)
            hours, rest = divmod(int((reset - now).total_seconds()), 3600)
            return QuotaExhausted(
                f"{text}. Still throttled after {MAX_THROTTLE_RETRIES} retries: the LinkedIn daily quota for this "
                f"resource is exhausted until 00:00 UTC (in {hours} h {rest // 60:02d} min); rerun after that.",
                status=status,
                code=code,
            )
        return ApiError(text, status=status, code=code, transient=status >= 500)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        """A short backoff for the first throttles of a request; then give up (daily quotas)."""
        if response.status_code != 429 or self._throttle_streak >= MAX_THROTTLE_RETRIES:
            return None
        self._throttle_streak += 1
        return self._backoff(self._throttle_streak)

    def pace_delay(self, response: httpx.Response) -> float:
        self._throttle_streak = 0  # a success ends a throttle streak
        return 0.0

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = f"rest/{path.lstrip('/')}"
        if params:
            url += "?" + restli_query(params)
        self._throttle_streak = 0
        return self.get_json(url)

    def paged(self, path: str, params: dict[str, Any], page_size: int | None = None) -> Iterator[dict]:
        """Every element of a start/count-paged collection."""
        page_size = page_size or PAGE_SIZE
        start = 0
        while True:
            body = self.get(path, {**params, "start": start, "count": page_size})
            elements = body.get("elements") or []
            yield from elements
            paging = body.get("paging") or {}
            total = paging.get("total")
            # Advance by what was asked, not by what came: a page that repeats an item of the
            # previous one (a post published between two reads) must not make us skip one.
            start += min(len(elements), page_size)
            if (
                not elements
                or (total is not None and start >= int(total))
                or (total is None and len(elements) < page_size)
            ):
                return

    def introspect(self, url: str) -> dict[str, Any]:
        """POST the token to the introspection endpoint (form body, never in the URL).

        Transient failures are retried like any call; a non-200 answer is an error
        that names the endpoint, never the token.
        """
        for attempt in range(1, self.policy.max_attempts + 1):
            self.stats.requests += 1
            try:
                response = self._http.post(url, data={"token": self._token})
            except httpx.TransportError as exc:
                problem = type(exc).__name__
            else:
                self.stats.statuses[response.status_code] = self.stats.statuses.get(response.status_code, 0) + 1
                body = _json(response)
                if response.status_code == 200 and isinstance(body, dict):
                    return body
                if response.status_code == 200:  # a cut or garbled body: transient, like any call's
                    problem = "malformed JSON body"
                elif response.status_code == 401:
                    raise self.classify_error(response, body)
                elif response.status_code < 500 and response.status_code != 429:
                    raise ApiError(f"{PLATFORM}/{self.account_key}: token introspection HTTP {response.status_code}")
                else:
                    problem = f"HTTP {response.status_code}"
            if attempt < self.policy.max_attempts:
                self.stats.retries += 1
                log.warning("%s/%s: token introspection %s, retry %d", PLATFORM, self.account_key, problem, attempt)
                self._sleep(self._backoff(attempt))
        raise ApiError(f"{PLATFORM}/{self.account_key}: token introspection still failing ({problem})", transient=True)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# -- helpers ---------------------------------------------------------------------------------


def from_ms(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def from_epoch_seconds(value: Any) -> datetime | None:
    return None if value in (None, "") else datetime.fromtimestamp(int(value), tz=UTC)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _day_bounds(window: Window) -> tuple[datetime, datetime]:
    return (
        datetime.combine(window.start, time.min, UTC),
        datetime.combine(window.end + timedelta(days=1), time.min, UTC),
    )


def media_type(content: dict[str, Any] | None) -> tuple[str, str | None]:
    """(media_type, article_url) of a post's `content`."""
    content = content or {}
    if "article" in content:
        return "article", (content["article"] or {}).get("source")
    media_id = str((content.get("media") or {}).get("id") or "")
    if media_id.startswith("urn:li:video:"):
        return "video", None
    if media_id.startswith("urn:li:image:"):
        return "image", None
    if "multiImage" in content:
        return "image", None
    return ("none" if not content else next(iter(content))), None


def _stat_values(stats: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {name: stats.get(api) for name, api in SHARE_STATS}
    engagement = stats.get("engagement")
    row["engagement"] = None if engagement is None else float(engagement)
    return row


class LinkedInPageExtractor:
    """Extracts one LinkedIn Page for one run."""

    def __init__(self, client: LinkedInClient, account: Account, pseudonym_key: str, *, now: datetime):
        self.client = client
        self.account = account
        self.org_id = account.account_id
        self.org_urn = f"urn:li:organization:{account.account_id}"
        self.key = pseudonym_key
        self.now = now

    def extract(self, window: Window, token: dict[str, Any]) -> dict[str, list[dict]]:
        snapshot = self.snapshot(token)
        posts = self.posts(window)
        return {
            "organization_snapshots": [snapshot],
            "follower_statistics": self.follower_statistics(window),
            "share_statistics": self.share_statistics(window),
            "posts": posts,
            "post_statistics": self.post_statistics(posts),
            "comments": [c for p in posts for c in self.comments(p["post_urn"])],
        }

    def snapshot(self, token: dict[str, Any]) -> dict:
        org = self.client.get(f"organizations/{self.org_id}")
        size = self.client.get(f"networkSizes/{quote(self.org_urn, safe='')}", {"edgeType": FOLLOWER_EDGE})
        return {
            "organization_id": self.org_id,
            "organization_urn": self.org_urn,
            "name": org.get("localizedName"),
            "vanity_name": org.get("vanityName"),
            "followers_count": size.get("firstDegreeSize"),
            "api_version": self.client.api_version,
            "token_authorized_at": from_epoch_seconds(token.get("authorized_at")),
            "token_expires_at": from_epoch_seconds(token.get("expires_at")),
            "fetched_at": self.now,
        }

    def _time_intervals(self, window: Window) -> dict[str, Any]:
        start, end = _day_bounds(window)
        return {"timeRange": {"start": _ms(start), "end": _ms(end)}, "timeGranularityType": "DAY"}

    def _entity_params(self, window: Window) -> dict[str, Any]:
        return {
            "q": "organizationalEntity",
            "organizationalEntity": self.org_urn,
            "timeIntervals": self._time_intervals(window),
        }

    def follower_statistics(self, window: Window) -> list[dict]:
        body = self.client.get("organizationalEntityFollowerStatistics", self._entity_params(window))
        rows = []
        for el in body.get("elements") or []:
            gains = el.get("followerGains") or {}
            rows.append(
                {
                    "organization_id": self.org_id,
                    "time_range_start": from_ms(el["timeRange"]["start"]),
                    "time_range_end": from_ms(el["timeRange"]["end"]),
                    "organic_follower_gain": gains.get("organicFollowerGain"),
                    "paid_follower_gain": gains.get("paidFollowerGain"),
                }
            )
        return rows

    def share_statistics(self, window: Window) -> list[dict]:
        body = self.client.get("organizationalEntityShareStatistics", self._entity_params(window))
        return [
            {
                "organization_id": self.org_id,
                "time_range_start": from_ms(el["timeRange"]["start"]),
                "time_range_end": from_ms(el["timeRange"]["end"]),
                **_stat_values(el.get("totalShareStatistics") or {}),
            }
            for el in body.get("elements") or []
        ]

    def posts(self, window: Window) -> list[dict]:
        """Posts created in the window: newest first, stop at the first older one."""
        since, until = _day_bounds(window)
        params = {"q": "author", "author": self.org_urn, "sortBy": "CREATED"}
        rows: list[dict] = []
        seen: set[str] = set()
        for el in self.client.paged("posts", params):
            created = from_ms(el.get("createdAt"))
            if created is None or created >= until:
                continue
            if created < since:
                break
            urn = str(el["id"])
            if urn in seen:
                continue
            seen.add(urn)
            kind, article = media_type(el.get("content"))
            rows.append(
                {
                    "post_urn": urn,
                    "organization_id": self.org_id,
                    "commentary": el.get("commentary"),
                    "media_type": kind,
                    "article_url": article,
                    "visibility": el.get("visibility"),
                    "lifecycle_state": el.get("lifecycleState"),
                    "permalink_url": f"https://www.linkedin.com/feed/update/{urn}/",
                    "created_at": created,
                    "published_at": from_ms(el.get("publishedAt")),
                    "last_modified_at": from_ms(el.get("lastModifiedAt")),
                    "fetched_at": self.now,
                }
            )
        return rows

    def post_statistics(self, posts: list[dict]) -> list[dict]:
        urns = [p["post_urn"] for p in posts]
        stats: dict[str, dict[str, Any]] = {}
        for i in range(0, len(urns), POSTS_PER_STATS_CALL):
            batch = urns[i : i + POSTS_PER_STATS_CALL]
            params: dict[str, Any] = {"q": "organizationalEntity", "organizationalEntity": self.org_urn}
            shares = [u for u in batch if u.startswith("urn:li:share:")]
            ugc = [u for u in batch if u.startswith("urn:li:ugcPost:")]
            if shares:
                params["shares"] = shares
            if ugc:
                params["ugcPosts"] = ugc
            for el in self.client.get("organizationalEntityShareStatistics", params).get("elements") or []:
                urn = el.get("share") or el.get("ugcPost")
                stats[str(urn)] = el.get("totalShareStatistics") or {}
        rows = []
        for urn in urns:
            meta = self.client.get(f"socialMetadata/{quote(urn, safe='')}")
            reactions = meta.get("reactionSummaries") or {}
            comments = meta.get("commentSummary") or {}
            share_stats = stats.get(urn)  # absent past the 12-month window: NULL, not 0
            rows.append(
                {
                    "post_urn": urn,
                    "organization_id": self.org_id,
                    **(_stat_values(share_stats) if share_stats is not None else {}),
                    **{f"reaction_{r.lower()}_count": int((reactions.get(r) or {}).get("count", 0)) for r in REACTIONS},
                    "comments_count": comments.get("count"),
                    "top_level_comments_count": comments.get("topLevelCount"),
                    "fetched_at": self.now,
                }
            )
        return rows

    def comments(self, post_urn: str) -> list[dict]:
        rows: list[dict] = []
        seen: set[str] = set()
        pending = [(post_urn, None)]
        while pending:
            target, parent = pending.pop(0)
            for el in self.client.paged(f"socialActions/{quote(target, safe='')}/comments", {}):
                urn = str(el.get("$URN") or f"urn:li:comment:({post_urn},{el['id']})")
                if urn in seen:
                    continue
                seen.add(urn)
                actor = el.get("actor") or (el.get("created") or {}).get("actor")
                replies = int((el.get("commentsSummary") or {}).get("aggregatedTotalComments") or 0)
                rows.append(
                    {
                        "comment_urn": urn,
                        "comment_id": str(el["id"]),
                        "post_urn": post_urn,
                        "organization_id": self.org_id,
                        "parent_comment_urn": el.get("parentComment") or parent,
                        "created_at": from_ms((el.get("created") or {}).get("time")),
                        "message": (el.get("message") or {}).get("text"),
                        "author_pseudo_id": pseudonymise(PLATFORM, actor, self.key),
                        "is_from_account": actor == self.org_urn,
                        "like_count": (el.get("likesSummary") or {}).get("totalLikes"),
                        "reply_count": replies,
                        "fetched_at": self.now,
                    }
                )
                if replies and parent is None:
                    pending.append((urn, urn))
        return rows

    def recent_comments(self, window: Window, period: Period) -> list[dict]:
        """The veille: comments created in `period` on the Page's posts of `window` (no statistics)."""
        posts = [p for p in self.posts(window) if p["created_at"] < period.end]
        return [c for p in posts for c in period.keep(self.comments(p["post_urn"]), "created_at")]


def build_client(
    base_url: str,
    token: str,
    account: Account,
    api_version: str | None,
    policy: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
) -> LinkedInClient:
    return LinkedInClient(
        base_url,
        token,
        account_key=account.key,
        api_version=str(api_version or DEFAULT_VERSION),  # YAML reads an unquoted 202609 as an int
        policy=policy,
        transport=transport,
    )


def check_token(client: LinkedInClient, url: str, account: Account, now: datetime) -> dict[str, Any]:
    """Introspect the token; a dead one fails fast, a live one near expiry is logged."""
    info = client.introspect(url)
    if not info.get("active"):
        raise AuthError(
            f"{PLATFORM}/{account.key}: the LinkedIn access token is {info.get('status') or 'inactive'} "
            "(token introspection): a Page administrator must re-authorize the app and update the token "
            "(tokens live 60 days); nothing was written for this account." + client.renew_hint(),
            code=info.get("status"),
        )
    expires = from_epoch_seconds(info.get("expires_at"))
    if expires is not None and expires - now < EXPIRY_WARNING:
        log.warning("%s/%s: the LinkedIn token expires on %s: renew it now", PLATFORM, account.key, expires.isoformat())
    return info


def extract(ctx: ExtractContext, period: Period | None = None) -> Extraction:
    """One LinkedIn Page, one window: the connector entry point (see socialpulse.connectors).

    With `period` (the veille, through `extract_comments`), only the comments created in it.
    """
    base = ctx.base_url.rstrip("/")
    introspect_url = str(ctx.options.get("introspect_url") or f"{base}/oauth/v2/introspectToken")
    with build_client(base, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        # `introspect: false` in the platform options skips the check (the production endpoint
        # also wants the app's client credentials); expiry is then unknown and a dead token
        # still fails fast on its first 401.
        token = check_token(client, introspect_url, ctx.account, ctx.now) if ctx.options.get("introspect", True) else {}
        extractor = LinkedInPageExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now)
        if period is not None:
            entities = {COMMENT_ENTITY: extractor.recent_comments(ctx.window, period)}
        else:
            entities = extractor.extract(ctx.window, token)
        return Extraction(
            entities=entities, stats=client.stats, token_expires_at=from_epoch_seconds(token.get("expires_at"))
        )


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: comments created in `period` on the posts of `ctx.window`."""
    return extract(ctx, period)
