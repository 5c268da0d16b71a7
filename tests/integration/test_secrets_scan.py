"""Secrets: no API token, no pseudonymisation key and no raw commenter identity is
written anywhere under SOCIALPULSE_HOME by a run of the pipeline.

The run is the session's reference run (conftest: three days of Facebook and Instagram,
the first two by the steps' commands, the last through the extract and build DAGs,
with every step's and task's log), which uses API tokens of its own, distinct per
platform and per session. The commenter identities are the sandbox world's (full
names, user ids, Instagram handles and scoped ids) of every comment the run could have
read; the accounts' own replies are public and left out. Every file is scanned:
Parquet files decoded, DuckDB databases column by column, everything else as text.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.platforms.instagram import commenter_igsid, commenter_username
from sandbox.world import World
from tests.integration.conftest import DAYS, PLATFORMS, SEED

pytestmark = pytest.mark.integration

FIRST, DS = DAYS[0], DAYS[-1]
COMMENT_HISTORY_DAYS = 30  # wider than any window the connectors read: a superset of what they saw

_TOKEN = re.compile(r"[\w'-]+(?:[.@][\w'-]+)*")


def words(text: str) -> list[str]:
    return [w.casefold() for w in _TOKEN.findall(text)]


class Needles:
    """What must not be found: exact secrets (substrings) and identities (whole words,
    or runs of whole words for a full name, so that "Marie Dupont" is found but the
    word "Marie" alone, or a date inside a user id, is not)."""

    def __init__(self, secret_values: dict[str, str], identities: dict[str, str]):
        self.secrets = secret_values
        self.single: dict[str, str] = {}
        self.multi: dict[tuple[str, ...], str] = {}
        for value, label in identities.items():
            key = tuple(words(value))
            if len(key) == 1:
                self.single[key[0]] = label
            elif key:
                self.multi[key] = label
        self.lengths = sorted({len(k) for k in self.multi})

    def find(self, text: str) -> set[str]:
        found = {label for value, label in self.secrets.items() if value in text}
        seq = words(text)
        found |= {self.single[w] for w in seq if w in self.single}
        for n in self.lengths:
            for i in range(len(seq) - n + 1):
                label = self.multi.get(tuple(seq[i : i + n]))
                if label:
                    found.add(label)
        return found


def _texts_of_parquet(path: Path) -> Iterator[str]:
    table = pq.read_table(path)
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type):
            yield "\n".join(str(v) for v in column.to_pylist() if v is not None)
        elif not (pa.types.is_temporal(column.type) or pa.types.is_boolean(column.type)):
            yield "\n".join(map(str, column.to_pylist()))


_SKIPPED_TYPES = re.compile(r"^(DATE|TIME|TIMESTAMP|BOOLEAN|DOUBLE|FLOAT|REAL|DECIMAL|INTERVAL)", re.I)


def _texts_of_duckdb(path: Path) -> Iterator[str]:
    """Every column of every table and view that can hold an identity, as text."""
    with duckdb.connect(str(path), read_only=True) as con:
        columns = con.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns "
            "where table_catalog = current_database() order by all"
        ).fetchall()
        for schema, table, column, data_type in columns:
            if _SKIPPED_TYPES.match(data_type):
                continue
            values = con.execute(
                f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" where "{column}" is not null'
            ).fetchall()
            yield f"{schema}.{table}.{column}: " + "\n".join(v[0] for v in values)


def is_duckdb(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(12)[8:12] == b"DUCK"


def scan(home: Path, needles: Needles) -> dict[str, set[str]]:
    """{file (relative to home): labels of what was found in it}; every file is read."""
    hits: dict[str, set[str]] = {}
    scanned = 0
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            texts = _texts_of_parquet(path)
        elif is_duckdb(path):
            texts = _texts_of_duckdb(path)
        else:
            texts = iter([path.read_bytes().decode("utf-8", errors="replace")])
        found = set().union(*(needles.find(t) for t in texts))
        scanned += 1
        if found:
            hits[path.relative_to(home).as_posix()] = found
    assert scanned, f"{home}: nothing to scan"
    return hits


def commenter_identities(today: date) -> dict[str, str]:
    """Raw identities of the people who commented on the run's accounts, from the sandbox world."""
    world = World(SEED)
    cutoff = datetime.combine(today, time(), UTC)
    found: dict[str, str] = {}
    for platform in PLATFORMS:
        for account in region.accounts(platform):
            for post in world.posts_between(account, FIRST - timedelta(days=COMMENT_HISTORY_DAYS), DS):
                for comment in world.comments_before(post, cutoff):
                    if comment.is_from_page:
                        continue
                    found[comment.author_name] = f"{platform} commenter name"
                    found[comment.author_id] = f"{platform} commenter id"
                    if platform == "instagram":
                        found[commenter_username(comment)] = "instagram commenter handle"
                        found[commenter_igsid(comment)] = "instagram commenter id"
    return found


@pytest.fixture(scope="module")
def secrets_run(reference_run, session_secrets):
    return {
        "settings": reference_run["pipe"].settings,
        "root": reference_run["root"],
        "needles": Needles(
            {
                **{t: f"{p} token" for p, t in session_secrets["tokens"].items()},
                session_secrets["pseudonym_key"]: "pseudonymisation key",
            },
            commenter_identities(DS + timedelta(days=1)),
        ),
    }


def test_the_run_wrote_logs_landing_files_and_databases(secrets_run):
    settings = secrets_run["settings"]
    assert list(settings.landing_dir.rglob("entity=comments/*/*.parquet"))
    assert settings.build_db.exists() and settings.serving_db.exists()
    assert list((settings.home / "airflow").rglob("*.log")) and list((settings.home / "logs").glob("*.log"))
    with duckdb.connect(str(settings.serving_db), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_comments").fetchone()[0] > 0


def test_no_token_key_or_commenter_identity_is_written_under_the_home(secrets_run):
    assert scan(secrets_run["root"], secrets_run["needles"]) == {}


def test_the_scanner_finds_what_is_planted_in_a_copy(secrets_run):
    """Proof that the scan can fail: one planted value in a log, a Parquet file and a database."""
    settings, needles = secrets_run["settings"], secrets_run["needles"]
    copy = secrets_run["root"].parent / "planted"
    shutil.copytree(settings.home, copy, symlinks=True)
    token = next(v for v, label in needles.secrets.items() if label == "facebook token")
    name = next(v for v, label in commenter_identities(DS + timedelta(days=1)).items() if label.endswith("name"))
    handle = next(v for v, label in needles.single.items() if label == "instagram commenter handle")

    log = next((copy / "airflow").rglob("*.log"))
    log.write_text(log.read_text() + f"\nGET /v25.0/me?access_token={token}\n")
    with duckdb.connect(str(copy / settings.serving_db.relative_to(settings.home))) as con:
        con.execute("create table marts.planted as select ? as note", [f"reply to {name}, thanks"])
    parquet = next((copy / "landing").rglob("entity=comments/*/*.parquet"))
    table = pq.read_table(parquet)
    index = table.schema.get_field_index("message")
    messages = table.column("message").to_pylist()
    messages[0] = f"cc @{handle}"
    pq.write_table(table.set_column(index, table.schema.field(index), pa.array(messages, pa.string())), parquet)

    hits = scan(copy, needles)
    rel = lambda p: p.relative_to(copy).as_posix()  # noqa: E731
    assert "facebook token" in hits.get(rel(log), set())
    assert "instagram commenter handle" in hits.get(rel(parquet), set())
    serving = settings.serving_db.relative_to(settings.home).as_posix()
    assert any(label.endswith("commenter name") for label in hits.get(serving, set()))
