"""Audit of the DuckDB build with the committed Great Expectations suites.

The publish of the marts is gated on this audit, so its failure message is what an
on-call engineer reads first: it names the suite, the expectation, the partition and
up to five offending rows, all in one exception.

Why pandas and not GX's SQL datasource: over duckdb-engine GX returns empty results
(GX issue 11579), so every batch is read here with the duckdb Python API (read-only,
scoped by a `where` clause to the partitions just written) and handed to GX as a
whole-dataframe batch of the `duckdb_batches` datasource.

This module is importable without Airflow and without paying for GX at import time
(DAG files import the operator at parse time): duckdb, pandas and great_expectations
are imported inside the functions that need them.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import time
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

# No telemetry, whatever the environment says: set before great_expectations is
# imported (it is imported lazily, below). The context config also says so.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.core.expectation_validation_result import (
        ExpectationValidationResult,
    )
    from great_expectations.core.validation_definition import ValidationDefinition
    from great_expectations.data_context import FileDataContext

SAMPLE_SIZE = 5
CRITICAL = "critical"
"""Severity of an expectation that blocks the publish. GX's other severities
("warning", "info") are reported (task log, XCom, `audit.failures`) and publish."""
DOCS_SITE = "local_site"
AUDIT_FAILURES_DDL = """
create table if not exists audit.failures (
    run_id varchar,
    audited_at timestamptz,
    suite varchar,
    partition_label varchar,
    expectation varchar,
    severity varchar,
    unexpected_count bigint,
    element_count bigint,
    message varchar,
    rows_table varchar
)
"""
MAX_AUDIT_ROWS = 10_000
"""Offending rows kept per failing expectation in the `audit` schema."""
"""Offending values/rows quoted per failing expectation: enough to act on, short enough to log."""

EVENT_TOLERANCE = timedelta(days=2)
"""How far past the audited ds a platform timestamp may lie.

Facebook day periods end at 07:00/08:00 UTC the next day, and a run may see posts
published after midnight, so `created_time`/`end_time` <= ds + 2 days.
"""

UNIQUE_CHECK = "expect_compound_columns_to_be_unique"
ROW_WISE = (
    "expect_column_values_",
    "expect_column_pair_values_",
    "expect_column_value_lengths_",
    "expect_table_columns_to_match_set",
    UNIQUE_CHECK,
)
"""Expectations that hold for a batch when they hold for each of its slices: row checks,
the column set, and uniqueness when the slices are cut on the unique key (`_slices`). A
suite with any other kind (a row count, a sum, a maximum) is validated whole."""

NO_AS_OF = "no as_of given and no non-null _ds in the batch: cannot bound the date checks"
_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")
_HIDDEN_KWARGS = {"batch_id"}
_LONG_LIST = 8


@dataclass(frozen=True)
class AuditTarget:
    """One batch to audit: rows of `table` matching `where`, checked by `suite`.

    `partition_label` is for humans (e.g. ``ds=2025-03-01``) and appears in every
    message. `as_of` is the audited logical date (``{{ ds }}``): it bounds the date
    and timestamp range checks. Raw tables default it to the latest `_ds` of the
    batch; mart targets must set it, because marts carry no `_ds`.
    """

    table: str
    suite: str
    where: str | None
    partition_label: str
    as_of: str | date | None = None
    allow_empty: bool = False
    sql: str | None = None
    parts: tuple[tuple[str, str], ...] | None = None

    def __post_init__(self) -> None:
        if not _TABLE_NAME.match(self.table):
            raise ValueError(f"audit target table must be '<schema>.<table>' in lower case, got {self.table!r}")
        if self.parts is not None:
            # (partition_label, where) pairs whose union is `where`; lists after a trip through XCom
            object.__setattr__(self, "parts", tuple((str(label), str(where)) for label, where in self.parts))

    def split(self) -> list[AuditTarget]:
        """The target's `parts` as targets of their own (a batch too big to validate in one
        piece is sliced part by part: each slice of the union would read every part)."""
        return [replace(self, where=where, partition_label=label, parts=None) for label, where in self.parts or ()]

    @property
    def requires_rows(self) -> bool:
        """Raw partitions must exist: an empty raw batch means a skipped extract or load.

        Entities that can be empty for an account-day (no post that day) say so with
        `allow_empty`; their partition files still exist, with zero rows.
        """
        return self.table.startswith("raw.") and not self.allow_empty and not self.sql

    @property
    def query(self) -> str:
        """The batch's SQL: the table, or the target's own `sql` (a derived check frame,
        e.g. counter deltas between snapshots), filtered by `where`."""
        if self.sql:
            sql = f"select * from ({self.sql}) as batch"
        else:
            schema, name = self.table.split(".")
            sql = f'select * from "{schema}"."{name}"'
        return f"{sql} where {self.where}" if self.where else sql

    @classmethod
    def coerce(cls, value: AuditTarget | Mapping[str, Any]) -> AuditTarget:
        """Accept the dicts that Airflow templating renders as well as instances."""
        if isinstance(value, AuditTarget):
            return value
        return cls(**dict(value))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for optional in ("sql", "parts"):
            if data[optional] is None:
                del data[optional]
        if isinstance(self.as_of, date):
            data["as_of"] = self.as_of.isoformat()
        return data


@dataclass(frozen=True)
class Failure:
    """One failed check, with what a reader needs to find the bad rows."""

    suite: str
    partition_label: str
    expectation: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    unexpected_count: int | None = None
    element_count: int | None = None
    observed: Any = None
    sample: list[Any] = field(default_factory=list)
    detail: str | None = None
    missing_columns: tuple[str, ...] = ()
    severity: str = CRITICAL
    message: str | None = None
    rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """Every offending row of the batch (all columns), for the `audit` schema."""

    @property
    def is_warning(self) -> bool:
        return self.severity != CRITICAL

    @property
    def columns(self) -> set[str]:
        """Columns the check reads, as named in its kwargs."""
        named = [self.kwargs.get(k) for k in ("column", "column_A", "column_B")]
        return {c for c in [*named, *self.kwargs.get("column_list", [])] if isinstance(c, str)}

    def describe(self) -> str:
        label = "WARNING " if self.is_warning else ""
        parts = [f"{label}suite {self.suite} [{self.partition_label}]: {_call(self.expectation, self.kwargs)}"]
        if self.message:
            parts.append(self.message)
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            parts.append(f"{self.unexpected_count} unexpected{of}")
        if self.observed is not None:
            parts.append(f"observed {self.observed!r}")
        if self.sample:
            parts.append(f"sample {self.sample!r}")
        if self.detail:
            parts.append(self.detail)
        return " — ".join(parts)


@dataclass(frozen=True)
class TargetResult:
    """Outcome of one target; `validation` is GX's own result when GX ran.

    `failures` holds every failed check, blocking (critical) or not (warnings).
    """

    target: AuditTarget
    row_count: int
    evaluated: int
    failures: list[Failure]
    seconds: float
    validation: ExpectationSuiteValidationResult | None = None

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if not f.is_warning]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.is_warning]

    @property
    def success(self) -> bool:
        return not self.errors

    def summary_line(self) -> str:
        t = self.target
        state = "OK" if self.success else f"FAILED ({len(self.errors)} failing)"
        if self.warnings:
            state += f", {len(self.warnings)} warning(s)"
        return (
            f"{t.suite} [{t.partition_label}]: {state}, {self.row_count} rows, "
            f"{self.evaluated} expectations, {self.seconds:.2f}s"
        )

    def to_summary(self) -> dict[str, Any]:
        return {
            "suite": self.target.suite,
            "table": self.target.table,
            "partition": self.target.partition_label,
            "success": self.success,
            "rows": self.row_count,
            "expectations": self.evaluated,
            "failed": len(self.errors),
            "warnings": len(self.warnings),
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True)
class AuditReport:
    """All target results of one audit run."""

    results: list[TargetResult]
    docs_index: Path | None = None
    """index.html of the Data Docs built for this audit, if any."""

    @property
    def success(self) -> bool:
        return all(r.success for r in self.results)

    @property
    def failures(self) -> list[Failure]:
        """The blocking failures (critical expectations and the audit's own checks)."""
        return [f for r in self.results for f in r.errors]

    @property
    def warnings(self) -> list[Failure]:
        return [f for r in self.results for f in r.warnings]

    def summary_lines(self) -> list[str]:
        return [r.summary_line() for r in self.results]

    def to_summary(self) -> dict[str, Any]:
        """A small JSON-able digest (XCom, logs): no rows, no GX objects."""
        return {
            "success": self.success,
            "failed_expectations": len(self.failures),
            "warnings": [w.describe() for w in self.warnings],
            "data_docs": str(self.docs_index) if self.docs_index else None,
            "targets": [r.to_summary() for r in self.results],
        }

    def failure_message(self) -> str:
        """One message naming every blocking failure; empty when the audit passed."""
        if self.success:
            return ""
        failed = [r for r in self.results if not r.success]
        head = (
            f"Data audit failed: {len(self.failures)} failing check(s) in "
            f"{len(failed)} of {len(self.results)} suite(s)."
        )
        return "\n".join([head, *(f"- {f.describe()}" for f in self.failures)])

    def warning_message(self) -> str:
        """The non-blocking failures, one line each; empty when there are none."""
        if not self.warnings:
            return ""
        head = f"Data audit warnings ({len(self.warnings)}; published anyway):"
        return "\n".join([head, *(f"- {w.describe()}" for w in self.warnings)])

    def raise_for_failures(self) -> None:
        if not self.success:
            raise AuditFailed(self)


class AuditFailed(Exception):
    """The audited data broke an expectation; the message says where and how."""

    def __init__(self, report: AuditReport) -> None:
        super().__init__(report.failure_message())
        self.report = report


def read_batch(db_path: Path | str, target: AuditTarget) -> pd.DataFrame:
    """Rows of one target as pandas, from a read-only connection (never holds a write lock)."""
    with _connect(db_path) as con:
        return _read(con, target)


def open_context(context_root: Path | str) -> FileDataContext:
    """The committed File Data Context; refuses a folder without great_expectations.yml.

    GX would otherwise scaffold a brand-new, empty project there and every suite
    lookup would fail far from the cause.
    """
    root = Path(context_root)
    if not (root / "great_expectations.yml").is_file():
        raise FileNotFoundError(f"no great_expectations.yml in GX context root {root}")
    import great_expectations as gx

    _quiet_gx_logs()
    return gx.get_context(mode="file", context_root_dir=str(root))


def _quiet_gx_logs() -> None:
    """GX logs every config load at INFO, which buries the audit summary in task logs.

    Only a level nobody configured is changed: an explicit logging setup wins.
    """
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)


def validation_definitions(context: FileDataContext) -> dict[str, ValidationDefinition]:
    """Committed validation definitions keyed by suite name (one per suite)."""
    return {vd.suite.name: vd for vd in context.validation_definitions.all()}


def suite_parameters(as_of: date) -> dict[str, str]:
    """Values of the `$PARAMETER`s the suites use, derived from the audited ds.

    ISO strings, because GX parses them to the naive (DATE columns arrive as
    datetime64) or UTC-aware (TIMESTAMPTZ columns) datetimes its comparisons need.
    """
    horizon = as_of + EVENT_TOLERANCE
    return {
        "max_ds": f"{as_of.isoformat()}T00:00:00",
        "max_event_date": f"{horizon.isoformat()}T00:00:00",
        "max_event_at": f"{horizon.isoformat()}T00:00:00+00:00",
    }


def run_audit(
    context_root: Path | str,
    db_path: Path | str,
    targets: Sequence[AuditTarget | Mapping[str, Any]],
    *,
    docs_dir: Path | str | None = None,
) -> AuditReport:
    """Validate every target with its committed validation definition.

    Configuration mistakes (unknown suite, missing database, mart without `as_of`)
    raise at once: they are not data failures. Data failures, including an empty raw
    partition or an unreadable table, are collected into the report. With `docs_dir`,
    GX Data Docs of this run (suites and results) replace what that folder held.
    """
    resolved = [AuditTarget.coerce(t) for t in targets]
    db = Path(db_path)
    if not db.is_file():
        raise FileNotFoundError(f"DuckDB file to audit not found: {db}")
    context = open_context(context_root)
    definitions = validation_definitions(context)
    _check_targets(resolved, definitions)
    with _connect(db) as con:
        results = [r for t in resolved for r in _audit_whole_or_split(con, definitions[t.suite], t)]
    report = AuditReport(results)
    if docs_dir is not None:
        report = replace(report, docs_index=build_data_docs(context, Path(docs_dir)))
    return report


def build_data_docs(context: FileDataContext, docs_dir: Path) -> Path:
    """GX Data Docs of the suites and of this process's validation results, in `docs_dir`.

    Built in a sibling folder then swapped in, so that the folder holds exactly the
    latest audit: results pages quote offending values, and older ones must not
    outlive the data they came from (comment texts have a retention limit).
    Returns the path of index.html.
    """
    from socialpulse.docs import replace_folder

    sites = context.variables.data_docs_sites or {}
    site = sites.get(DOCS_SITE)
    if site is None:
        raise ValueError(f"no data docs site {DOCS_SITE!r} in great_expectations.yml")

    def build(fresh: Path) -> None:
        # In memory only: the committed great_expectations.yml keeps its relative path.
        site["store_backend"]["base_directory"] = str(fresh)
        context.variables.data_docs_sites = {**sites, DOCS_SITE: site}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=_pandas_deprecations())
            context.build_data_docs(site_names=[DOCS_SITE])

    return replace_folder(docs_dir, build) / "index.html"


def write_audit_schema(db_path: Path | str, report: AuditReport, *, run_id: str) -> dict[str, int]:
    """Record the audit's failures and warnings in the `audit` schema of `db_path`.

    - `audit.failures`: one row per failed check of every audit run (history);
    - `audit.<layer>__<table>` (e.g. `audit.raw__facebook__posts`): the offending rows
      of the latest failing audit of that suite, every column of the batch plus
      `_audit_run_id`, `_audit_expectation` and `_audit_severity`.

    Opens the database read-write: the caller holds the single-writer slot. Returns
    the number of offending rows written per table. Nothing is written for a clean run.
    """
    failed = [f for r in report.results for f in r.failures]
    if not failed:
        return {}
    import duckdb
    import pandas as pd

    written: dict[str, int] = {}
    con = duckdb.connect(str(db_path))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute("begin transaction")
        con.execute("create schema if not exists audit")
        con.execute(AUDIT_FAILURES_DDL)
        by_suite: dict[str, list[pd.DataFrame]] = {}
        for f in failed:
            table = audit_table(f.suite)
            con.execute(
                "insert into audit.failures values (?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    f.suite,
                    f.partition_label,
                    f.expectation,
                    f.severity,
                    f.unexpected_count,
                    f.element_count,
                    f.describe(),
                    table if f.rows is not None and not f.rows.empty else None,
                ],
            )
            if f.rows is not None and not f.rows.empty:
                rows = f.rows.assign(_audit_run_id=run_id, _audit_expectation=f.expectation, _audit_severity=f.severity)
                by_suite.setdefault(table, []).append(rows)
        for table, frames in by_suite.items():
            batch = pd.concat(frames, ignore_index=True)
            con.register("_offending", batch)
            try:
                con.execute(f"create or replace table {table} as select * from _offending")
            finally:
                con.unregister("_offending")
            written[table] = len(batch)
        con.execute("commit")
    finally:
        con.close()
    return written


def audit_table(suite: str) -> str:
    """`raw.facebook__posts` -> `audit.raw__facebook__posts`."""
    return "audit." + suite.replace(".", "__")


def _connect(db_path: Path | str) -> duckdb.DuckDBPyConnection:
    import duckdb

    from socialpulse.settings import get_settings

    # capped: uncapped, the scopes' semi-joins over a big load and DuckDB's block cache took 10 GB
    limit = get_settings().audit_duckdb_memory_limit
    con = duckdb.connect(str(db_path), read_only=True, config={"memory_limit": limit})
    # TIMESTAMPTZ converts to pandas in the session time zone: pin it so dtypes (and
    # the suites' type checks) do not depend on the machine running the audit.
    con.execute("set TimeZone = 'UTC'")
    return con


def _read(con: duckdb.DuckDBPyConnection, target: AuditTarget) -> pd.DataFrame:
    return _frame(con, target.query)


def _frame(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    """The rows of `query` as pandas, with the dtypes of DuckDB's `.df()` (the suites' types),
    read through Arrow: 5 to 7 times faster on text columns.

    Two deliberate differences: DATE and TIMESTAMP columns arrive as datetime64[ns] (GX
    compares other datetime units to its bounds value by value in Python, 2.7 s for 500,000
    rows), and a text column without a value is `str` rather than `object`.
    Integers and booleans are NumPy's without a null, pandas' nullable ones with, as in `.df()`.
    """
    import pyarrow as pa

    table = con.sql(query).arrow().read_all()
    fields = []
    for f in table.schema:
        kind = f.type
        if pa.types.is_date(kind) or (pa.types.is_timestamp(kind) and kind.tz is None):
            kind = pa.timestamp("ns")
        elif pa.types.is_decimal(kind):
            kind = pa.float64()
        fields.append(pa.field(f.name, kind))
    table = table.cast(pa.schema(fields))
    nullable = _nullable_dtypes()
    df = table.to_pandas(types_mapper=nullable.get)
    for name, column in zip(table.column_names, table.columns, strict=True):
        if column.type in nullable and column.null_count == 0:
            df[name] = df[name].to_numpy(dtype=nullable[column.type].numpy_dtype)
    return df


@functools.cache
def _nullable_dtypes() -> dict:
    import pandas as pd
    import pyarrow as pa

    return {
        pa.int8(): pd.Int8Dtype(),
        pa.int16(): pd.Int16Dtype(),
        pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.uint8(): pd.UInt8Dtype(),
        pa.uint16(): pd.UInt16Dtype(),
        pa.uint32(): pd.UInt32Dtype(),
        pa.uint64(): pd.UInt64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }


def _check_targets(targets: Iterable[AuditTarget], definitions: Mapping[str, Any]) -> None:
    problems = []
    for t in targets:
        if t.suite not in definitions:
            problems.append(f"{t.suite}: no validation definition (known: {', '.join(sorted(definitions))})")
        if t.as_of is None and not t.requires_rows:
            problems.append(f"{t.suite}: as_of is required for non-raw targets (e.g. '{{{{ ds }}}}')")
        try:
            _as_date(t.as_of)
        except ValueError:
            problems.append(f"{t.suite}: as_of {t.as_of!r} is not a YYYY-MM-DD date")
    if problems:
        raise ValueError("invalid audit targets:\n" + "\n".join(problems))


def _audit_whole_or_split(
    con: duckdb.DuckDBPyConnection, definition: ValidationDefinition, target: AuditTarget
) -> list[TargetResult]:
    """One validation of a target with parts while it fits in one GX batch (GX's fixed cost
    is paid once), else one result per part, each sliced on its own."""
    import duckdb

    if target.parts:
        from socialpulse.settings import get_settings

        try:
            rows = con.execute(f"select count(*) from ({target.query}) as batch").fetchall()[0][0]
        except duckdb.Error:
            return [_audit_target(con, definition, target)]  # the audit of the whole target reports it
        if rows > get_settings().audit_chunk_rows:
            return [_audit_target(con, definition, part) for part in target.split()]
        return [_audit_target(con, definition, target, rows=rows)]
    return [_audit_target(con, definition, target)]


def _audit_target(
    con: duckdb.DuckDBPyConnection, definition: ValidationDefinition, target: AuditTarget, *, rows: int | None = None
) -> TargetResult:
    """Validate one target; `rows`, its row count when the caller has it (not counted again)."""
    import duckdb

    started = time.perf_counter()

    def done(rows: int, evaluated: int, failures: list[Failure], validation: Any = None) -> TargetResult:
        return TargetResult(target, rows, evaluated, failures, time.perf_counter() - started, validation)

    try:
        slices = _slices(con, definition, target, rows=rows)
        if slices:
            return _audit_slices(con, definition, target, slices, done)
        df = _read(con, target)
    except duckdb.Error as err:
        return done(0, 0, [_own_failure(target, "read_batch", f"`{target.query}` failed: {err}")])
    if df.empty and target.requires_rows:
        detail = (
            f"`{target.query}` returned no rows: a missing partition is an error (was the extract or the load skipped?)"
        )
        return done(0, 0, [_own_failure(target, "batch_has_rows", detail)])
    as_of = _resolve_as_of(target, df)
    if as_of is None:
        detail = NO_AS_OF
        return done(len(df), 0, [_own_failure(target, "resolve_as_of", detail)])
    validation = _validate(definition, df, as_of)
    row_ids = _row_ids(definition, df)
    failures = _readable([_gx_failure(target, r, df, row_ids) for r in validation.results if not r.success])
    return done(len(df), len(validation.results), failures, validation)


def _validate(
    definition: ValidationDefinition, df: pd.DataFrame, as_of: date, *, verdict_only: bool = False
) -> ExpectationSuiteValidationResult:
    """GX's validation of `df`; with `verdict_only`, each check's success and nothing else
    (BOOLEAN_ONLY: GX then neither locates nor counts offending rows, 40% less time on a
    500,000-row slice of `marts.fct_comments`)."""
    with warnings.catch_warnings():
        # GX 1.24 calls pandas APIs that pandas 3 deprecates; the warnings are GX's to
        # fix and would repeat in every task log.
        warnings.simplefilter("ignore", category=_pandas_deprecations())
        return definition.run(
            batch_parameters={"dataframe": df},
            expectation_parameters=suite_parameters(as_of),
            result_format={"result_format": "BOOLEAN_ONLY"} if verdict_only else _result_format(),
        )


def _slices(
    con: duckdb.DuckDBPyConnection, definition: ValidationDefinition, target: AuditTarget, *, rows: int | None = None
) -> list[str]:
    """Queries that split a batch over the row budget into slices, or none (the batch is
    read in one piece): small batches and suites with a whole-batch check.

    Slices are cut on a hash of the suite's unique key (every copy of a key lands in the
    same slice, so duplicates are still found), else of the batch's first column."""
    expectations = definition.suite.expectations
    if not expectations or not all(e.expectation_type.startswith(ROW_WISE) for e in expectations):
        return []
    # SOCIALPULSE_AUDIT_CHUNK_ROWS (500,000): a 1,000-account x 365-day initial load
    # read whole took 16 GB in the raw audit, in slices of 1 M rows 6.4 GB
    from socialpulse.settings import get_settings

    budget = get_settings().audit_chunk_rows
    if rows is None:
        rows = con.execute(f"select count(*) from ({target.query}) as batch").fetchall()[0][0]
    if rows <= budget:
        return []
    keys = [e.column_list for e in expectations if e.expectation_type == UNIQUE_CHECK]
    if len(keys) > 1:
        return []  # two unique keys need two slicings: validated whole
    if keys:
        key = f"({', '.join(_ident(c) for c in keys[0])})"
    else:
        key = f"({_ident(con.execute(f'describe {target.query}').fetchall()[0][0])})"
    parts = -(-rows // budget)
    return [f"select * from ({target.query}) as batch where hash{key} % {parts} = {i}" for i in range(parts)]


def _ident(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _audit_slices(con, definition, target: AuditTarget, slices: list[str], done) -> TargetResult:
    """Validate each slice, then report as one batch: a failing check's counts add up over
    the slices and its offending rows are gathered (up to MAX_AUDIT_ROWS).

    A slice is validated for its verdict first, and in full only when it fails: the Data
    Docs show a passing slice's checks without their counts."""
    as_of = _as_date(target.as_of)
    if as_of is None:
        newest = con.execute(f"select max(_ds) from ({target.query}) as batch").fetchall()[0][0]
        as_of = _as_date(newest)
    if as_of is None:
        detail = NO_AS_OF
        return done(0, 0, [_own_failure(target, "resolve_as_of", detail)])
    rows = evaluated = 0
    merged: dict[tuple[str, str], Failure] = {}
    validation = None
    for query in slices:
        df = _frame(con, query)
        rows += len(df)
        # most slices pass: only a failing one is validated again to find its offending rows
        validation = _validate(definition, df, as_of, verdict_only=True)
        if not validation.success:
            validation = _validate(definition, df, as_of)
        evaluated = len(validation.results)
        row_ids = _row_ids(definition, df)
        for r in validation.results:
            if not r.success:
                failure = _gx_failure(target, r, df, row_ids)
                key = (failure.expectation, repr(failure.kwargs))
                merged[key] = _merge(merged[key], failure) if key in merged else failure
        del df
    # a check counts its rows over the whole batch, whichever slices it failed in
    failures = [f if f.element_count is None else replace(f, element_count=rows) for f in merged.values()]
    return done(rows, evaluated, _readable(failures), validation)


def _merge(a: Failure, b: Failure) -> Failure:
    """One check failing in two slices: counts added, offending rows and samples gathered."""

    def add(x: int | None, y: int | None) -> int | None:
        return None if x is None and y is None else (x or 0) + (y or 0)

    rows = a.rows
    if b.rows is not None and (rows is None or len(rows) < MAX_AUDIT_ROWS):
        import pandas as pd

        rows = b.rows if rows is None else pd.concat([rows, b.rows], ignore_index=True).head(MAX_AUDIT_ROWS)
    return replace(
        a,
        unexpected_count=add(a.unexpected_count, b.unexpected_count),
        sample=(a.sample + b.sample)[:SAMPLE_SIZE],
        rows=rows,
    )


def _pandas_deprecations() -> type[Warning]:
    from pandas import errors

    return getattr(errors, "Pandas4Warning", FutureWarning)


def _as_date(value: str | date | None) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date) or not value:
        return value or None
    return date.fromisoformat(str(value)[:10])


def _resolve_as_of(target: AuditTarget, df: pd.DataFrame) -> date | None:
    """The audited ds: the target's, else (raw tables) the latest `_ds` in the batch."""
    as_of = _as_date(target.as_of)
    if as_of is None and "_ds" in df.columns and df["_ds"].notna().any():
        as_of = df["_ds"].max().date()
    return as_of


def _result_format() -> dict[str, Any]:
    """COMPLETE: the positions of every offending row, so that the audit schema gets
    them all; messages quote the first SAMPLE_SIZE of them (see `_offending`).

    Without the `df.filter(...)` query text of those rows, which nothing reads: GX filters
    the whole batch once more per column check to write it (6.0 s -> 3.7 s for 500,000
    rows of `marts.fct_comments`)."""
    return {
        "result_format": "COMPLETE",
        "partial_unexpected_count": SAMPLE_SIZE,
        "return_unexpected_index_query": False,
    }


def _row_ids(definition: ValidationDefinition, df: pd.DataFrame) -> list[str]:
    """The suite's row-id columns present in the batch (a renamed column is not)."""
    return [c for c in (definition.suite.meta or {}).get("row_id_columns", []) if c in df.columns]


def _own_failure(target: AuditTarget, check: str, detail: str) -> Failure:
    one_line = " ".join(detail.split())
    return Failure(suite=target.suite, partition_label=target.partition_label, expectation=check, detail=one_line)


def _gx_failure(
    target: AuditTarget, result: ExpectationValidationResult, df: pd.DataFrame, row_ids: list[str]
) -> Failure:
    config = result.expectation_config
    outcome = result.result or {}
    mismatched = (outcome.get("details") or {}).get("mismatched") or {}
    kwargs = {k: v for k, v in (config.kwargs or {}).items() if k not in _HIDDEN_KWARGS}
    failure = Failure(
        suite=target.suite,
        partition_label=target.partition_label,
        expectation=config.type,
        kwargs=kwargs,
        unexpected_count=outcome.get("unexpected_count"),
        element_count=outcome.get("element_count"),
        observed=None if mismatched else _jsonable(outcome.get("observed_value")),
        detail=_detail(result),
        missing_columns=tuple(mismatched.get("missing") or ()),
        severity=str(getattr(config.severity, "value", config.severity) or CRITICAL).lower(),
        message=(config.meta or {}).get("message"),
    )
    rows, sample = _offending(failure, outcome, df, row_ids)
    return replace(failure, rows=rows, sample=sample)


def _offending(
    failure: Failure, outcome: Mapping[str, Any], df: pd.DataFrame, row_ids: list[str]
) -> tuple[pd.DataFrame | None, list[Any]]:
    """Every offending row (all columns) and the sample quoted in messages.

    Column checks name their rows: the sample shows the row ids and the checked
    columns. A failed table-level check (a column renamed, a row count) condemns the
    whole batch, so the batch is the offending rows; its sample stays the observed
    value. Offending values without positions (GX could not compute them) are quoted
    as values.
    """
    positions = outcome.get("unexpected_index_list")
    if positions:
        rows = df.loc[list(positions)[:MAX_AUDIT_ROWS]]
        shown = [c for c in dict.fromkeys([*row_ids, *sorted(failure.columns)]) if c in df.columns]
        sample = [_jsonable(r) for r in rows[shown].head(SAMPLE_SIZE).to_dict("records")] if shown else []
        return rows, sample
    if failure.expectation.startswith("expect_table_") and not df.empty:
        return df.head(MAX_AUDIT_ROWS), []
    values = outcome.get("partial_unexpected_list") or []
    return None, [_jsonable(v) for v in values[:SAMPLE_SIZE]]


def _readable(failures: list[Failure]) -> list[Failure]:
    """Table-level failures first, minus the errors they explain.

    A missing column makes every check on it raise ("column does not exist"); the
    column-set failure already names it, so those echoes are dropped.
    """
    missing = {c for f in failures for c in f.missing_columns}
    kept = [f for f in failures if not (f.detail and f.detail.startswith("error") and f.columns & missing)]
    return sorted(kept, key=lambda f: (not f.expectation.startswith("expect_table_"), f.expectation))


def _detail(result: ExpectationValidationResult) -> str | None:
    """The exception GX caught, or the column mismatch of a table-level check."""
    mismatched = ((result.result or {}).get("details") or {}).get("mismatched")
    if mismatched:
        return f"mismatched columns {_jsonable(mismatched)}"
    info = result.exception_info or {}
    infos = [info] if "raised_exception" in info else list(info.values())
    messages = {str(i.get("exception_message")) for i in infos if isinstance(i, Mapping) and i.get("raised_exception")}
    return "error: " + " ".join("; ".join(sorted(messages)).split()) if messages else None


def _call(expectation: str, kwargs: Mapping[str, Any]) -> str:
    if not kwargs:
        return expectation
    args = ", ".join(f"{k}={_short(_jsonable(v))}" for k, v in kwargs.items())
    return f"{expectation}({args})"


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > _LONG_LIST:
        return f"[{len(value)} items]"
    return repr(value)


def _jsonable(value: Any) -> Any:
    """Plain JSON types for messages and XCom (Timestamps, numpy scalars, NaN...)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    import pandas as pd

    if pd.api.types.is_scalar(value) and pd.isna(value):  # None, NaN, NaT, pd.NA
        return None
    if isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item") and not hasattr(value, "isoformat"):  # numpy scalars
        return _jsonable(value.item())
    return str(value)
