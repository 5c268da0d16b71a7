"""What every intermediate-layer test does after extracting: build one platform's models, read rows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb

from socialpulse.settings import REPO_ROOT, Settings

DBT = str(Path(sys.executable).parent / "dbt")


def dbt_build(settings: Settings, select: list[str], target_dir: Path, *args: str) -> None:
    """`dbt build --select <select> [args]` on the settings' build database; it must pass."""
    proc = subprocess.run(
        [
            DBT,
            "build",
            "--select",
            *select,
            *args,
            "--project-dir",
            "dbt_project",
            "--profiles-dir",
            "dbt_project",
            "--target-path",
            str(target_dir),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, **settings.dbt_env()},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "ERROR=0" in proc.stdout


def build_platform_models(settings: Settings, platform: str, target_dir: Path) -> duckdb.DuckDBPyConnection:
    """`dbt build` of the platform's staging and intermediate models; a read-only connection."""
    dbt_build(settings, [f"staging.{platform}", f"int_{platform}__*"], target_dir)
    return duckdb.connect(str(settings.build_db), read_only=True)


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
