"""Which rows the audit checks after a load: the partitions just written, and what they feed.

The build DAG's `load` task reports the (platform, entity, ds, account) partitions it
loaded. Raw suites check exactly those partitions. Mart suites check the mart rows
that those partitions feed, selected in SQL through the raw lineage (for example the
(account, report_date) pairs of the page insights just loaded), so the audit's cost
follows the day's data, not the warehouse's history.
"""

from __future__ import annotations

from collections import defaultdict

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


# Per platform: how raw lineage selects the mart rows a load feeds.
# Each value is SQL over the platform's raw tables, with {raw_filter} for the partitions.
def _scopes(*, daily: str, posts: str, accounts: str) -> dict[str, str]:
    """Mart scopes of one platform from three raw lineage queries (each with {raw_filter})."""
    return {
        "marts.fct_account_daily": f"(account_id, report_date) in ({daily})",
        "marts.fct_post_engagement": f"post_id in ({posts})",
        "marts.dim_posts": f"post_id in ({posts})",
        "marts.dim_accounts": f"account_id in ({accounts})",
    }


MART_SCOPES: dict[str, dict[str, str]] = {
    "facebook": _scopes(
        daily="select 'facebook:' || page_id, (timezone('UTC', end_time) - interval 1 day)::date "
        "from raw.facebook__page_insights where {raw_filter}",
        posts="select 'facebook:' || post_id from raw.facebook__posts where {raw_filter}",
        accounts="select 'facebook:' || page_id from raw.facebook__page_snapshots where {raw_filter}",
    ),
    "instagram": _scopes(
        daily="select 'instagram:' || ig_user_id, report_date from raw.instagram__account_insights where {raw_filter}",
        posts="select 'instagram:' || media_id from raw.instagram__media where {raw_filter}",
        accounts="select 'instagram:' || ig_user_id from raw.instagram__account_snapshots where {raw_filter}",
    ),
    "linkedin": _scopes(
        daily="select 'linkedin:' || organization_id, timezone('UTC', time_range_start)::date "
        "from raw.linkedin__share_statistics where {raw_filter}",
        posts="select 'linkedin:' || post_urn from raw.linkedin__posts where {raw_filter}",
        accounts="select 'linkedin:' || organization_id from raw.linkedin__organization_snapshots where {raw_filter}",
    ),
    # no daily series: one follower snapshot per extraction day (report_date = _ds)
    "x": _scopes(
        daily="select 'x:' || user_id, _ds from raw.x__user_snapshots where {raw_filter}",
        posts="select 'x:' || post_id from raw.x__posts where {raw_filter}",
        accounts="select 'x:' || user_id from raw.x__user_snapshots where {raw_filter}",
    ),
    "bluesky": _scopes(
        daily="select 'bluesky:' || did, _ds from raw.bluesky__profile_snapshots where {raw_filter}",
        posts="select 'bluesky:' || post_uri from raw.bluesky__posts where {raw_filter}",
        accounts="select 'bluesky:' || did from raw.bluesky__profile_snapshots where {raw_filter}",
    ),
    "mastodon": _scopes(
        daily="select 'mastodon:' || account_id, _ds from raw.mastodon__account_snapshots where {raw_filter}",
        posts="select 'mastodon:' || status_id from raw.mastodon__posts where {raw_filter}",
        accounts="select 'mastodon:' || account_id from raw.mastodon__account_snapshots where {raw_filter}",
    ),
}


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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
                "partition_label": f"ds={','.join(days)} accounts={','.join(accounts)}",
                "allow_empty": entity in MAY_BE_EMPTY,
                "as_of": days[-1],
            }
        )

    for platform in platforms:
        keys = [k for (p, e), ks in by_entity.items() if p == platform for k in ks]
        raw_filter = partition_filter(keys)
        for table, scope in MART_SCOPES.get(platform, {}).items():
            marts.append(
                {
                    "table": table,
                    "suite": table,
                    "where": scope.format(raw_filter=raw_filter),
                    "partition_label": f"rows fed by {platform} ds={','.join(sorted({d for d, _ in keys}))}",
                    "as_of": as_of,
                }
            )
    return {"raw": raw, "marts": marts}
