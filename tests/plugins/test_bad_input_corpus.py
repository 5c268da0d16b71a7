"""The bad-input corpus (tests/fixtures/bad_input/): every file is imported exactly or refused
with an error naming the file, row and column, and a refused file writes nothing.

The files and MANIFEST.yml are written by tests/fixtures/bad_input/make_corpus.py; the
manifest's expectations are stated by hand there. Each file goes through `import_file`,
the function behind `socialpulse import`, into a private SOCIALPULSE_HOME.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from socialpulse.config import load_accounts
from socialpulse.imports.reader import ImportFileError
from socialpulse.imports.run import import_file

CORPUS = Path(__file__).parents[1] / "fixtures" / "bad_input"
MANIFEST = yaml.safe_load((CORPUS / "MANIFEST.yml").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(MANIFEST["as_of"])
FILES = MANIFEST["files"]
IMPORTED = [f for f in FILES if f["outcome"] == "imported"]
REFUSED = [f for f in FILES if f["outcome"] == "refused"]
BASELINE = {f["source"]: f for f in FILES if f["category"] == "baseline"}

REQUIRED_CATEGORIES = {
    "encoding",
    "separator",
    "truncated",
    "empty",
    "header_only",
    "formula_injection",
    "sql_text",
    "long_text",
    "emoji_rtl",
    "future_date",
    "negative",
    "thousands",
    "percent",
    "date_format",
    "missing_column",
    "duplicated_column",
    "duplicated_row",
    "nul_bytes",
}


@pytest.fixture
def cfg(settings):
    return load_accounts(settings.config_file)


def run(settings, cfg, entry: dict):
    return import_file(settings, cfg, entry["source"], CORPUS / entry["file"], AS_OF, entry["account"])


def snapshot(landing: Path) -> dict[str, bytes]:
    """Every file under landing/ (temporary and hidden ones too), by relative path."""
    if not landing.exists():
        return {}
    return {str(p.relative_to(landing)): p.read_bytes() for p in sorted(landing.rglob("*")) if p.is_file()}


def landed(settings, platform: str) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for path in sorted(settings.landing_dir.glob(f"platform={platform}/entity=*/ds=*/account=*.parquet")):
        entity = path.parts[-3].removeprefix("entity=")
        rows.setdefault(entity, []).extend(pq.read_table(path).to_pylist())
    return rows


def comparable(value):
    return value.isoformat() if isinstance(value, datetime) else value


def test_the_corpus_covers_every_source_and_category():
    bad = [f for f in FILES if f["category"] != "baseline"]
    assert len(bad) >= 32
    assert {f["source"] for f in bad} == {"facebook", "instagram", "linkedin", "x"}
    assert REQUIRED_CATEGORIES <= {f["category"] for f in bad}
    assert all((CORPUS / f["file"]).is_file() for f in FILES)
    on_disk = {str(p.relative_to(CORPUS)) for p in CORPUS.glob("*/*") if p.is_file()}
    assert on_disk == {f["file"] for f in FILES}, "a corpus file is not in the manifest (or the reverse)"


def test_the_committed_files_are_what_the_generator_writes(monkeypatch):
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_corpus", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    cases = module.facebook_cases() + module.instagram_cases() + module.linkedin_cases() + module.x_cases()
    assert [c.path for c in cases] == [f["file"] for f in FILES]
    stale = [c.path for c in cases if (CORPUS / c.path).read_bytes() != c.data]
    assert not stale, f"rerun make_corpus.py: {stale}"


@pytest.mark.parametrize("entry", IMPORTED, ids=[f["file"] for f in IMPORTED])
def test_imported_exactly_and_idempotently(settings, cfg, entry):
    run(settings, cfg, entry)
    rows = landed(settings, entry["source"])
    assert {e: len(rows.get(e, [])) for e in entry["rows"]} == entry["rows"]
    assert all(r["_source"] == "csv" and r["_ds"] == AS_OF for rs in rows.values() for r in rs)
    for check in entry["expect"]:
        matching = [r for r in rows.get(check["entity"], []) if all(r[k] == v for k, v in check["where"].items())]
        assert len(matching) == 1, f"{check['entity']} {check['where']}: {len(matching)} rows landed"
        for name, expected in check["values"].items():
            actual = comparable(matching[0][name])
            if isinstance(expected, dict):  # a text too long for the manifest
                assert isinstance(actual, str) and len(actual) == expected["length"], name
                assert hashlib.sha256(actual.encode("utf-8")).hexdigest() == expected["sha256"], name
            else:
                assert actual == expected, name
    before = snapshot(settings.landing_dir)
    run(settings, cfg, entry)
    assert snapshot(settings.landing_dir) == before, "importing the same file twice changed the landing"


@pytest.mark.parametrize("entry", REFUSED, ids=[f["file"] for f in REFUSED])
def test_refused_naming_file_row_and_column_with_nothing_written(settings, cfg, entry):
    run(settings, cfg, BASELINE[entry["source"]])  # the partitions a half-written import would touch
    before = snapshot(settings.landing_dir)
    assert before
    with pytest.raises(ImportFileError) as caught:
        run(settings, cfg, entry)
    error = caught.value
    message = str(error)
    assert Path(entry["file"]).name in message
    assert entry["message"] in message
    assert (error.row, error.column) == (entry["row"], entry["column"])
    if entry["row"] is not None:
        assert f", row {entry['row']}" in message
    if entry["column"] is not None:
        assert f"column {entry['column']!r}" in message
    assert snapshot(settings.landing_dir) == before, "a refused file changed the landing"


def test_refusals_name_distinct_places():
    """The manifest is not one copy-pasted expectation: rows and columns vary."""
    places = Counter((f["row"], f["column"]) for f in REFUSED)
    assert len(places) >= 10


def test_the_cli_refuses_with_the_place_and_exit_code_2(settings, monkeypatch):
    from typer.testing import CliRunner

    from socialpulse.cli import app

    entry = next(f for f in REFUSED if f["file"] == "facebook/negative_count.csv")
    result = CliRunner().invoke(
        app,
        ["import", "--platform", "facebook", "--file", str(CORPUS / entry["file"]), "--as-of", AS_OF.isoformat()],
    )
    assert result.exit_code == 2
    assert "negative_count.csv, row 3, column 'Reactions'" in result.output
    assert "nothing was written" in result.output
    assert snapshot(settings.landing_dir) == {}


TEXT_CASES = [f for f in IMPORTED if f["category"] in {"formula_injection", "sql_text", "long_text", "emoji_rtl"}]


@pytest.mark.parametrize("entry", TEXT_CASES, ids=[f["file"] for f in TEXT_CASES])
def test_text_reaches_the_warehouse_verbatim(settings, cfg, entry):
    """Formulas, SQL-like and right-to-left text are data: the raw tables hold them as written."""
    import duckdb

    from socialpulse.load import load_landing, raw_table

    run(settings, cfg, entry)
    load_landing(settings.build_db, settings.landing_dir)
    con = duckdb.connect(str(settings.build_db), read_only=True)
    try:
        checked = 0
        for check in entry["expect"]:
            for name, expected in check["values"].items():
                if isinstance(expected, int | float) or name.endswith(("_at", "_time", "timestamp")):
                    continue
                where = " and ".join(f"{k} = ?" for k in check["where"])
                (actual,) = con.execute(
                    f"select {name} from {raw_table(entry['source'], check['entity'])} where {where}",
                    list(check["where"].values()),
                ).fetchone()
                if isinstance(expected, dict):
                    assert hashlib.sha256(actual.encode("utf-8")).hexdigest() == expected["sha256"]
                else:
                    assert actual == expected
                checked += 1
    finally:
        con.close()
    assert checked
