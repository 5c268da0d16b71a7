"""How often does `checks.mart_volume` cry wolf, and does it still catch a collapse?

Runs the real check frame (`socialpulse.audit_checks.volume_sql`, the SQL the build DAG
audits) over every platform-day of a landing zone written by `bench/scale.py`, with
no fault in it: every failure or warning it reports is a false alarm. Then it replays
each judged day as if the posts edge had collapsed (no post at all, then one post per
account) and counts how many of those the check fails.

    .venv/bin/python bench/scale.py --accounts 24 --days 90 --home <dir>
    .venv/bin/python bench/volume_rule.py <dir> [<dir> ...]

The marts are reduced to what the check counts: one `fct_post_snapshots` row per post
in a `ds` partition of the posts entity (a post is snapshotted on each day of the
lookback that contains it, as the extract DAGs land it), one `fct_account_daily` row
per account and day. For comparison it also judges with the rule used before the
weekday-aware one (median of all trailing 28 days, judged from 7 days on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))

from socialpulse.audit_checks import volume_sql  # noqa: E402

POSTS_ENTITY = {"instagram": "media"}  # the other platforms call it `posts`
FAIL_BELOW, WARN_BELOW, WARN_ABOVE = 0.5, 0.8, 3.0  # expectations/expectations/checks/mart_volume.json


def _build(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    con.execute("create schema marts")
    files = [
        f"{landing}/platform={p}/entity={POSTS_ENTITY.get(p, 'posts')}/ds=*/*.parquet"
        for p in sorted(d.name.removeprefix("platform=") for d in landing.glob("platform=*"))
    ]
    con.execute(
        f"""
        create table marts.fct_post_snapshots as
        select regexp_extract(filename, 'platform=([a-z]+)', 1) as platform,
            cast(regexp_extract(filename, 'ds=([0-9-]+)', 1) as date) as snapshot_date,
            regexp_extract(filename, 'account=(.+)[.]parquet', 1) as account_key
        from read_parquet({files!r}, filename = true, union_by_name = true)
        """
    )
    con.execute(
        """
        create table marts.fct_account_daily as
        select distinct platform, snapshot_date as report_date, account_key from marts.fct_post_snapshots
        """
    )


def _verdict(ratio: float | None) -> str:
    if ratio is None:
        return "not judged"
    if ratio < FAIL_BELOW:
        return "fail"
    if ratio < WARN_BELOW or ratio > WARN_ABOVE:
        return "warn"
    return "pass"


def judge(landing: Path) -> dict:
    con = duckdb.connect()
    _build(con, landing)
    scope = con.execute(
        "select distinct platform, cast(snapshot_date as varchar) from marts.fct_post_snapshots order by all"
    ).fetchall()
    frame = con.sql(volume_sql(scope)).df()
    previous = con.sql(
        """
        with counts as (
            select platform, snapshot_date as day, count(*) as n from marts.fct_post_snapshots group by all
        )
        select platform, day, n,
            count(*) over w as baseline_days,
            median(n) over w as baseline_median
        from counts
        window w as (partition by platform order by day
            range between interval 28 day preceding and interval 1 day preceding)
        """
    ).df()
    accounts = dict(
        con.execute(
            "select platform, count(distinct account_key) from marts.fct_post_snapshots group by all"
        ).fetchall()
    )
    posts = frame[frame["mart"] == "fct_post_snapshots"]
    result: dict = {"landing": str(landing), "platform_days": len(posts), "rule": {}, "previous_rule": {}}
    for ratio in posts["volume_ratio"].tolist():
        verdict = _verdict(None if ratio is None or ratio != ratio else ratio)  # NULL: not judged
        result["rule"][verdict] = result["rule"].get(verdict, 0) + 1
    daily = frame[frame["mart"] == "fct_account_daily"]
    result["fct_account_daily_alarms"] = int(daily["volume_ratio"].notna().sum())
    for _, row in previous.iterrows():
        ratio = row["n"] / row["baseline_median"] if row["baseline_days"] >= 7 else None
        verdict = _verdict(ratio)
        result["previous_rule"][verdict] = result["previous_rule"].get(verdict, 0) + 1
    # Collapses replayed on every day whose weekday baseline exists: nothing, or one post per account.
    judged = posts[posts["baseline_days"] >= 3]
    for name, rows in (("empty_posts_edge", lambda r: 0), ("one_post_per_account", lambda r: accounts[r.platform])):
        caught = 0
        for r in judged.itertuples():
            n = rows(r)
            if abs(n - r.baseline_median) > r.noise_rows and n / r.baseline_median < FAIL_BELOW:
                caught += 1
        result[f"collapse_{name}_caught"] = f"{caught}/{len(judged)}"
    con.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("homes", nargs="+", type=Path, help="homes written by bench/scale.py")
    args = parser.parse_args()
    for home in args.homes:
        print(json.dumps(judge(home / "landing"), indent=2))


if __name__ == "__main__":
    main()
