"""dbt docs of the published build, under $SOCIALPULSE_HOME/docs/dbt/.

The build DAG runs this after each publish. `dbt docs generate --no-compile` reuses the
manifest the DAG was rendered from (dbt_project/target/manifest.json, from `make
manifest`), reads the catalog from the build database, and writes `static_index.html`
(one self-contained file that opens from disk, no server needed) plus the usual
`index.html`, `manifest.json` and `catalog.json` for `dbt docs serve`-style hosting.
The folder is replaced as a whole, so it always describes the latest build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

from socialpulse.settings import Settings

KEPT = ("static_index.html", "index.html", "manifest.json", "catalog.json")


class DocsError(RuntimeError):
    pass


def replace_folder(folder: Path, fill: Callable[[Path], None]) -> Path:
    """Give `folder` new content: `fill(new)` writes it in a sibling folder, which then
    takes the old one's place (a reader sees the old or the new docs, never half)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    fresh = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.new")
    old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
    try:
        fill(fresh)
        if folder.exists():
            folder.rename(old)
        fresh.rename(folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
    return folder


def build_dbt_docs(settings: Settings) -> Path:
    """Generate dbt docs for the build database; returns the path of static_index.html."""
    project = settings.dbt_project_dir
    manifest = project / "target" / "manifest.json"
    if not manifest.is_file():
        raise DocsError(f"{manifest} missing: run `make manifest` (dbt parse) first")

    def generate(fresh: Path) -> None:
        work = fresh / "work"
        work.mkdir(parents=True)
        shutil.copy2(manifest, work / "manifest.json")
        cmd = [
            str(Path(sys.executable).parent / "dbt"),
            "docs",
            "generate",
            "--no-compile",
            "--static",
            "--project-dir",
            str(project),
            "--profiles-dir",
            str(project),
            "--target",
            "build",
            "--target-path",
            str(work),
            "--log-path",
            str(work / "logs"),
            "--quiet",
        ]
        env = {**os.environ, **settings.dbt_env()}
        done = subprocess.run(cmd, env=env, cwd=project, capture_output=True, text=True)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise DocsError(f"dbt docs generate failed (exit {done.returncode}):\n{tail}")
        for name in KEPT:
            if (work / name).exists():
                shutil.move(str(work / name), fresh / name)
        shutil.rmtree(work)

    return replace_folder(settings.docs_dir / "dbt", generate) / "static_index.html"
