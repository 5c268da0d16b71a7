"""`ensure_manifest` parses only when dbt_project/target/manifest.json is older than a file dbt reads."""

from __future__ import annotations

import os
import shutil

from socialpulse.runner import MANIFEST_INPUTS, manifest_is_current
from socialpulse.settings import REPO_ROOT


def _project(tmp_path):
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    (project / "target").mkdir()
    return project


def _age(path, seconds):
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 10**9))


def test_no_manifest_is_not_current(tmp_path):
    assert not manifest_is_current(_project(tmp_path))


def test_manifest_newer_than_every_input_is_current(tmp_path):
    project = _project(tmp_path)
    (project / "target" / "manifest.json").write_text("{}")
    assert manifest_is_current(project)


def test_an_edited_model_macro_seed_or_project_file_makes_it_stale(tmp_path):
    project = _project(tmp_path)
    manifest = project / "target" / "manifest.json"
    manifest.write_text("{}")
    edited = [
        project / "dbt_project.yml",
        next((project / "models" / "marts").glob("*.sql")),
        next((project / "macros").rglob("*.sql")),
        next((project / "seeds").glob("*.csv")),
    ]
    for path in edited:
        assert path.relative_to(project).parts[0] in MANIFEST_INPUTS
        _age(manifest, 5)  # written 5 s before the edit below
        path.touch()
        assert not manifest_is_current(project), path
        manifest.touch()  # parsed again
        assert manifest_is_current(project), path


def test_files_dbt_does_not_parse_leave_it_current(tmp_path):
    project = _project(tmp_path)
    (project / "target" / "manifest.json").write_text("{}")
    _age(project / "target" / "manifest.json", 5)
    (project / "target" / "run_results.json").write_text("{}")
    (project / "logs").mkdir(exist_ok=True)
    (project / "logs" / "dbt.log").write_text("")
    assert manifest_is_current(project)
