"""La veille: the hourly comment watch, as plain functions the veille DAG calls.

One run of `socialpulse_veille` for the data interval [start, end):

1. extract (one mapped task per account of every platform, `extract.extract_account_comments`):
   comments created in [start - overlap, end) on the posts of the last days, landed as
   the hourly partition `ds=<day>/hour=<HH>/` of each platform's comment entity;
2. `load_hourly`: the hourly files not loaded yet -> the same `raw` tables as the daily
   files (one row per comment per extraction; dbt keeps the latest extraction);
3. `dbt_build`: `dbt build` of the comment models only (`VEILLE_SELECT`), in its own
   process and target folder;
4. `publish_veille`: the comment marts (`VEILLE_MARTS`) replace theirs in the serving
   database; every other mart stays as the last audited daily build published it;
5. `alert_new_spikes`: each row of `marts.rpt_topic_spikes` never alerted before goes
   through the notifier once, and is then remembered in the state file
   `$SOCIALPULSE_HOME/state/alerted_spikes.jsonl` (`socialpulse.alert_state`), outside
   both databases: the serving copy is replaced at every publish, and the build
   database can be rebuilt from landing at any time without alerting old spikes again.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from socialpulse.settings import DBT_PRODUCTION_FLAGS, Settings

log = logging.getLogger(__name__)

# The marts of the veille (comment understanding, trends and spikes).
VEILLE_MARTS = (
    "fct_comments",
    "bdg_comment_topics",
    "rpt_moderation_queue",
    "rpt_response_times_weekly",
    "rpt_topic_trends",
    "rpt_topic_spikes",
)
SPIKES_TABLE = "marts.rpt_topic_spikes"
QUEUE_TABLE = "marts.rpt_moderation_queue"

# dbt selection: the comment staging and intermediate models (every ancestor of
# int_comments_unioned), then, for each veille mart, the models on the path from
# int_comments_unioned to it. Marts that do not read comments (dim_posts, the topic
# seeds...) are not rebuilt: the daily build owns them.
VEILLE_SELECT = ("+int_comments_unioned", *(f"int_comments_unioned+,+{m}" for m in VEILLE_MARTS))


class VeilleError(RuntimeError):
    pass


def interval(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The run's data interval in UTC; a zero-length one (a trigger timetable) means the hour before."""
    from socialpulse.extract import utc

    if end is None:
        raise VeilleError("the veille needs a data interval (data_interval_end): run it from its DAG")
    end = utc(end)
    start = utc(start) if start is not None else end
    if end - start < timedelta(hours=1):
        start = end - timedelta(hours=1)
    return start, end


def load_hourly(settings: Settings) -> dict:
    """Load every hourly (veille) landing file not loaded yet; daily files are the build DAG's."""
    from socialpulse.load import load_landing

    report = load_landing(
        settings.build_db, settings.landing_dir, hourly=True, memory_limit=settings.duckdb_memory_limit
    )
    log.info(report.summary())
    return {
        "files_loaded": report.files_loaded,
        "files_skipped": report.files_skipped,
        "rows_by_table": report.rows_by_table,
    }


def dbt_command(
    settings: Settings, select: Iterable[str] = VEILLE_SELECT, *, as_of: datetime | None = None
) -> list[str]:
    """The `dbt build` of the veille; `as_of` (the data interval end) is the moderation
    queue's reference instant (dbt var `as_of`), so a rerun of an hour builds the same queue."""
    project = settings.dbt_project_dir
    target = settings.veille_dbt_target_dir
    dbt_vars = ["--vars", json.dumps({"as_of": as_of.astimezone(UTC).isoformat()})] if as_of else []
    return [
        str(Path(sys.executable).parent / "dbt"),
        "build",
        "--select",
        *select,
        # tests of the selected models, and those that also read their ancestors (a
        # relationship to dim_posts); not the tests of marts the veille does not build
        "--indirect-selection",
        "buildable",
        *DBT_PRODUCTION_FLAGS,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target",
        "build",
        # a target folder of its own: the manifest Cosmos renders the build DAG from
        # (dbt_project/target/) is never rewritten by the veille, and partial parsing
        # still works from one run to the next
        "--target-path",
        str(target / "target"),
        "--log-path",
        str(target / "logs"),
        *dbt_vars,
    ]


def dbt_build(
    settings: Settings,
    select: Iterable[str] = VEILLE_SELECT,
    *,
    as_of: datetime | None = None,
    echo: Callable[[str], Any] = print,
) -> None:
    """`dbt build` of the veille's models in a child process (its DuckDB lock dies with it)."""
    cmd = dbt_command(settings, select, as_of=as_of)
    settings.veille_dbt_target_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.dbt_env()}
    lines: list[str] = []
    with subprocess.Popen(
        cmd, env=env, cwd=settings.dbt_project_dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            line = line.rstrip()
            lines.append(line)
            echo(line)
    if proc.returncode != 0:
        tail = "\n".join(lines[-40:])
        raise VeilleError(f"dbt build of the veille models failed (exit {proc.returncode}):\n{tail}")


def publish_veille(settings: Settings) -> dict[str, int]:
    """The veille marts replace theirs in the serving database (atomic); others stay as published."""
    from socialpulse.publish import republish

    report = republish(
        settings.serving_db,
        build_db=settings.build_db,
        tables=[f"marts.{m}" for m in VEILLE_MARTS],
        exports_dir=settings.exports_dir,
        memory_limit=settings.duckdb_memory_limit,
    )
    missing = sorted(set(VEILLE_MARTS) - {t.split(".", 1)[1] for t in report.tables})
    if missing:
        log.warning("veille marts not built yet, not published: %s", ", ".join(missing))
    log.info(report.summary())
    return report.tables


# -- alerts ---------------------------------------------------------------------------------


def jsonable(value: Any) -> Any:
    """A spike row as plain JSON values (dates as ISO strings, decimals as floats)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def _first(row: dict[str, Any], *names: str) -> Any:
    return next((row[n] for n in names if row.get(n) is not None), None)


# rpt_topic_spikes' columns, with the names the issue used first as fallbacks
SPIKE_START = ("started_at", "bucket_start")
SPIKE_VOLUME = ("comment_count", "volume")
SPIKE_BASELINE = ("baseline_median", "baseline")
SPIKE_Z = ("robust_z", "z")


def spike_started_at(spike: dict[str, Any]) -> datetime | None:
    start = _first(spike, *SPIKE_START)
    if start is None:
        return None
    if isinstance(start, datetime):
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    return datetime(start.year, start.month, start.day, tzinfo=UTC)  # a date bucket


def describe(spike: dict[str, Any]) -> str:
    """One line a moderator reads: what spiked, since when, how far above normal."""
    value = _first(spike, "value", "topic") or "?"
    dimension = spike.get("dimension") or "topic"
    parts = [f"{dimension} {value}" if dimension != "value" else str(value)]
    if spike.get("topic") and spike.get("topic") != value:
        parts.append(f"[{spike['topic']}]")
    if spike.get("granularity"):
        parts.append(f"({spike['granularity']})")
    started, local = spike_started_at(spike), spike.get("started_at_local")
    if isinstance(local, datetime):  # the moderators' wall clock (Europe/Paris)
        parts.append(f"from {local:%Y-%m-%d %H:%M} Paris time")
    elif started is not None:
        parts.append(f"from {started.astimezone(UTC):%Y-%m-%d %H:%M} UTC")
    volume, baseline, z = _first(spike, *SPIKE_VOLUME), _first(spike, *SPIKE_BASELINE), _first(spike, *SPIKE_Z)
    if volume is not None:
        usual = f" vs {float(baseline):.1f} usual" if baseline is not None else ""
        parts.append(f"- {volume} comments{usual}")
    if z is not None:
        parts.append(f"(z = {float(z):.1f})")
    return " ".join(parts) + f" [spike {spike.get('spike_id')}]"


@dataclass
class AlertReport:
    spikes: int = 0  # rows of rpt_topic_spikes
    recent: int = 0  # of which recent enough to be news
    already: int = 0  # of which alerted by an earlier run
    alerted: list[str] = field(default_factory=list)  # spike ids alerted now

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def read_spikes(serving_db: Path) -> list[dict[str, Any]]:
    """Every row of the published `rpt_topic_spikes` (empty when it is not published yet)."""
    import duckdb

    if not serving_db.exists():
        return []
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'rpt_topic_spikes'"
        ).fetchall()[0][0]
        if not found:
            return []
        cur = con.execute(f"select * from {SPIKES_TABLE}")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        con.close()
    if rows and "spike_id" not in rows[0]:
        raise VeilleError(f"{serving_db}: {SPIKES_TABLE} has no spike_id column; cannot tell spikes apart")
    return sorted(rows, key=lambda r: (spike_started_at(r) or datetime.min.replace(tzinfo=UTC), str(r["spike_id"])))


def _is_recent(spike: dict[str, Any], horizon: datetime) -> bool:
    started = spike_started_at(spike)
    return started is None or started >= horizon


def alert_new_spikes(
    settings: Settings,
    notify: Callable[[dict[str, Any]], str | None],
    *,
    as_of: datetime,
    run_id: str,
) -> AlertReport:
    """Alert every published spike never alerted before, once; remember each right after.

    `notify(spike)` sends one alert (it returns where it delivered, or None for log
    only) and raises when delivery fails: that spike and the following ones stay
    un-alerted, for the task's retry. Spikes whose bucket started more than
    `settings.alert_max_age_days` before `as_of` (the run's data interval end) are
    history, not news, and are never alerted (a first run over years of comments would
    otherwise page moderators hundreds of times). What was alerted is remembered in
    `settings.alert_state_file` (see socialpulse.alert_state), never in a database.
    """
    from socialpulse.alert_state import AlertedSpike, AlertState

    report = AlertReport()
    spikes = read_spikes(settings.serving_db)
    report.spikes = len(spikes)
    horizon = as_of.astimezone(UTC) - timedelta(days=settings.alert_max_age_days)
    recent = [s for s in spikes if _is_recent(s, horizon)]
    report.recent = len(recent)
    state = AlertState(settings.alert_state_file, legacy_build_db=settings.build_db)
    done = state.spike_ids
    todo = [s for s in recent if str(s["spike_id"]) not in done]
    report.already = len(recent) - len(todo)
    for spike in todo:
        spike_id = str(spike["spike_id"])
        delivered = notify(spike)
        state.remember(
            AlertedSpike(
                spike_id=spike_id,
                alerted_at=datetime.now(UTC).isoformat(),
                run_id=run_id,
                delivered_to=delivered,
                spike=jsonable(spike),
            )
        )
        report.alerted.append(spike_id)
    return report


def moderation_queue_size(serving_db: Path) -> int | None:
    """Rows of the published moderation queue, None when it is not published yet."""
    import duckdb

    if not serving_db.exists():
        return None
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        found = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts' "
            "and table_name = 'rpt_moderation_queue'"
        ).fetchall()[0][0]
        return con.execute(f"select count(*) from {QUEUE_TABLE}").fetchall()[0][0] if found else None
    finally:
        con.close()
