"""Facebook Pages through the Graph API (Pages API and Page Insights).

Speaks the real Graph API: versioned paths, `fields=`, `since`/`until` windows of at
most 90 days, cursor paging through `paging.next`, error payloads
`{"error": {"code", "error_subcode", ...}}` and the usage headers `X-App-Usage` and
`X-Business-Use-Case-Usage`. Pointing it at https://graph.facebook.com with a real
Page token is all production needs.

Metrics are the ones Meta still serves after the 2025-11-15 and v25 removals
(page_media_view replaces page_impressions, page_follows replaces page_fans, ...);
see shared/reference/platform_apis.md §1.4-1.6. A metric that Meta removes later is
dropped with a warning instead of failing the whole extraction: the audit then sees
it missing, which is where a deprecation must surface.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar

import httpx
import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiClient, ApiError, AuthError, RetryPolicy, strip_secret_params
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "facebook"
DEFAULT_VERSION = "v25.0"
MAX_WINDOW_DAYS = 90  # Graph refuses since/until spans over 93 days; stay well inside.

PAGE_FIELDS = "id,name,link,category,followers_count,fan_count"
PAGE_DAY_METRICS = (
    "page_follows",
    "page_daily_follows_unique",
    "page_daily_unfollows_unique",
    "page_media_view",
    "page_total_media_view_unique",
    "page_post_engagements",
    "page_views_total",
)
POST_FIELDS = "id,message,created_time,permalink_url,status_type,shares"
POST_LIFETIME_METRICS = (
    "post_media_view",
    "post_total_media_view_unique",
    "post_reactions_by_type_total",
    "post_clicks",
)
PAID_BREAKDOWN = "is_from_ads"
COMMENT_ENTITY = "comments"
COMMENT_FIELDS = "id,message,created_time,from,parent,permalink_url,like_count"

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET /{page-id}?fields=id,name,link,category,followers_count,fan_count
    # One row per page and extract run: a snapshot "as of" fetched_at.
    "page_snapshots": [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("link", pa.string()),
        pa.field("category", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("fan_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{page-id}/insights?metric=...&period=day[&breakdown=is_from_ads]
    # Long format, one row per (metric, end_time, breakdown value). `breakdown` and
    # `breakdown_value` are '' for the plain total. Report date = end_time - 1 day.
    "page_insights": [
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("end_time", TS, nullable=False),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
    ],
    # GET /{page-id}/posts?fields=id,message,created_time,permalink_url,status_type,shares
    # One row per post seen by the run; comments_total_count comes from the
    # comments edge summary (filter=stream, replies included).
    "posts": [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("message", pa.string()),
        pa.field("created_time", TS, nullable=False),
        pa.field("permalink_url", pa.string()),
        pa.field("status_type", pa.string()),
        pa.field("shares_count", pa.int64()),
        pa.field("comments_total_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{post-id}/insights?metric=...&period=lifetime[&breakdown=is_from_ads]
    # Long format: one row per (post, metric, breakdown value), lifetime values as of
    # fetched_at. Dict-valued metrics (post_reactions_by_type_total, post_clicks_by_type)
    # are exploded with breakdown = 'type'.
    "post_insights": [
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{post-id}/comments?filter=stream&order=chronological
    # Commenters are pseudonymised here: author_pseudo_id is a keyed hash of the
    # platform user id; names and raw ids never reach landing.
    "comments": [
        pa.field("comment_id", pa.string(), nullable=False),
        pa.field("post_id", pa.string(), nullable=False),
        pa.field("page_id", pa.string(), nullable=False),
        pa.field("parent_comment_id", pa.string()),
        pa.field("created_time", TS, nullable=False),
        pa.field("message", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_page", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("permalink_url", pa.string()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}

THROTTLE_CODES = {4, 17, 32, 341, 613, 80001, 80002}
AUTH_CODES = {102, 190}
TRANSIENT_CODES = {1, 2}
INVALID_METRIC_HINTS = ("valid insights metric", "must be one of")


class GraphClient(ApiClient):
    """Graph API dialect of the shared client."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"/(posts|published_posts|feed|comments)$": ("data", ("id", "created_time")),
        r"/insights$": ("data", ("name", "values")),
    }

    def __init__(self, base_url: str, token: str, *, account_key: str, api_version: str = DEFAULT_VERSION, **kw):
        super().__init__(base_url, account_key=account_key, headers={"Authorization": f"Bearer {token}"}, **kw)
        self.api_version = api_version

    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        err = (body or {}).get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return ApiError(
                f"HTTP {response.status_code} without a Graph error body",
                status=response.status_code,
                transient=response.status_code >= 500,
            )
        code, sub = err.get("code"), err.get("error_subcode")
        text = f"Graph error {code}" + (f"/{sub}" if sub else "") + f": {err.get('message', '')}"
        if code in AUTH_CODES:
            return AuthError(
                f"{text}. The Page token is expired or revoked (code 190 / subcode {sub}): generate a new "
                "long-lived Page token and update the Airflow Connection or environment variable; "
                "nothing was written for this account.",
                status=response.status_code,
                code=code,
            )
        if code in (10,) or (isinstance(code, int) and 200 <= code <= 299):
            return AuthError(
                f"{text}. The token lacks a permission (pages_read_engagement, read_insights).",
                status=response.status_code,
                code=code,
            )
        transient = bool(err.get("is_transient")) or code in TRANSIENT_CODES or response.status_code >= 500
        return ApiError(text, status=response.status_code, code=code, transient=transient)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        err = (body or {}).get("error") if isinstance(body, dict) else None
        code = err.get("code") if isinstance(err, dict) else None
        if response.status_code != 429 and code not in THROTTLE_CODES:
            return None
        retry_after = response.headers.get("retry-after")
        if retry_after:
            try:
                return float(retry_after)
            except ValueError:
                pass
        minutes = max((u.get("estimated_time_to_regain_access", 0) for u in _buc_usages(response)), default=0)
        return float(minutes) * 60.0

    def pace_delay(self, response: httpx.Response) -> float:
        """Slow down as usage nears Meta's 100 % before it starts answering throttles."""
        usages = [_json_header(response, "x-app-usage") or {}, *_buc_usages(response)]
        percent = max(
            (float(u.get(k, 0) or 0) for u in usages for k in ("call_count", "total_cputime", "total_time")),
            default=0.0,
        )
        start = self.policy.pace_from_percent
        if percent < start:
            return 0.0
        share = min(1.0, (percent - start) / max(1.0, 100.0 - start))
        return self.policy.pace_max_delay * share

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.get_json(f"{self.api_version}/{path.lstrip('/')}", params)

    def paged(self, path: str, params: dict[str, Any]) -> Iterator[dict]:
        """Every item of a cursor-paged edge, following `paging.next` (token stripped)."""
        body = self.get(path, params)
        seen: set[str] = set()
        while True:
            yield from body.get("data", [])
            nxt = (body.get("paging") or {}).get("next")
            if not nxt:
                return
            nxt = strip_secret_params(nxt)
            if nxt in seen:
                raise ApiError(f"{self.platform}/{self.account_key}: {path}: the paging cursor loops; stopped")
            seen.add(nxt)
            body = self.get_json(nxt)


def parse_graph_time(value: str) -> datetime:
    """Graph timestamps look like 2026-11-25T08:00:00+0000."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def _json_header(response: httpx.Response, name: str) -> Any:
    raw = response.headers.get(name)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _buc_usages(response: httpx.Response) -> list[dict]:
    doc = _json_header(response, "x-business-use-case-usage")
    if not isinstance(doc, dict):
        return []
    return [u for entries in doc.values() if isinstance(entries, list) for u in entries if isinstance(u, dict)]


def _is_invalid_metric(exc: ApiError) -> bool:
    return exc.code == 100 and any(h in str(exc) for h in INVALID_METRIC_HINTS)


def _value_rows(value: Any) -> Iterator[tuple[str, str, int | None]]:
    """(breakdown, breakdown_value, value) rows for a plain or dict-valued metric value."""
    if isinstance(value, dict):
        for key, v in value.items():
            yield "", str(key), None if v is None else int(v)
    else:
        yield "", "", None if value is None else int(value)


class FacebookPagesExtractor:
    """Extracts one Page for one run: snapshot, daily insights, posts, post insights, comments."""

    def __init__(self, client: GraphClient, account: Account, pseudonym_key: str, *, now: datetime | None = None):
        self.client = client
        self.account = account
        self.page_id = account.account_id
        self.key = pseudonym_key
        self.now = now or datetime.now(UTC)
        self.skipped_metrics: set[str] = set()

    def extract(self, window: Window) -> dict[str, list[dict]]:
        posts, post_insights, comments = self.posts_with_details(window)
        return {
            "page_snapshots": [self.page_snapshot()],
            "page_insights": self.page_insights(window),
            "posts": posts,
            "post_insights": post_insights,
            "comments": comments,
        }

    # -- page -------------------------------------------------------------------------
    def page_snapshot(self) -> dict:
        body = self.client.get(self.page_id, {"fields": PAGE_FIELDS})
        return {
            "page_id": str(body.get("id", self.page_id)),
            "name": body.get("name"),
            "link": body.get("link"),
            "category": body.get("category"),
            "followers_count": body.get("followers_count"),
            "fan_count": body.get("fan_count"),
            "fetched_at": self.now,
        }

    def page_insights(self, window: Window) -> list[dict]:
        rows: list[dict] = []
        for chunk in window.chunks(MAX_WINDOW_DAYS):
            params = {
                "period": "day",
                "since": chunk.start.isoformat(),
                "until": (chunk.end + timedelta(days=1)).isoformat(),
            }
            for item in self._insights(self.page_id, PAGE_DAY_METRICS, params):
                rows.extend(self._page_rows(item, breakdown=""))
            for item in self._insights(self.page_id, ("page_media_view",), {**params, "breakdown": PAID_BREAKDOWN}):
                rows.extend(self._page_rows(item, breakdown=PAID_BREAKDOWN))
        return rows

    def _page_rows(self, item: dict, breakdown: str) -> Iterator[dict]:
        for v in item.get("values", []):
            for _, bvalue, value in _value_rows(v.get("value")):
                yield {
                    "page_id": self.page_id,
                    "metric": item["name"],
                    "period": item.get("period", "day"),
                    "end_time": parse_graph_time(v["end_time"]),
                    "breakdown": breakdown if bvalue else "",
                    "breakdown_value": bvalue,
                    "value": value,
                }

    def _insights(self, node: str, metrics: tuple[str, ...], params: dict) -> list[dict]:
        """Insights for several metrics; one removed metric must not sink the others."""
        wanted = [m for m in metrics if m not in self.skipped_metrics]
        if not wanted:
            return []
        try:
            return self.client.get(f"{node}/insights", {**params, "metric": ",".join(wanted)}).get("data", [])
        except ApiError as exc:
            if isinstance(exc, AuthError) or not _is_invalid_metric(exc):
                raise
            if len(wanted) == 1:
                log.warning("%s: metric %s is no longer served (%s); skipped", self.account.key, wanted[0], exc)
                self.skipped_metrics.add(wanted[0])
                return []
        data: list[dict] = []
        for metric in wanted:  # find which metric the platform refuses
            data.extend(self._insights(node, (metric,), params))
        return data

    # -- posts --------------------------------------------------------------------------
    def posts_with_details(self, window: Window) -> tuple[list[dict], list[dict], list[dict]]:
        since = datetime.combine(window.start, time.min, UTC)
        until = datetime.combine(window.end + timedelta(days=1), time.min, UTC)
        params = {"fields": POST_FIELDS, "since": int(since.timestamp()), "until": int(until.timestamp()), "limit": 100}
        posts, insights, comments = [], [], []
        seen: set[str] = set()
        for item in self.client.paged(f"{self.page_id}/posts", params):
            post_id = str(item["id"])
            if post_id in seen:  # a post repeated across pages is loaded once
                continue
            seen.add(post_id)
            post_comments, total = self.comments(post_id)
            comments.extend(post_comments)
            insights.extend(self.post_insights(post_id))
            posts.append(
                {
                    "post_id": post_id,
                    "page_id": self.page_id,
                    "message": item.get("message"),
                    "created_time": parse_graph_time(item["created_time"]),
                    "permalink_url": item.get("permalink_url"),
                    "status_type": item.get("status_type"),
                    "shares_count": int((item.get("shares") or {}).get("count", 0)),
                    "comments_total_count": total,
                    "fetched_at": self.now,
                }
            )
        return posts, insights, comments

    def post_insights(self, post_id: str) -> list[dict]:
        rows = []
        requests = (
            (POST_LIFETIME_METRICS, {"period": "lifetime"}, ""),
            (("post_media_view",), {"period": "lifetime", "breakdown": PAID_BREAKDOWN}, PAID_BREAKDOWN),
        )
        for metrics, params, breakdown in requests:
            for item in self._insights(post_id, metrics, params):
                for v in item.get("values", []):
                    for _, bvalue, value in _value_rows(v.get("value")):
                        rows.append(
                            {
                                "post_id": post_id,
                                "page_id": self.page_id,
                                "metric": item["name"],
                                "period": item.get("period", "lifetime"),
                                "breakdown": (breakdown or "type") if bvalue else "",
                                "breakdown_value": bvalue,
                                "value": value,
                                "fetched_at": self.now,
                            }
                        )
        return rows

    def comments(self, post_id: str) -> tuple[list[dict], int]:
        params = {
            "filter": "stream",
            "order": "chronological",
            "summary": "true",
            "fields": COMMENT_FIELDS,
            "limit": 100,
        }
        rows: list[dict] = []
        seen: set[str] = set()
        for item in self.client.paged(f"{post_id}/comments", params):
            cid = str(item["id"])
            if cid in seen:
                continue
            seen.add(cid)
            author = (item.get("from") or {}).get("id")
            rows.append(
                {
                    "comment_id": cid,
                    "post_id": post_id,
                    "page_id": self.page_id,
                    "parent_comment_id": (item.get("parent") or {}).get("id"),
                    "created_time": parse_graph_time(item["created_time"]),
                    "message": item.get("message"),
                    "author_pseudo_id": pseudonymise(PLATFORM, author, self.key),
                    "is_from_page": author == self.page_id,
                    "like_count": item.get("like_count"),
                    "permalink_url": item.get("permalink_url"),
                    "fetched_at": self.now,
                }
            )
        # The edge's summary.total_count counts what the API may not list (deleted, hidden);
        # we count what we landed so that fct and comment tables agree.
        return rows, len(rows)

    def recent_comments(self, window: Window, period: Period) -> list[dict]:
        """The veille: comments created in `period` on the Page's posts of `window` (no insights)."""
        since = datetime.combine(window.start, time.min, UTC)
        until = min(datetime.combine(window.end + timedelta(days=1), time.min, UTC), period.end)
        params = {"fields": "id,created_time", "since": int(since.timestamp()), "until": int(until.timestamp())}
        rows: list[dict] = []
        seen: set[str] = set()
        for item in self.client.paged(f"{self.page_id}/posts", {**params, "limit": 100}):
            post_id = str(item["id"])
            if post_id not in seen:
                seen.add(post_id)
                rows.extend(period.keep(self.comments(post_id)[0], "created_time"))
        return rows


def token_expiry(client: GraphClient, token: str, account: Account) -> datetime | None:
    """When the token stops reading, from `GET /debug_token` (None: never, as far as Meta says).

    The earliest of `expires_at` (0 = never: a Page token made from a long-lived user
    token) and `data_access_expires_at` (the user's grant of data access, about 90 days,
    renewed when an administrator uses the app). A token that Meta calls invalid fails
    here, before any data is read, through the same AuthError as a data call.
    """
    body = client.get("debug_token", {"input_token": token})
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise ApiError(f"{client.platform}/{account.key}: debug_token answered without `data`", code="schema_drift")
    if not data.get("is_valid"):
        error = data.get("error") or {}
        raise AuthError(
            f"{client.platform}/{account.key}: debug_token says the token is not valid "
            f"(code {error.get('code')}/{error.get('subcode')}): {error.get('message', '')}. Generate a new "
            "long-lived token and update the Airflow Connection or environment variable; nothing was written "
            "for this account." + client.renew_hint(),
            code=error.get("code"),
        )
    moments = [int(data.get(k) or 0) for k in ("expires_at", "data_access_expires_at")]
    found = [datetime.fromtimestamp(m, UTC) for m in moments if m > 0]
    return min(found) if found else None


def build_client(
    base_url: str, token: str, account: Account, api_version: str | None, policy: RetryPolicy | None = None
) -> GraphClient:
    return GraphClient(
        base_url, token, account_key=account.key, api_version=api_version or DEFAULT_VERSION, policy=policy
    )


def extract(ctx: ExtractContext) -> Extraction:
    """One Page, one window: the connector entry point (see socialpulse.connectors)."""
    with build_client(ctx.base_url, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        # `debug_token: false` in the platform options skips the check (expiry then unknown).
        expires = token_expiry(client, ctx.token, ctx.account) if ctx.options.get("debug_token", True) else None
        entities = FacebookPagesExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now).extract(ctx.window)
        return Extraction(entities=entities, stats=client.stats, token_expires_at=expires)


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: comments created in `period` on the posts of `ctx.window`."""
    with build_client(ctx.base_url, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        extractor = FacebookPagesExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now)
        return Extraction(entities={COMMENT_ENTITY: extractor.recent_comments(ctx.window, period)}, stats=client.stats)
