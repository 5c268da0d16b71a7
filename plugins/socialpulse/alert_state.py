"""Which topic spikes were already alerted: a small durable file outside both databases.

The veille alerts each spike of `marts.rpt_topic_spikes` once. What it has alerted is
state, not data: nothing can recompute it. It used to live in `ops.alerted_spikes`
of the build database, so rebuilding that database from landing (which the warehouse
allows at any time) forgot it and paged the moderators again for every old spike.
It lives now in `$SOCIALPULSE_HOME/state/alerted_spikes.jsonl`
(`Settings.alert_state_file`): one JSON object per alerted spike, in the order they
were alerted, readable with `jq` or `duckdb -c "from read_json('…')"`.

Every change rewrites the whole file under a temporary name in the same folder,
flushed to disk, then renamed over the old one: a crash leaves the old file or the
new one, never half a line. One writer at a time: the veille's `alert` task (its
DAG runs one at a time, the task in the single-slot writer pool).

The first time the file is missing, it is created with the rows of the former
`ops.alerted_spikes` of the build database, when there are any (that table is no
longer written and can be dropped). Deleting the file therefore forgets every alert
(or brings back that table's), and the next run alerts every recent spike again.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LEGACY_TABLE = "ops.alerted_spikes"


class AlertStateError(RuntimeError):
    pass


@dataclass(frozen=True)
class AlertedSpike:
    spike_id: str
    alerted_at: str  # UTC, ISO 8601
    run_id: str
    delivered_to: str | None
    spike: dict[str, Any]  # the rpt_topic_spikes row as alerted (JSON values)


def read_alerted(path: Path) -> list[AlertedSpike]:
    """Every alerted spike of the state file, oldest first; empty when the file does not exist."""
    if not path.exists():
        return []
    found: list[AlertedSpike] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                found.append(
                    AlertedSpike(
                        spike_id=str(record["spike_id"]),
                        alerted_at=str(record["alerted_at"]),
                        run_id=str(record["run_id"]),
                        delivered_to=record.get("delivered_to"),
                        spike=record.get("spike") or {},
                    )
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise AlertStateError(
                    f"{path}, line {number}: not an alerted spike ({exc}); fix or remove that line "
                    "(a removed spike would be alerted again)"
                ) from exc
    return found


def write_text_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` (UTF-8) atomically: temporary file beside it, fsync,
    rename, then fsync of the folder so that the rename survives a power cut too. A
    crash at any point leaves the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def write_alerted(path: Path, spikes: list[AlertedSpike]) -> None:
    """Replace the state file with `spikes`, atomically."""
    write_text_atomically(
        path, "".join(json.dumps(asdict(spike), ensure_ascii=False, sort_keys=True) + "\n" for spike in spikes)
    )


def legacy_alerted(build_db: Path) -> list[AlertedSpike]:
    """The rows of the former `ops.alerted_spikes` of the build database (none when absent)."""
    import duckdb

    if not build_db.exists():
        return []
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        found = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'ops' and table_name = 'alerted_spikes'"
        ).fetchall()[0][0]
        if not found:
            return []
        rows = con.execute(
            f"select spike_id, alerted_at, run_id, delivered_to, spike from {LEGACY_TABLE} "
            "order by alerted_at, spike_id"
        ).fetchall()
    finally:
        con.close()
    return [
        AlertedSpike(
            spike_id=str(spike_id),
            alerted_at=alerted_at.isoformat(),
            run_id=str(run_id),
            delivered_to=delivered_to,
            spike=json.loads(spike) if isinstance(spike, str) else dict(spike or {}),
        )
        for spike_id, alerted_at, run_id, delivered_to, spike in rows
    ]


class AlertState:
    """The alerted spikes of one state file; `remember` persists each new one at once."""

    def __init__(self, path: Path, *, legacy_build_db: Path | None = None) -> None:
        self.path = path
        if not path.exists():  # the first run: created at once, so the build database is read once
            migrated = legacy_alerted(legacy_build_db) if legacy_build_db is not None else []
            write_alerted(path, migrated)
            if migrated:
                log.info(
                    "%d alerted spikes copied from %s:%s to %s", len(migrated), legacy_build_db, LEGACY_TABLE, path
                )
        self._spikes = read_alerted(path)

    @property
    def spike_ids(self) -> set[str]:
        return {s.spike_id for s in self._spikes}

    @property
    def spikes(self) -> list[AlertedSpike]:
        return list(self._spikes)

    def remember(self, spike: AlertedSpike) -> None:
        if spike.spike_id in self.spike_ids:
            return
        write_alerted(self.path, [*self._spikes, spike])
        self._spikes.append(spike)
