"""Instagram professional accounts through the Instagram API with Facebook Login.

Same Graph API as Facebook (graph.facebook.com, versioned paths, `{"error": {...}}`
payloads, cursor paging, `X-Business-Use-Case-Usage` with `"type":"instagram"`), so
the HTTP dialect is the Facebook connector's `GraphClient`; what differs is the nodes
and the metrics (shared/reference/platform_apis.md §2):

* account snapshot: `GET /{ig-user-id}?fields=username,name,followers_count,follows_count,media_count`;
* account daily metrics: Instagram gives per-day series only for `reach` and
  `follower_count` (`metric_type=time_series`). Every other day metric (views,
  accounts_engaged, total_interactions, likes, comments, shares, saves) only comes
  as a `total_value` over since..until, so the connector asks **day by day**
  (since = D, until = D + 1): one request per day of the window, which is small
  (3 days by default) and gives true daily values instead of a window total that
  could not be split. Both kinds land in `account_insights`, told apart by
  `metric_type`; `report_date` is the UTC day the value covers;
* audience demographics: `follower_demographics` and `reached_audience_demographics`
  (lifetime, timeframe=this_month), one request per metric and breakdown: age,
  gender, city, country and the combination `age,gender` (values `["18-24", "F"]`,
  landed as breakdown `age,gender`, value `18-24,F`). Instagram returns the top 45
  values only and withholds buckets under its privacy threshold: a withheld bucket
  is absent from the answer, so it lands as no row (never as 0);
* media (`GET /{ig-user-id}/media`, since/until, cursor paging);
* media lifetime insights, asked per media product type with the set valid for
  it (FEED, REELS; STORY media are skipped: their insights die after 24 h and the
  /media edge does not list them). Instagram fails the WHOLE request when one
  metric does not fit the product type, so a refused metric is dropped (and
  remembered for that product type) and the request retried without it;
* comments with their replies (`replies{...}` field expansion). Commenters are
  pseudonymised from their username; `is_from_account` marks the account's own
  replies (username equal to the account's).

Missing data is an empty `data` list on Instagram, never zeros: it lands as no row.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar

import pyarrow as pa

from socialpulse.config import Account
from socialpulse.connectors.base import ExtractContext, Extraction, Period, Window
from socialpulse.connectors.client import ApiError, AuthError, RetryPolicy
from socialpulse.connectors.facebook import GraphClient, parse_graph_time, token_expiry
from socialpulse.privacy import pseudonymise

log = logging.getLogger(__name__)

TS = pa.timestamp("us", tz="UTC")

PLATFORM = "instagram"
DEFAULT_VERSION = "v25.0"
MAX_SERIES_DAYS = 30  # day-period account insights: at most 30 days per request

USER_FIELDS = "id,username,name,followers_count,follows_count,media_count"
SERIES_METRICS = ("reach", "follower_count")
DAILY_TOTAL_METRICS = (
    "views",
    "reach",
    "accounts_engaged",
    "total_interactions",
    "likes",
    "comments",
    "shares",
    "saves",
)
DEMOGRAPHIC_METRICS = ("follower_demographics", "reached_audience_demographics")
DEMOGRAPHIC_BREAKDOWNS = ("age", "gender", "city", "country", "age,gender")
DEMOGRAPHIC_TIMEFRAME = "this_month"
MEDIA_FIELDS = "id,caption,media_type,media_product_type,permalink,timestamp,like_count,comments_count"
FEED_METRICS = ("views", "reach", "likes", "comments", "shares", "saved", "total_interactions")
MEDIA_METRICS_BY_PRODUCT: dict[str, tuple[str, ...]] = {
    "FEED": FEED_METRICS,
    "REELS": (*FEED_METRICS, "ig_reels_avg_watch_time"),
    # STORY: skipped (insights only while the story is live; not listed by /media).
}
COMMENT_ENTITY = "comments"
COMMENT_SUBFIELDS = "id,text,timestamp,username,like_count"
COMMENT_FIELDS = f"{COMMENT_SUBFIELDS},replies{{{COMMENT_SUBFIELDS}}}"

LANDING_SCHEMAS: dict[str, list[pa.Field]] = {
    # GET /{ig-user-id}?fields=id,username,name,followers_count,follows_count,media_count
    # One row per account and extract run: a snapshot as of fetched_at.
    "account_snapshots": [
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("username", pa.string()),
        pa.field("name", pa.string()),
        pa.field("followers_count", pa.int64()),
        pa.field("follows_count", pa.int64()),
        pa.field("media_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{ig-user-id}/insights?period=day&metric_type=time_series|total_value
    # Long format, one row per (metric, metric_type, report_date). time_series rows
    # keep the served end_time (report_date = end_time - 1 day); total_value rows are
    # asked one day at a time (since = report_date, until = report_date + 1).
    "account_insights": [
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("metric_type", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("report_date", pa.date32(), nullable=False),
        pa.field("end_time", TS),
        pa.field("value", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{ig-user-id}/insights?metric=follower_demographics|reached_audience_demographics
    #     &period=lifetime&metric_type=total_value&timeframe=this_month
    #     &breakdown=age|gender|city|country|age,gender
    # One row per metric, breakdown and served value (top 45 per breakdown; buckets under
    # the privacy threshold are not served, so have no row), as of fetched_at. A combined
    # breakdown lands comma-joined: breakdown `age,gender`, breakdown_value `18-24,F`.
    "audience_demographics": [
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("timeframe", pa.string(), nullable=False),
        pa.field("breakdown", pa.string(), nullable=False),
        pa.field("breakdown_value", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{ig-user-id}/media?fields=id,caption,media_type,media_product_type,permalink,
    #     timestamp,like_count,comments_count&since&until
    "media": [
        pa.field("media_id", pa.string(), nullable=False),
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("caption", pa.string()),
        pa.field("media_type", pa.string()),
        pa.field("media_product_type", pa.string()),
        pa.field("permalink", pa.string()),
        pa.field("timestamp", TS, nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("comments_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{ig-media-id}/insights?metric=<the set valid for media_product_type>
    # One row per (media, metric): lifetime values as of fetched_at.
    "media_insights": [
        pa.field("media_id", pa.string(), nullable=False),
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("media_product_type", pa.string()),
        pa.field("metric", pa.string(), nullable=False),
        pa.field("period", pa.string(), nullable=False),
        pa.field("value", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
    # GET /{ig-media-id}/comments?fields=id,text,timestamp,username,like_count,replies{...}
    # Comments and replies; the commenter's username is replaced by a keyed hash.
    "comments": [
        pa.field("comment_id", pa.string(), nullable=False),
        pa.field("media_id", pa.string(), nullable=False),
        pa.field("ig_user_id", pa.string(), nullable=False),
        pa.field("parent_comment_id", pa.string()),
        pa.field("created_time", TS, nullable=False),
        pa.field("text", pa.string()),
        pa.field("author_pseudo_id", pa.string()),
        pa.field("is_from_account", pa.bool_(), nullable=False),
        pa.field("like_count", pa.int64()),
        pa.field("fetched_at", TS, nullable=False),
    ],
}

IG_PERMISSIONS = "instagram_basic, instagram_manage_insights, pages_read_engagement"
INVALID_METRIC_HINTS = ("valid insights metric", "must be one of", "does not support the")


class InstagramGraphClient(GraphClient):
    """The Graph dialect (errors, throttles 80002, usage headers) with Instagram's renewal advice."""

    platform = PLATFORM
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        r"/(media|comments)$": ("data", ("id", "timestamp")),
        r"/insights$": ("data", ("name",)),
    }

    def classify_error(self, response: Any, body: Any) -> ApiError:
        error = super().classify_error(response, body)
        if not isinstance(error, AuthError):
            return error
        text = str(error).replace(
            "generate a new long-lived Page token",
            "generate a new long-lived token for the Page linked to the Instagram account",
        )
        text = text.replace("(pages_read_engagement, read_insights)", f"({IG_PERMISSIONS})")
        return AuthError(text, status=error.status, code=error.code)


def _refused_metric(exc: ApiError, wanted: list[str]) -> str | None:
    """The metric an Instagram (#100) error names, if it names one of `wanted`."""
    if isinstance(exc, AuthError) or exc.code != 100 or not any(h in str(exc) for h in INVALID_METRIC_HINTS):
        return None
    text = str(exc)
    for metric in wanted:
        if f"the {metric} metric" in text:
            return metric
    for i in range(len(wanted)):
        if f"metric[{i}]" in text:
            return wanted[i]
    return None


class InstagramExtractor:
    """Extracts one Instagram account for one run."""

    def __init__(self, client: GraphClient, account: Account, pseudonym_key: str, *, now: datetime | None = None):
        self.client = client
        self.account = account
        self.user_id = account.account_id
        self.key = pseudonym_key
        self.now = now or datetime.now(UTC)
        self.username: str | None = None
        self.refused: dict[str, set[str]] = {}
        """Metrics the platform refused, per product type (or 'account'), skipped from then on."""

    def extract(self, window: Window) -> dict[str, list[dict]]:
        snapshot = self.account_snapshot()
        media, media_insights, comments = self.media_with_details(window)
        return {
            "account_snapshots": [snapshot],
            "account_insights": self.account_insights(window),
            "audience_demographics": self.demographics(),
            "media": media,
            "media_insights": media_insights,
            "comments": comments,
        }

    # -- account ------------------------------------------------------------------
    def account_snapshot(self) -> dict:
        body = self.client.get(self.user_id, {"fields": USER_FIELDS})
        self.username = body.get("username")
        return {
            "ig_user_id": str(body.get("id", self.user_id)),
            "username": self.username,
            "name": body.get("name"),
            "followers_count": body.get("followers_count"),
            "follows_count": body.get("follows_count"),
            "media_count": body.get("media_count"),
            "fetched_at": self.now,
        }

    def _insights(self, node: str, metrics: tuple[str, ...], params: dict, scope: str) -> list[dict]:
        """Insights for `metrics`; a metric the platform refuses is dropped and the rest re-asked."""
        refused = self.refused.setdefault(scope, set())
        wanted = [m for m in metrics if m not in refused]
        while wanted:
            try:
                return self.client.get(f"{node}/insights", {**params, "metric": ",".join(wanted)}).get("data", [])
            except ApiError as exc:
                metric = _refused_metric(exc, wanted)
                if metric is None:
                    raise
                log.warning(
                    "%s: Instagram refuses metric %s for %s (%s); dropped", self.account.key, metric, scope, exc
                )
                refused.add(metric)
                wanted.remove(metric)
        return []

    def account_insights(self, window: Window) -> list[dict]:
        rows: list[dict] = []
        for chunk in window.chunks(MAX_SERIES_DAYS):
            params = {
                "period": "day",
                "metric_type": "time_series",
                "since": _unix(chunk.start),
                "until": _unix(chunk.end + timedelta(days=1)),
            }
            for item in self._insights(self.user_id, SERIES_METRICS, params, "account"):
                for v in item.get("values", []):
                    end_time = parse_graph_time(v["end_time"])
                    rows.append(
                        self._insight_row(item, "time_series", (end_time - timedelta(days=1)).date(), end_time, v)
                    )
        day = window.start
        while day <= window.end:
            params = {"period": "day", "metric_type": "total_value", "since": _unix(day), "until": _unix(day + _DAY)}
            for item in self._insights(self.user_id, DAILY_TOTAL_METRICS, params, "account"):
                rows.append(self._insight_row(item, "total_value", day, None, item.get("total_value") or {}))
            day += _DAY
        return rows

    def _insight_row(self, item: dict, metric_type: str, day: date, end_time: datetime | None, holder: dict) -> dict:
        value = holder.get("value")
        return {
            "ig_user_id": self.user_id,
            "metric": item["name"],
            "metric_type": metric_type,
            "period": item.get("period", "day"),
            "report_date": day,
            "end_time": end_time,
            "value": None if value is None else int(value),
            "fetched_at": self.now,
        }

    def demographics(self) -> list[dict]:
        """Every demographic metric by every breakdown; a metric the account cannot have is dropped."""
        rows: list[dict] = []
        for metric in DEMOGRAPHIC_METRICS:
            rows.extend(self._demographics(metric))
        return rows

    def _demographics(self, metric: str) -> list[dict]:
        rows: list[dict] = []
        for breakdown in DEMOGRAPHIC_BREAKDOWNS:
            params = {
                "period": "lifetime",
                "metric_type": "total_value",
                "timeframe": DEMOGRAPHIC_TIMEFRAME,
                "breakdown": breakdown,
            }
            for item in self._insights(self.user_id, (metric,), params, "demographics"):
                for block in (item.get("total_value") or {}).get("breakdowns", []):
                    keys = block.get("dimension_keys") or [breakdown]
                    for result in block.get("results", []):
                        rows.append(
                            {
                                "ig_user_id": self.user_id,
                                "metric": item["name"],
                                "timeframe": DEMOGRAPHIC_TIMEFRAME,
                                "breakdown": ",".join(keys),
                                "breakdown_value": ",".join(str(v) for v in result.get("dimension_values", [])),
                                "value": None if result.get("value") is None else int(result["value"]),
                                "fetched_at": self.now,
                            }
                        )
        return rows

    # -- media --------------------------------------------------------------------
    def media_with_details(self, window: Window) -> tuple[list[dict], list[dict], list[dict]]:
        since = datetime.combine(window.start, time.min, UTC)
        until = datetime.combine(window.end + _DAY, time.min, UTC)
        params = {
            "fields": MEDIA_FIELDS,
            "since": int(since.timestamp()),
            "until": int(until.timestamp()),
            "limit": 100,
        }
        media, insights, comments = [], [], []
        seen: set[str] = set()
        for item in self.client.paged(f"{self.user_id}/media", params):
            media_id = str(item["id"])
            if media_id in seen:
                continue
            seen.add(media_id)
            product = item.get("media_product_type")
            insights.extend(self.media_insights(media_id, product))
            comments.extend(self.comments(media_id))
            media.append(
                {
                    "media_id": media_id,
                    "ig_user_id": self.user_id,
                    "caption": item.get("caption"),
                    "media_type": item.get("media_type"),
                    "media_product_type": product,
                    "permalink": item.get("permalink"),
                    "timestamp": parse_graph_time(item["timestamp"]),
                    "like_count": item.get("like_count"),
                    "comments_count": item.get("comments_count"),
                    "fetched_at": self.now,
                }
            )
        return media, insights, comments

    def media_insights(self, media_id: str, product: str | None) -> list[dict]:
        metrics = MEDIA_METRICS_BY_PRODUCT.get(product or "")
        if not metrics:
            log.info("%s: media %s is %s; no lifetime insights asked", self.account.key, media_id, product)
            return []
        return [
            {
                "media_id": media_id,
                "ig_user_id": self.user_id,
                "media_product_type": product,
                "metric": item["name"],
                "period": item.get("period", "lifetime"),
                "value": _first_value(item),
                "fetched_at": self.now,
            }
            for item in self._insights(media_id, metrics, {}, f"media:{product}")
        ]

    def comments(self, media_id: str) -> list[dict]:
        rows: list[dict] = []
        seen: set[str] = set()
        for item in self.client.paged(f"{media_id}/comments", {"fields": COMMENT_FIELDS, "limit": 50}):
            for comment, parent in _with_replies(item):
                cid = str(comment["id"])
                if cid in seen:
                    continue
                seen.add(cid)
                username = comment.get("username")
                rows.append(
                    {
                        "comment_id": cid,
                        "media_id": media_id,
                        "ig_user_id": self.user_id,
                        "parent_comment_id": parent,
                        "created_time": parse_graph_time(comment["timestamp"]),
                        "text": comment.get("text"),
                        "author_pseudo_id": pseudonymise(PLATFORM, username, self.key),
                        "is_from_account": bool(username) and username == self.username,
                        "like_count": comment.get("like_count"),
                        "fetched_at": self.now,
                    }
                )
        return rows

    def recent_comments(self, window: Window, period: Period) -> list[dict]:
        """The veille: comments created in `period` on the media of `window` (no insights)."""
        self.account_snapshot()  # the account's username tells its own replies apart
        since = datetime.combine(window.start, time.min, UTC)
        until = min(datetime.combine(window.end + _DAY, time.min, UTC), period.end)
        params = {"fields": "id,timestamp", "since": int(since.timestamp()), "until": int(until.timestamp())}
        rows: list[dict] = []
        seen: set[str] = set()
        for item in self.client.paged(f"{self.user_id}/media", {**params, "limit": 100}):
            media_id = str(item["id"])
            if media_id not in seen:
                seen.add(media_id)
                rows.extend(period.keep(self.comments(media_id), "created_time"))
        return rows


_DAY = timedelta(days=1)


def _unix(day: date) -> int:
    return int(datetime.combine(day, time.min, UTC).timestamp())


def _first_value(item: dict) -> int | None:
    values = item.get("values") or [{}]
    value = values[0].get("value") if values else None
    if value is None and isinstance(item.get("total_value"), dict):
        value = item["total_value"].get("value")
    return None if value is None else int(value)


def _with_replies(item: dict) -> Iterator[tuple[dict, str | None]]:
    """A top-level comment, then its replies with the parent's id."""
    yield item, None
    for reply in (item.get("replies") or {}).get("data", []):
        yield reply, str(item["id"])


def build_client(
    base_url: str, token: str, account: Account, api_version: str | None, policy: RetryPolicy | None = None
) -> InstagramGraphClient:
    return InstagramGraphClient(
        base_url, token, account_key=account.key, api_version=api_version or DEFAULT_VERSION, policy=policy
    )


def extract(ctx: ExtractContext) -> Extraction:
    """One Instagram account, one window: the connector entry point (see socialpulse.connectors)."""
    with build_client(ctx.base_url, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        # `debug_token: false` in the platform options skips the check (expiry then unknown).
        expires = token_expiry(client, ctx.token, ctx.account) if ctx.options.get("debug_token", True) else None
        entities = InstagramExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now).extract(ctx.window)
        return Extraction(entities=entities, stats=client.stats, token_expires_at=expires)


def extract_comments(ctx: ExtractContext, period: Period) -> Extraction:
    """The veille's incremental read: comments created in `period` on the media of `ctx.window`."""
    with build_client(ctx.base_url, ctx.token, ctx.account, ctx.api_version, ctx.policy) as client:
        extractor = InstagramExtractor(client, ctx.account, ctx.pseudonym_key, now=ctx.now)
        return Extraction(entities={COMMENT_ENTITY: extractor.recent_comments(ctx.window, period)}, stats=client.stats)
