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

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sandbox import region
from sandbox.determinism import rng
from sandbox.platforms.graph_common import (
    MAX_LIMIT,
    GraphCall,
    GraphPlatform,
    GraphTarget,
    checked_fields,
    cursor_page,
    end_time,
    graph_time,
    insight,
    insight_days,
    insights_window,
    invalid_metric,
    invalid_parameter,
    is_true,
    metric_names,
    node_segments,
    nonexisting_field,
    since_before_until,
    unsupported_get,
    window_paging,
)
from sandbox.region import Account
from sandbox.timeutil import DAY
from sandbox.world import AccountDay, Comment, Post, PostMetrics, settle

MAX_INSIGHTS_SPAN_SECONDS = 93 * 86400  # 8,035,200 s

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


class FacebookPlatform(GraphPlatform):
    """The Graph API for the region's Facebook Pages."""

    name = "facebook"
    buc_type = "pages"
    app_throttle_code = 4
    account_throttle_code = 80001
    token_type = "PAGE"
    token_scopes = ("pages_show_list", "pages_read_engagement", "read_insights")

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

    # -- nodes (see GraphPlatform.handle) -------------------------------------------

    def _account_id_in_path(self, path: str) -> str | None:
        segments = node_segments(path)
        return segments[0].split("_", 1)[0] if segments and segments[0][:1].isdigit() else None

    def _find_node(self, call: GraphCall, node_id: str) -> tuple[Account | None, Post | None, None]:
        """A Page (`<page id>`) or one of its posts (`<page id>_<serial>`)."""
        page_part, _, serial_part = node_id.partition("_")
        account = region.account_by_id(self.name, page_part)
        if account is None or not serial_part:
            return account, None, None
        post = self.world.find_post(account, int(serial_part)) if serial_part.isdigit() else None
        if post is None or post.created_at >= call.now:
            return None, None, None
        return account, post, None

    def _dispatch(self, call: GraphCall, target: GraphTarget) -> dict[str, Any]:
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

    def _page_node(self, call: GraphCall, account: Account) -> dict[str, Any]:
        fields = checked_fields(call.request.query.get("fields"), ("id", "name"), PAGE_FIELDS, "Page")
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

    def _insight_days(self, call: GraphCall) -> tuple[list[date], datetime, datetime]:
        """Days of a since/until window that the Page insights may show, and the window."""
        since, until = insights_window(call.request.query, call.now, MAX_INSIGHTS_SPAN_SECONDS)
        if since > until:
            raise since_before_until()
        return insight_days(call.today, since, min(until.date() - DAY, call.as_of)), since, until

    def _page_insights(
        self, call: GraphCall, account: Account, path_metric: str | None, path_period: str | None
    ) -> dict[str, Any]:
        names, breakdown = self._requested_metrics(call, path_metric, path_period, "day", PAGE_DAY_METRICS)
        days, since, until = self._insight_days(call)
        series: list[AccountDay] = [self.world.account_day(account, d) for d in days]
        data = []
        for name in names if series else []:
            metric = PAGE_DAY_METRICS[name]
            values = [{"value": self._value(metric, day, breakdown), "end_time": end_time(day.day)} for day in series]
            data.append(insight(account.account_id, name, "day", metric.title, metric.description, values=values))
        return {"data": data, "paging": window_paging(call.request, since, until)}

    @staticmethod
    def _requested_metrics(
        call: GraphCall, path_metric: str | None, path_period: str | None, period: str, metrics: dict[str, _Metric]
    ) -> tuple[list[str], str | None]:
        """The metric names and breakdown of an insights request on `metrics` (all of one `period`), checked."""
        query = call.request.query
        names = metric_names(query, path_metric)
        asked = path_period or query.get("period") or period
        if asked != period:
            raise invalid_parameter(f"period must be one of the following values: {period} (got {asked})")
        for name in names:
            if name not in metrics:
                raise invalid_metric(name)
        breakdown = query.get("breakdown")
        if not breakdown:
            return names, breakdown
        if breakdown != "is_from_ads":
            raise invalid_parameter(f"The breakdown {breakdown} is not supported by the sandbox (only is_from_ads)")
        for name in names:
            if metrics[name].paid is None:
                raise invalid_parameter(f"The breakdown is_from_ads is not supported for the metric {name}")
        return names, breakdown

    @staticmethod
    def _value(metric: _Metric, source: Any, breakdown: str | None) -> Any:
        total = metric.value(source)
        if breakdown and metric.paid is not None:
            paid = metric.paid(source)
            return {"true": paid, "false": total - paid}
        return total

    # -- posts ---------------------------------------------------------------------

    def _post_values(self, call: GraphCall, post: Post, fields: list[str]) -> dict[str, Any]:
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

    @staticmethod
    def _post_fields(call: GraphCall) -> list[str]:
        return checked_fields(call.request.query.get("fields"), ("created_time", "message", "id"), POST_FIELDS, "Post")

    def _post_node(self, call: GraphCall, post: Post) -> dict[str, Any]:
        return self._post_values(call, post, self._post_fields(call))

    def _page_posts(self, call: GraphCall, account: Account) -> dict[str, Any]:
        """Newest first, cursor-paged, created in [since, until) and before now."""
        fields = self._post_fields(call)
        return self._posts_page(call, account, "post", lambda post: self._post_values(call, post, fields))

    def _post_insights(self, call: GraphCall, post: Post, path_metric: str | None) -> dict[str, Any]:
        names, breakdown = self._requested_metrics(call, path_metric, None, "lifetime", POST_LIFETIME_METRICS)
        metrics: PostMetrics = self.world.post_metrics(post, call.as_of)
        post_id = self.post_id(post)
        data = []
        for name in names:
            metric = POST_LIFETIME_METRICS[name]
            values = [{"value": self._value(metric, metrics, breakdown)}]
            data.append(insight(post_id, name, "lifetime", metric.title, metric.description, values=values))
        return {"data": data}

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

    def _comments(self, call: GraphCall, post: Post) -> dict[str, Any]:
        """Top-level comments by default, everything with filter=stream; cursor-paged."""
        query = call.request.query
        fields = checked_fields(
            query.get("fields"), ("created_time", "from", "message", "id"), COMMENT_FIELDS, "Comment"
        )
        stream = (query.get("filter") or "toplevel") == "stream"
        if query.get("filter") not in (None, "", "stream", "toplevel"):
            raise invalid_parameter("filter must be one of the following values: toplevel, stream")
        order = query.get("order") or "chronological"
        if order not in ("chronological", "reverse_chronological"):
            raise invalid_parameter("order must be one of the following values: chronological, reverse_chronological")
        comments = [c for c in self.world.comments_before(post, call.now) if stream or c.parent_serial is None]
        if order == "reverse_chronological":
            comments.reverse()
        page, paging = cursor_page(call.request, comments, "comment", MAX_LIMIT)
        result: dict[str, Any] = {"data": [self._comment_values(c, fields) for c in page]}
        if paging:
            result["paging"] = paging
        if is_true(query.get("summary")):
            result["summary"] = {"order": order, "total_count": len(comments), "can_comment": True}
        return result
