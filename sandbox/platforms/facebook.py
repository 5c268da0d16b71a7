"""Facebook Pages, as the Meta Graph API serves them (path prefix `/facebook`).

Point a Graph client at `http://127.0.0.1:PORT/facebook` instead of
`https://graph.facebook.com`. Served nodes and edges (versions v23.0–v27.0):

* `/{page-id}` fields id, name, link, category, username, followers_count, fan_count
* `/{page-id}/insights[/{metric}[/{period}]]` period=day Page metrics
* `/{page-id}/posts` (also `/published_posts`, `/feed`) the Page's own posts
* `/{post-id}` post fields; `/{post-id}/insights` period=lifetime post metrics
* `/{post-id}/comments` comments and replies

"Now" is 00:00 UTC of the simulated `today`: posts and comments created before
it exist, lifetime values are those as of the end of `today - 1`, and daily
insights cover days up to `today - 1`. All numbers come from `sandbox.world`,
the same functions `sandbox.truth` reports, so the two cannot disagree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sandbox import region
from sandbox.determinism import rng
from sandbox.faults import FaultRule
from sandbox.platforms.base import Platform, Request, Response
from sandbox.platforms.graph_common import (
    DEFAULT_VERSION,
    SUPPORTED_VERSIONS,
    GraphError,
    TokenRegistry,
    decode_cursor,
    deprecated_version,
    encode_cursor,
    expired_token,
    graph_response,
    graph_time,
    invalid_metric,
    invalid_parameter,
    is_true,
    no_metric,
    nonexisting_field,
    parse_fields,
    parse_limit,
    throttled,
    unexpected_error,
    unsupported_get,
    unsupported_method,
    usage_headers,
)
from sandbox.ratelimit import RollingWindow, Usage
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start, parse_timestamp, two_years_before
from sandbox.world import AccountDay, Comment, Post, PostMetrics, World, settle

if TYPE_CHECKING:
    from sandbox.state import SandboxState

MAX_INSIGHTS_SPAN_SECONDS = 93 * 86400  # 8,035,200 s
MAX_LIMIT = 100
DEFAULT_PAGE_BUDGET = 4800
DEFAULT_APP_BUDGET = 20000
DEFAULT_WINDOW_SECONDS = 3600.0

_VERSION = re.compile(r"^v\d+\.\d+$")

STATUS_TYPES = {
    "photo": "added_photos",
    "video": "added_video",
    "reel": "added_video",
    "link": "shared_story",
    "text": "mobile_status_update",
}


@dataclass(frozen=True)
class _Metric:
    title: str
    description: str
    value: Callable[[Any], int]
    paid: Callable[[Any], int] | None = None
    """Paid part, when the metric supports `breakdown=is_from_ads`."""


PAGE_DAY_METRICS: dict[str, _Metric] = {
    "page_media_view": _Metric(
        "Daily Views",
        "Daily: The number of times your content was played or displayed, including ads.",
        lambda d: d.views,
        lambda d: d.views_paid,
    ),
    "page_total_media_view_unique": _Metric(
        "Daily Viewers", "Daily: The number of people who saw your content at least once.", lambda d: d.viewers
    ),
    "page_follows": _Metric(
        "Daily Follows", "Daily: The total number of people who follow your Page.", lambda d: d.followers
    ),
    "page_daily_follows_unique": _Metric(
        "Daily New Follows", "Daily: The number of new people who followed your Page.", lambda d: d.follows
    ),
    "page_daily_unfollows_unique": _Metric(
        "Daily Unfollows", "Daily: The number of people who unfollowed your Page.", lambda d: d.unfollows
    ),
    "page_post_engagements": _Metric(
        "Daily Post Engagements",
        "Daily: The number of times people interacted with your posts through reactions, comments, shares and clicks.",
        lambda d: d.post_engagements,
    ),
    "page_views_total": _Metric(
        "Daily Total Views count per Page",
        "Daily: The number of times a Page's profile was viewed.",
        lambda d: d.page_views,
    ),
    "page_video_views": _Metric(
        "Daily Total Video Views",
        "Daily: The number of times your Page's videos played for at least 3 seconds.",
        lambda d: d.video_views,
    ),
}

POST_LIFETIME_METRICS: dict[str, _Metric] = {
    "post_media_view": _Metric(
        "Lifetime Post Views",
        "Lifetime: The number of times your post was played or displayed, including ads.",
        lambda m: m.views,
        lambda m: m.views_paid,
    ),
    "post_total_media_view_unique": _Metric(
        "Lifetime Post Viewers", "Lifetime: The number of people who saw your post at least once.", lambda m: m.viewers
    ),
    "post_reactions_by_type_total": _Metric(
        "Lifetime Total post Reactions by Type.",
        "Lifetime: Total post reactions by type.",
        lambda m: dict(m.reactions),
    ),
    "post_clicks": _Metric(
        "Lifetime Post Clicks", "Lifetime: The number of clicks anywhere in your post.", lambda m: m.clicks
    ),
    "post_video_views": _Metric(
        "Lifetime Post Video Views",
        "Lifetime: The number of times your video played for at least 3 seconds.",
        lambda m: m.video_views,
    ),
}

PAGE_FIELDS = ("id", "name", "link", "category", "username", "followers_count", "fan_count")
POST_FIELDS = (
    "id",
    "message",
    "created_time",
    "updated_time",
    "permalink_url",
    "status_type",
    "shares",
    "is_published",
    "from",
)
COMMENT_FIELDS = ("id", "message", "created_time", "from", "parent", "permalink_url", "like_count", "comment_count")


@dataclass(frozen=True)
class _Call:
    """One authenticated request with the simulated clock read once."""

    request: Request
    version: str
    today: date

    @property
    def now(self) -> datetime:
        return day_start(self.today)

    @property
    def as_of(self) -> date:
        """Lifetime values are served as of the end of this UTC day."""
        return self.today - DAY


@dataclass(frozen=True)
class _Target:
    node_id: str
    account: Account
    post: Post | None
    edge: str | None
    tail: tuple[str, ...]


class FacebookPlatform(Platform):
    """The Graph API for the region's Facebook Pages."""

    name = "facebook"

    def __init__(self, state: SandboxState):
        super().__init__(state)
        self.tokens = TokenRegistry()
        self.page_limits = RollingWindow(DEFAULT_PAGE_BUDGET, DEFAULT_WINDOW_SECONDS)
        self.app_limits = RollingWindow(DEFAULT_APP_BUDGET, DEFAULT_WINDOW_SECONDS)

    @property
    def world(self) -> World:
        return self.state.world

    # -- entry points ----------------------------------------------------------

    def handle(self, request: Request) -> Response:
        segments = [s for s in request.path.split("/") if s]
        version = DEFAULT_VERSION
        page_id: str | None = None
        page_usage: Usage | None = None
        try:
            if segments and _VERSION.match(segments[0]):
                version = segments.pop(0)
                if version not in SUPPORTED_VERSIONS:
                    raise deprecated_version(version)
            call = _Call(request, version, self.state.today)
            allowed_pages = self.tokens.check(self._token(request), call.today)
            if not segments:
                raise unsupported_get("")
            if request.method != "GET":
                raise unsupported_method(request.method, segments[0])
            target = self._resolve(call, segments, allowed_pages)
            page_id = target.account.account_id
            page_usage = self._charge(page_id)
            response = graph_response(self._dispatch(call, target))
        except GraphError as error:
            response = error.response()
        for name, value in self._usage_headers(page_id, page_usage).items():
            response.headers.setdefault(name, value)  # a throttle error brings its own
        response.headers["facebook-api-version"] = version
        return response

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        page_id = self._page_id_in_path(request.path)
        if rule.kind == "http_429":
            seconds = int(rule.seconds) if rule.seconds is not None else 1
            code = int(rule.options.get("code", 80001))
            fake = Usage(
                False, self.page_limits.budget, self.page_limits.budget, self.page_limits.window_seconds, seconds
            )
            headers = usage_headers(self.app_limits.peek("app"), page_id, fake)
            response = throttled(code, seconds, headers).response()
        elif rule.kind == "http_500":
            response = unexpected_error().response()
        elif rule.kind == "expired_token":
            response = expired_token(self.state.today).response()
        else:
            raise ValueError(f"fault kind {rule.kind!r} is not implemented for facebook")
        response.headers.setdefault("X-App-Usage", self._usage_headers(None, None)["X-App-Usage"])
        response.headers.setdefault("X-Business-Use-Case-Usage", "{}")
        response.headers["facebook-api-version"] = self._version_in_path(request.path)
        return response

    def configure_ratelimit(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Set `budget` (calls per Page), `window_seconds`, `app_budget`; `reset` clears counts."""
        window = float(settings.get("window_seconds", self.page_limits.window_seconds))
        self.page_limits.configure(int(settings.get("budget", self.page_limits.budget)), window)
        self.app_limits.configure(int(settings.get("app_budget", self.app_limits.budget)), window)
        if settings.get("reset"):
            self.page_limits.reset()
            self.app_limits.reset()
        return {
            "platform": self.name,
            "budget": self.page_limits.budget,
            "app_budget": self.app_limits.budget,
            "window_seconds": self.page_limits.window_seconds,
        }

    # -- ids -------------------------------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return f"{post.account.account_id}_{post.serial}"

    @staticmethod
    def post_permalink(post: Post) -> str:
        if post.format == "reel":
            return f"https://www.facebook.com/reel/{post.serial}"
        return f"https://www.facebook.com/{post.account.account_id}/posts/{post.serial}"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return f"{post.serial}_{comment_serial}"

    # -- plumbing ----------------------------------------------------------------

    @staticmethod
    def _token(request: Request) -> str | None:
        token = request.query.get("access_token")
        if token:
            return token
        auth = request.headers.get("Authorization") or ""
        scheme, _, value = auth.partition(" ")
        return value.strip() if scheme.lower() in ("bearer", "oauth") else None

    @staticmethod
    def _page_id_in_path(path: str) -> str | None:
        segments = [s for s in path.split("/") if s and not _VERSION.match(s)]
        return segments[0].split("_", 1)[0] if segments and segments[0][:1].isdigit() else None

    @staticmethod
    def _version_in_path(path: str) -> str:
        first = next((s for s in path.split("/") if s), "")
        return first if first in SUPPORTED_VERSIONS else DEFAULT_VERSION

    def _charge(self, page_id: str) -> Usage:
        """Count the call against the Page and app budgets; throttle when exhausted."""
        app = self.app_limits.peek("app")
        if not app.allowed:
            headers = usage_headers(app, page_id, self.page_limits.peek(page_id))
            raise throttled(4, app.retry_after_seconds, headers)
        page = self.page_limits.hit(page_id)
        if not page.allowed:
            raise throttled(80001, page.retry_after_seconds, usage_headers(app, page_id, page))
        self.app_limits.hit("app")
        return page

    def _usage_headers(self, page_id: str | None, page_usage: Usage | None) -> dict[str, str]:
        return usage_headers(self.app_limits.peek("app"), page_id, page_usage)

    def _resolve(self, call: _Call, segments: list[str], allowed: frozenset[str] | None) -> _Target:
        """Find the node (a Page or one of its posts) the path starts with."""
        node_id, edge, tail = segments[0], (segments[1] if len(segments) > 1 else None), tuple(segments[2:])
        page_part, _, serial_part = node_id.partition("_")
        account = region.account_by_id(self.name, page_part)
        if account is None or (allowed is not None and account.account_id not in allowed):
            raise unsupported_get(node_id)
        post = None
        if serial_part:
            post = self.world.find_post(account, int(serial_part)) if serial_part.isdigit() else None
            if post is None or post.created_at >= call.now:
                raise unsupported_get(node_id)
        return _Target(node_id, account, post, edge, tail)

    def _dispatch(self, call: _Call, target: _Target) -> dict[str, Any]:
        node_type = "Post" if target.post else "Page"
        if target.edge is None:
            if target.post:
                return self._post_node(call, target.post)
            return self._page_node(call, target.account)
        if target.edge == "insights" and len(target.tail) <= 2:
            metric, period = (list(target.tail) + [None, None])[:2]
            if target.post:
                return self._post_insights(call, target.post, metric)
            return self._page_insights(call, target.account, metric, period)
        if target.tail:
            raise unsupported_get(f"{target.node_id}/{target.edge}/{'/'.join(target.tail)}")
        if target.post is None and target.edge in ("posts", "published_posts", "feed"):
            return self._page_posts(call, target.account)
        if target.post is not None and target.edge == "comments":
            return self._comments(call, target.post)
        raise nonexisting_field(target.edge, node_type)

    # -- Page ----------------------------------------------------------------------

    def _page_node(self, call: _Call, account: Account) -> dict[str, Any]:
        fields = parse_fields(call.request.query.get("fields"), ("id", "name"))
        for field in fields:
            if field not in PAGE_FIELDS:
                raise nonexisting_field(field, "Page")
        followers = self.world.followers(account, call.as_of)
        fan_ratio = rng(self.state.seed, "fan-ratio", account.platform, account.key).randint(880, 950)
        values = {
            "id": account.account_id,
            "name": account.name,
            "link": f"https://www.facebook.com/{account.username}",
            "category": account.category,
            "username": account.username,
            "followers_count": followers,
            "fan_count": followers * fan_ratio // 1000,
        }
        return {field: values[field] for field in ["id", *fields] if field in values}

    def _insight_days(self, call: _Call) -> tuple[list[date], datetime, datetime]:
        """Days of a since/until window that the Page insights may show, and the window."""
        query = call.request.query
        try:
            until = parse_timestamp(query["until"]) if query.get("until") else call.now
            since = parse_timestamp(query["since"]) if query.get("since") else until - 2 * DAY
        except ValueError:
            raise invalid_parameter("The parameters since and until must be unix timestamps or dates") from None
        if since > until:
            raise invalid_parameter("The since parameter must be before the until parameter")
        if (until - since).total_seconds() > MAX_INSIGHTS_SPAN_SECONDS:
            raise invalid_parameter(
                f"There cannot be more than 93 days ({MAX_INSIGHTS_SPAN_SECONDS} s) between since and until"
            )
        first = max(since.date(), EPOCH, two_years_before(call.today))
        last = min(until.date() - DAY, call.as_of)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        return days, since, until

    def _page_insights(
        self, call: _Call, account: Account, path_metric: str | None, path_period: str | None
    ) -> dict[str, Any]:
        query = call.request.query
        names = [m.strip() for m in (path_metric or query.get("metric") or "").split(",") if m.strip()]
        if not names:
            raise no_metric()
        period = path_period or query.get("period") or "day"
        if period != "day":
            raise invalid_parameter(f"period must be one of the following values: day (got {period})")
        for name in names:
            if name not in PAGE_DAY_METRICS:
                raise invalid_metric(name)
        breakdown = query.get("breakdown")
        self._check_breakdown(breakdown, names, PAGE_DAY_METRICS)
        days, since, until = self._insight_days(call)
        series: list[AccountDay] = [self.world.account_day(account, d) for d in days]
        data = []
        for name in names if series else []:
            metric = PAGE_DAY_METRICS[name]
            data.append(
                {
                    "name": name,
                    "period": "day",
                    "values": [
                        {
                            "value": self._value(metric, day, breakdown),
                            "end_time": graph_time(day_start(day.day + DAY) + timedelta(hours=8)),
                        }
                        for day in series
                    ],
                    "title": metric.title,
                    "description": metric.description,
                    "id": f"{account.account_id}/insights/{name}/day",
                }
            )
        span = until - since
        request = call.request
        paging = {
            "previous": request.url_with(since=str(int((since - span).timestamp())), until=str(int(since.timestamp()))),
            "next": request.url_with(since=str(int(until.timestamp())), until=str(int((until + span).timestamp()))),
        }
        return {"data": data, "paging": paging}

    @staticmethod
    def _check_breakdown(breakdown: str | None, names: list[str], metrics: dict[str, _Metric]) -> None:
        if not breakdown:
            return
        if breakdown != "is_from_ads":
            raise invalid_parameter(f"The breakdown {breakdown} is not supported by the sandbox (only is_from_ads)")
        for name in names:
            if metrics[name].paid is None:
                raise invalid_parameter(f"The breakdown is_from_ads is not supported for the metric {name}")

    @staticmethod
    def _value(metric: _Metric, source: Any, breakdown: str | None) -> Any:
        total = metric.value(source)
        if breakdown and metric.paid is not None:
            paid = metric.paid(source)
            return {"true": paid, "false": total - paid}
        return total

    # -- posts ---------------------------------------------------------------------

    def _post_values(self, call: _Call, post: Post, fields: list[str]) -> dict[str, Any]:
        account = post.account
        shares = settle(self.world.post_totals(post).shares, (call.as_of - post.day).days)
        values: dict[str, Any] = {
            "id": self.post_id(post),
            "message": post.message,
            "created_time": graph_time(post.created_at),
            "updated_time": graph_time(post.created_at),
            "permalink_url": self.post_permalink(post),
            "status_type": STATUS_TYPES[post.format],
            "shares": {"count": shares} if shares else None,
            "is_published": True,
            "from": {"name": account.name, "id": account.account_id},
        }
        # Graph omits absent values (no message, no shares) rather than sending null.
        return {f: values[f] for f in ["id", *fields] if values.get(f) is not None}

    def _post_node(self, call: _Call, post: Post) -> dict[str, Any]:
        fields = parse_fields(call.request.query.get("fields"), ("created_time", "message", "id"))
        for field in fields:
            if field not in POST_FIELDS:
                raise nonexisting_field(field, "Post")
        return self._post_values(call, post, fields)

    def _page_posts(self, call: _Call, account: Account) -> dict[str, Any]:
        """Newest first, cursor-paged, created in [since, until) and before now."""
        query = call.request.query
        fields = parse_fields(query.get("fields"), ("created_time", "message", "id"))
        for field in fields:
            if field not in POST_FIELDS:
                raise nonexisting_field(field, "Post")
        limit = parse_limit(query.get("limit"), 25, MAX_LIMIT)
        try:
            since = parse_timestamp(query["since"]) if query.get("since") else None
            until = parse_timestamp(query["until"]) if query.get("until") else None
        except ValueError:
            raise invalid_parameter("The parameters since and until must be unix timestamps or dates") from None
        upper = min(until, call.now) if until else call.now
        boundary: tuple[int, int] | None = None
        if query.get("after"):
            ts, serial = decode_cursor(query["after"], "post", 2)
            boundary = (int(ts), int(serial))

        def sort_key(post: Post) -> tuple[int, int]:
            return int(post.created_at.timestamp()), post.serial

        found: list[Post] = []
        day = (upper - timedelta(microseconds=1)).date()
        if boundary:
            day = min(day, datetime.fromtimestamp(boundary[0], tz=upper.tzinfo).date())
        floor_day = max(EPOCH, since.date() if since else EPOCH)
        while day >= floor_day and len(found) <= limit:
            for post in sorted(self.world.posts_on(account, day), key=sort_key, reverse=True):
                if post.created_at >= upper or (since and post.created_at < since):
                    continue
                if boundary and sort_key(post) >= boundary:
                    continue
                found.append(post)
            day -= DAY
        page, more = found[:limit], len(found) > limit
        result: dict[str, Any] = {"data": [self._post_values(call, p, fields) for p in page]}
        if page:
            cursors = {
                "before": encode_cursor("post", *sort_key(page[0])),
                "after": encode_cursor("post", *sort_key(page[-1])),
            }
            result["paging"] = {"cursors": cursors}
            if more:
                result["paging"]["next"] = call.request.url_with(after=cursors["after"], before=None)
        return result

    def _post_insights(self, call: _Call, post: Post, path_metric: str | None) -> dict[str, Any]:
        query = call.request.query
        names = [m.strip() for m in (path_metric or query.get("metric") or "").split(",") if m.strip()]
        if not names:
            raise no_metric()
        period = query.get("period") or "lifetime"
        if period != "lifetime":
            raise invalid_parameter(f"period must be one of the following values: lifetime (got {period})")
        for name in names:
            if name not in POST_LIFETIME_METRICS:
                raise invalid_metric(name)
        breakdown = query.get("breakdown")
        self._check_breakdown(breakdown, names, POST_LIFETIME_METRICS)
        metrics: PostMetrics = self.world.post_metrics(post, call.as_of)
        post_id = self.post_id(post)
        return {
            "data": [
                {
                    "name": name,
                    "period": "lifetime",
                    "values": [{"value": self._value(POST_LIFETIME_METRICS[name], metrics, breakdown)}],
                    "title": POST_LIFETIME_METRICS[name].title,
                    "description": POST_LIFETIME_METRICS[name].description,
                    "id": f"{post_id}/insights/{name}/lifetime",
                }
                for name in names
            ]
        }

    # -- comments ------------------------------------------------------------------

    def _comment_values(self, comment: Comment, fields: list[str]) -> dict[str, Any]:
        post = comment.post
        parent = comment.parent_serial
        values: dict[str, Any] = {
            "id": self.comment_id(post, comment.serial),
            "message": comment.message,
            "created_time": graph_time(comment.created_at),
            "from": {"name": comment.author_name, "id": comment.author_id},
            "parent": {"id": self.comment_id(post, parent)} if parent is not None else None,
            "permalink_url": (
                f"https://www.facebook.com/{post.account.account_id}/posts/{post.serial}?comment_id={comment.serial}"
            ),
            "like_count": comment.like_count,
            "comment_count": comment.reply_count,
        }
        return {f: values[f] for f in [*fields, "id"] if values.get(f) is not None}

    def _comments(self, call: _Call, post: Post) -> dict[str, Any]:
        """Top-level comments by default, everything with filter=stream; cursor-paged."""
        query = call.request.query
        fields = parse_fields(query.get("fields"), ("created_time", "from", "message", "id"))
        for field in fields:
            if field not in COMMENT_FIELDS:
                raise nonexisting_field(field, "Comment")
        stream = (query.get("filter") or "toplevel") == "stream"
        if query.get("filter") not in (None, "", "stream", "toplevel"):
            raise invalid_parameter("filter must be one of the following values: toplevel, stream")
        order = query.get("order") or "chronological"
        if order not in ("chronological", "reverse_chronological"):
            raise invalid_parameter("order must be one of the following values: chronological, reverse_chronological")
        limit = parse_limit(query.get("limit"), 25, MAX_LIMIT)
        comments = [c for c in self.world.comments_before(post, call.now) if stream or c.parent_serial is None]
        if order == "reverse_chronological":
            comments.reverse()
        start = 0
        if query.get("after"):
            (serial,) = decode_cursor(query["after"], "comment", 1)
            positions = {c.serial: i for i, c in enumerate(comments)}
            if int(serial) not in positions:
                raise invalid_parameter("Invalid cursor")
            start = positions[int(serial)] + 1
        page = comments[start : start + limit]
        result: dict[str, Any] = {"data": [self._comment_values(c, fields) for c in page]}
        if page:
            cursors = {
                "before": encode_cursor("comment", page[0].serial),
                "after": encode_cursor("comment", page[-1].serial),
            }
            result["paging"] = {"cursors": cursors}
            if start + limit < len(comments):
                result["paging"]["next"] = call.request.url_with(after=cursors["after"], before=None)
        if is_true(query.get("summary")):
            result["summary"] = {"order": order, "total_count": len(comments), "can_comment": True}
        return result
