"""Which rows the audit checks after a load: the partitions just written, and what they feed.

The build DAG's `load` task reports the (platform, entity, ds, account) partitions it
loaded. Raw suites check exactly those partitions. Mart suites check the mart rows
that those partitions feed, selected in SQL through the raw lineage (for example the
(account, report_date) pairs of the page insights just loaded), so the audit's cost
follows the day's data, not the warehouse's history:

- platform-grained marts (posts, accounts, comments and everything built on them) get
  one target each, scoped by the raw lineage of every loaded platform (MART_SCOPES, one
  scope per platform, OR-ed);
- marts that mix the platforms or describe the calendar get one target per audit,
  scoped to a window around the loaded days (WINDOW_SCOPES), or the whole table for
  the small lookups (a few rows, rebuilt in full at every build).

Each mart is audited by one target: no row twice.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

# Entities that may legitimately be empty for an account-day (no post, no comment);
# the others must have rows, or the extraction is missing.
MAY_BE_EMPTY = {
    "posts",
    "post_insights",
    "comments",  # facebook, bluesky, mastodon
    "media",
    "media_insights",  # instagram
    "post_statistics",  # linkedin (posts and comments above)
    "post_metrics",
    "replies",  # x
}


def _week_start(date_sql: str) -> str:
    """Monday of the ISO week of a DATE expression (macro iso_week_start of the dbt project)."""
    return f"cast({date_sql} - cast(isodow({date_sql}) - 1 as integer) as date)"


# Per platform: how raw lineage selects the mart rows a load feeds.
# Each value is SQL with placeholders filled per platform by plan_targets:
# {raw_filter} (the loaded partitions), {days} and {weeks} (SQL lists of the loaded
# ds and of the Mondays of their ISO weeks) and {platform}.
def _scopes(*, daily: str, posts: str, accounts: str, comments: str) -> dict[str, str]:
    """Mart scopes of one platform from four raw lineage queries (each with {raw_filter}):
    daily (account_id, report_date) pairs, post ids, account ids and comment ids."""
    # a post's snapshot (and what derives from it) is dated by the extraction's _ds
    post_days = f"post_id in ({posts}) and snapshot_date in ({{days}})"
    return {
        "marts.fct_account_daily": f"(account_id, report_date) in ({daily})",
        "marts.fct_post_engagement": f"post_id in ({posts})",
        "marts.dim_posts": f"post_id in ({posts})",
        "marts.dim_accounts": f"account_id in ({accounts})",
        "marts.bdg_post_topics": f"post_id in ({posts})",
        "marts.fct_post_snapshots": post_days,
        "marts.fct_post_daily": post_days,
        "marts.fct_carbon_post_daily": post_days,
        # the account's reporting days, and the days its posts' new views were read
        "marts.fct_carbon_daily": (
            f"(account_id, report_date) in ({daily}) or (account_id in ({accounts}) and report_date in ({{days}}))"
        ),
        # the days the loaded posts gained something or were published, of their account
        "marts.fct_topic_engagement_daily": (
            "(account_id, activity_date) in ("
            f"select account_id, activity_date from marts.fct_post_daily where {post_days} "
            f"union all select account_id, published_date from marts.dim_posts where post_id in ({posts}))"
        ),
        # the publication weeks of the loaded posts, of their account
        "marts.rpt_top_posts_weekly": (
            f"(account_id, week_start) in (select account_id, {_week_start('published_date')} "
            f"from marts.dim_posts where post_id in ({posts}))"
        ),
        # the ISO weeks of the loaded days (activity and Paris publication days), of the accounts loaded
        "marts.rpt_weekly_comparison": f"account_id in ({accounts}) and week_start in ({{weeks}})",
        # a handful of rows per platform, every one restated by each build (the window moves)
        "marts.rpt_best_format": "platform = '{platform}'",
        "marts.rpt_best_hour": "platform = '{platform}'",
        "marts.fct_comments": f"comment_id in ({comments})",
        "marts.bdg_comment_topics": f"comment_id in ({comments})",
        "marts.rpt_moderation_queue": f"comment_id in ({comments})",
        # the weeks (Europe/Paris) in which the loaded comments were asked, of their account
        "marts.rpt_response_times_weekly": (
            f"(account_id, iso_week_start_date) in (select account_id, {_week_start('created_date')} "
            f"from marts.fct_comments where comment_id in ({comments}))"
        ),
    }


# Instagram alone serves age and gender: the audience marts hold Instagram rows only.
_INSTAGRAM_AUDIENCE = {
    "marts.fct_audience_daily": (
        "(account_id, snapshot_date) in (select 'instagram:' || ig_user_id, _ds "
        "from raw.instagram__audience_demographics where {raw_filter})"
    ),
    "marts.rpt_youth_audience_monthly": (
        "(account_id, month_start_date) in (select 'instagram:' || ig_user_id, cast(date_trunc('month', _ds) as date) "
        "from raw.instagram__audience_demographics where {raw_filter})"
    ),
}

MART_SCOPES: dict[str, dict[str, str]] = {
    "facebook": _scopes(
        daily="select 'facebook:' || page_id, (timezone('UTC', end_time) - interval 1 day)::date "
        "from raw.facebook__page_insights where {raw_filter}",
        posts="select 'facebook:' || post_id from raw.facebook__posts where {raw_filter}",
        accounts="select 'facebook:' || page_id from raw.facebook__page_snapshots where {raw_filter}",
        comments="select 'facebook:' || comment_id from raw.facebook__comments where {raw_filter}",
    ),
    "instagram": _scopes(
        daily="select 'instagram:' || ig_user_id, report_date from raw.instagram__account_insights where {raw_filter}",
        posts="select 'instagram:' || media_id from raw.instagram__media where {raw_filter}",
        accounts="select 'instagram:' || ig_user_id from raw.instagram__account_snapshots where {raw_filter}",
        comments="select 'instagram:' || comment_id from raw.instagram__comments where {raw_filter}",
    )
    | _INSTAGRAM_AUDIENCE,
    "linkedin": _scopes(
        daily="select 'linkedin:' || organization_id, timezone('UTC', time_range_start)::date "
        "from raw.linkedin__share_statistics where {raw_filter}",
        posts="select 'linkedin:' || post_urn from raw.linkedin__posts where {raw_filter}",
        accounts="select 'linkedin:' || organization_id from raw.linkedin__organization_snapshots where {raw_filter}",
        comments="select 'linkedin:' || comment_urn from raw.linkedin__comments where {raw_filter}",
    ),
    # no daily series: one follower snapshot per extraction day (report_date = _ds)
    "x": _scopes(
        daily="select 'x:' || user_id, _ds from raw.x__user_snapshots where {raw_filter}",
        posts="select 'x:' || post_id from raw.x__posts where {raw_filter}",
        accounts="select 'x:' || user_id from raw.x__user_snapshots where {raw_filter}",
        comments="select 'x:' || reply_id from raw.x__replies where {raw_filter}",
    ),
    "bluesky": _scopes(
        daily="select 'bluesky:' || did, _ds from raw.bluesky__profile_snapshots where {raw_filter}",
        posts="select 'bluesky:' || post_uri from raw.bluesky__posts where {raw_filter}",
        accounts="select 'bluesky:' || did from raw.bluesky__profile_snapshots where {raw_filter}",
        comments="select 'bluesky:' || post_uri || '#' || rkey from raw.bluesky__comments where {raw_filter}",
    ),
    "mastodon": _scopes(
        daily="select 'mastodon:' || account_id, _ds from raw.mastodon__account_snapshots where {raw_filter}",
        posts="select 'mastodon:' || status_id from raw.mastodon__posts where {raw_filter}",
        accounts="select 'mastodon:' || account_id from raw.mastodon__account_snapshots where {raw_filter}",
        comments="select 'mastodon:' || status_id from raw.mastodon__comments where {raw_filter}",
    ),
}

# Marts audited once per build, whatever the platforms loaded: {first} and {last} are
# the first and last ds loaded (DATE literals), None means the whole table.
WINDOW_SCOPES: dict[str, str | None] = {
    # the ISO weeks around the loaded days (the calendar itself runs a year past the data)
    "marts.dim_dates": "calendar_date between {first} - 7 and {last} + 7",
    "marts.dim_platforms": None,  # one row per platform, from a seed
    "marts.dim_topics": None,  # one row per topic, from a seed
    "marts.rpt_token_health": None,  # one row per configured account, rebuilt whole
    # every platform's comments together: the Paris days of the loaded ds (a UTC day
    # reaches into the next Paris day), and the spikes with a bucket among them
    "marts.rpt_topic_trends": "local_date between {first} and {last} + 1",
    "marts.rpt_topic_spikes": (
        "spike_id in (select spike_id from marts.rpt_topic_trends where local_date between {first} and {last} + 1)"
    ),
}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_dates(days: list[date]) -> str:
    return ", ".join(f"date '{d.isoformat()}'" for d in days)


def _weeks(days: list[date]) -> list[date]:
    """Mondays of the ISO weeks of the days and of the next days (a post of ds 23:30 UTC
    is published on ds + 1 in Europe/Paris)."""
    seen = {d + timedelta(days=n) for d in days for n in (0, 1)}
    return sorted({d - timedelta(days=d.weekday()) for d in seen})


LISTED = 12
"""Values a partition label names one by one; beyond, it says how many and the range
(an initial load of 10,000 accounts would put every key in every message)."""


def _listed(values: list[str]) -> str:
    if len(values) <= LISTED:
        return ",".join(values)
    return f"{values[0]}..{values[-1]} ({len(values)})"


def partition_filter(keys: list[tuple[str, str]]) -> str:
    """SQL predicate on raw lineage columns selecting the daily extractions of (ds, account_key)
    pairs. The hourly veille lands comments of the same days under `hour=HH/`: those rows
    are another extraction (their own files, overlapping on purpose), not this partition."""
    listed = ", ".join(_quote(f"{ds}|{acc}") for ds, acc in sorted(set(keys)))
    return f"(_ds::varchar || '|' || _account_key) in ({listed}) and _landing_file not like '%/hour=%'"


def plan_targets(loaded: dict) -> dict[str, list[dict]]:
    """Audit targets for the raw layer and for the marts, from the load task's report."""
    as_of = loaded.get("max_ds")
    by_entity: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    # Nothing new (a manual rerun): re-check the newest partitions rather than nothing.
    for p in loaded.get("partitions") or loaded.get("latest") or []:
        by_entity[(p["platform"], p["entity"])].append((p["ds"], p["account_key"]))

    raw, marts = [], []
    platforms = sorted({platform for platform, _ in by_entity})
    for (platform, entity), keys in sorted(by_entity.items()):
        days = sorted({ds for ds, _ in keys})
        accounts = sorted({acc for _, acc in keys})
        raw.append(
            {
                "table": f"raw.{platform}__{entity}",
                "suite": f"raw.{platform}__{entity}",
                "where": partition_filter(keys),
                "partition_label": f"ds={_listed(days)} accounts={_listed(accounts)}",
                "allow_empty": entity in MAY_BE_EMPTY,
                "as_of": days[-1],
            }
        )

    # one target per mart, its scope the union of every loaded platform's: GX's fixed cost
    # per validation (0.2-0.3 s) was paid six times per mart, two thirds of a daily audit
    fed: dict[str, list[tuple[str, str, str]]] = defaultdict(list)  # mart -> (platform, where, days)
    for platform in platforms:
        keys = [k for (p, e), ks in by_entity.items() if p == platform for k in ks]
        days = sorted({date.fromisoformat(ds) for ds, _ in keys})
        values = {
            "raw_filter": partition_filter(keys),
            "days": _sql_dates(days),
            "weeks": _sql_dates(_weeks(days)),
            "platform": platform,
        }
        for table, scope in MART_SCOPES.get(platform, {}).items():
            fed[table].append((platform, scope.format(**values), ",".join(d.isoformat() for d in days)))
    for table, scopes in fed.items():
        by_days: dict[str, list[str]] = defaultdict(list)
        for platform, _, days_listed in scopes:
            by_days[days_listed].append(platform)
        marts.append(
            {
                "table": table,
                "suite": table,
                "where": " or ".join(f"({where})" for _, where, _ in scopes),
                "partition_label": "rows fed by " + "; ".join(f"{','.join(ps)} ds={d}" for d, ps in by_days.items()),
                "as_of": as_of,
                # a batch too big for one GX validation is audited platform by platform
                "parts": [(f"rows fed by {platform} ds={days}", where) for platform, where, days in scopes],
            }
        )

    all_days = sorted({date.fromisoformat(ds) for keys in by_entity.values() for ds, _ in keys})
    if all_days:
        first, last = all_days[0].isoformat(), all_days[-1].isoformat()
        for table, scope in WINDOW_SCOPES.items():
            where = scope.format(first=f"date '{first}'", last=f"date '{last}'") if scope else None
            marts.append(
                {
                    "table": table,
                    "suite": table,
                    "where": where,
                    "partition_label": f"rows of ds {first}..{last}" if where else "whole table",
                    "as_of": as_of,
                }
            )
    return {"raw": raw, "marts": marts}
