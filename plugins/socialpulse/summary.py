"""The summary `make demo` prints: what was built, where, and what worked best."""

from __future__ import annotations

from pathlib import Path

import duckdb

from socialpulse.settings import REPO_ROOT

MAX_SPIKES_LISTED = 10


def _rel(path: Path) -> str:
    try:
        return path.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return path.as_posix()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' and table_name = ?", [name]
        ).fetchone()[0]
    )


def veille_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The veille's part: the moderation queue's size and the topic spikes found.

    Tolerates the veille marts being absent (a warehouse built before the veille ran).
    """
    from datetime import UTC, datetime

    from socialpulse.veille import describe, spike_started_at

    lines = ["La veille (comments):"]
    if _has_table(con, "rpt_moderation_queue"):
        n = con.execute("select count(*) from marts.rpt_moderation_queue").fetchone()[0]
        lines.append(f"  moderation queue: {n:,} comments waiting for an answer")
    else:
        lines.append("  moderation queue: not published yet (marts.rpt_moderation_queue)")
    if not _has_table(con, "rpt_topic_spikes"):
        lines.append("  topic spikes: not published yet (marts.rpt_topic_spikes)")
        return lines
    cur = con.execute("select * from marts.rpt_topic_spikes")
    names = [d[0] for d in cur.description]
    spikes = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    lines.append(f"  topic spikes found: {len(spikes):,}" + (" (latest first)" if spikes else ""))
    oldest = datetime.min.replace(tzinfo=UTC)
    spikes.sort(key=lambda r: (spike_started_at(r) or oldest, str(r.get("spike_id"))), reverse=True)
    for spike in spikes[:MAX_SPIKES_LISTED]:
        lines.append(f"    - {describe(spike)}")
    if len(spikes) > MAX_SPIKES_LISTED:
        lines.append(f"    … and {len(spikes) - MAX_SPIKES_LISTED} more: select * from marts.rpt_topic_spikes")
    return lines


def render_summary(serving_db: Path) -> str:
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        lines = [f"Serving warehouse: {_rel(serving_db)} (open it read-only)"]
        published = con.execute("select ds, run_id, published_at from marts._published").fetchone()
        lines.append(f"  data as of {published[0]}, published {published[2]:%Y-%m-%d %H:%M} UTC by run {published[1]}")
        lines.append("")
        lines.append("Rows per mart:")
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and not starts_with(table_name, '_') order by 1"
        ).fetchall()
        for (name,) in tables:
            n = con.execute(f"select count(*) from marts.{name}").fetchone()[0]
            lines.append(f"  marts.{name:<28} {n:>8,}")
        lines.append("")
        lines.append("Per account (last report day):")
        for row in con.execute("""
            select a.account_name, a.platform, d.report_date, d.followers
            from marts.fct_account_daily as d
            inner join marts.dim_accounts as a using (account_id)
            qualify row_number() over (partition by d.account_id order by d.report_date desc) = 1
            order by d.followers desc
        """).fetchall():
            lines.append(f"  {row[0]:<28} {row[1]:<9} {row[2]}  {row[3]:>9,} followers")
        lines.append("")
        end = published[0]
        lines.append(f"Top 5 posts by engagement rate, published {end.fromordinal(end.toordinal() - 6)} .. {end}:")
        top = con.execute(
            """
            select a.account_name || ' (' || a.platform || ')', p.published_date, p.format, f.engagements, f.reach,
                   f.engagement_rate, left(regexp_replace(p.message, '\\s+', ' ', 'g'), 60) as text
            from marts.fct_post_engagement as f
            inner join marts.dim_posts as p using (post_id)
            inner join marts.dim_accounts as a on a.account_id = f.account_id
            where p.published_date between ?::date - 6 and ?::date and f.engagement_rate is not null
            order by f.engagement_rate desc, f.engagements desc
            limit 5
        """,
            [end, end],
        ).fetchall()
        for i, r in enumerate(top, 1):
            lines.append(f"  {i}. {r[5]:6.2%}  {r[3]:>6,} eng / {r[4]:>7,} reach  {r[1]} {r[2]:<5} {r[0]}: {r[6]}")
        if not top:
            lines.append("  (no post published that week)")
        lines.append("")
        lines.extend(veille_lines(con))
        lines.append("")
        lines.append("Query it:")
        lines.append(
            '  .venv/bin/socialpulse sql "select * from marts.fct_account_daily order by report_date desc limit 10"'
        )
        return "\n".join(lines)
    finally:
        con.close()
