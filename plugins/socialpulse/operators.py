"""Airflow operators of socialpulse: thin shells over the pure library modules.

airflow-provider-great-expectations cannot be installed next to Airflow 3.3 and
GX 1.24, and its SQL path would hit GX issue 11579 on DuckDB anyway, so the audit
has its own small operator. DAG files import this module at parse time: it imports
nothing heavy (GX, duckdb and pandas load inside `execute`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException

from socialpulse.quality import AuditTarget, run_audit, write_audit_schema

if TYPE_CHECKING:
    from airflow.sdk import Context


class GreatExpectationsAuditOperator(BaseOperator):
    """Audit DuckDB batches with the committed GX suites; fail the task on any failure.

    :param targets: AuditTarget instances or dicts with the same keys (``table``,
        ``suite``, ``where``, ``partition_label``, optional ``as_of``), or an XComArg
        resolving to such dicts. Templated, so ``where``/``as_of`` may use ``{{ ds }}``.
    :param db_path: DuckDB file to read (read-only). Templated. Default: the build
        database of `Settings`.
    :param context_root: GX File Data Context root. Default: `expectations/` of the repo.
    :param docs_dir: where GX Data Docs of this audit are built (replacing the previous
        ones). Templated. Default: `<SOCIALPULSE_HOME>/docs/gx`; ``""`` builds none.

    Failures and warnings (expectations of severity "warning") are written to the
    `audit` schema of the audited database (`audit.failures`, plus the offending rows
    in `audit.<layer>__<table>`). A failed audit then raises `AirflowFailException`:
    the same data fails the same way, so retrying would only delay the page. Warnings
    are logged and returned. Returns a small JSON summary (XCom).
    """

    template_fields: Sequence[str] = ("targets", "db_path", "context_root", "docs_dir")
    template_fields_renderers: ClassVar[dict[str, str]] = {"targets": "json"}
    ui_color = "#ffd7b5"

    def __init__(
        self,
        *,
        targets: Sequence[AuditTarget | Mapping[str, Any]] | Any,
        db_path: str | Path | None = None,
        context_root: str | Path | None = None,
        docs_dir: str | Path | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.targets = _templatable(targets)
        self.db_path = str(db_path) if isinstance(db_path, Path) else db_path
        self.context_root = str(context_root) if isinstance(context_root, Path) else context_root
        self.docs_dir = str(docs_dir) if isinstance(docs_dir, Path) else docs_dir

    def execute(self, context: Context) -> dict[str, Any]:
        targets = [AuditTarget.coerce(t) for t in self.targets or []]
        if not targets:
            # An audit of nothing must not open the publish gate by accident.
            raise AirflowFailException("GX audit: no targets given; nothing was audited")
        db_path = self._db_path()
        report = run_audit(self._context_root(), db_path, targets, docs_dir=self._docs_dir())
        for line in report.summary_lines():
            self.log.info(line)
        if report.docs_index:
            self.log.info("GX Data Docs of this audit: %s", report.docs_index)
        written = write_audit_schema(db_path, report, run_id=str(context.get("run_id") or "manual"))
        for table, n in sorted(written.items()):
            self.log.info("%d offending row(s) written to %s of %s", n, table, db_path)
        if report.warnings:
            self.log.warning(report.warning_message())
        if not report.success:
            raise AirflowFailException(report.failure_message())
        return report.to_summary()

    def _docs_dir(self) -> Path | None:
        if self.docs_dir == "":
            return None
        if self.docs_dir:
            return Path(self.docs_dir)
        from socialpulse.settings import get_settings

        return get_settings().docs_dir / "gx"

    def _db_path(self) -> Path:
        if self.db_path:
            return Path(self.db_path)
        from socialpulse.settings import get_settings

        return get_settings().build_db

    def _context_root(self) -> Path:
        if self.context_root:
            return Path(self.context_root)
        from socialpulse.settings import get_settings

        return get_settings().expectations_dir


def _templatable(targets: Any) -> Any:
    """Plain dicts, which Airflow renders field by field; XComArgs pass through untouched."""
    if isinstance(targets, list | tuple):
        return [t.to_dict() if isinstance(t, AuditTarget) else dict(t) for t in targets]
    return targets
