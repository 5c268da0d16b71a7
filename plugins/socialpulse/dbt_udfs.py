"""dbt-duckdb plugin: registers socialpulse's Python text functions as DuckDB UDFs.

Declared in `dbt_project/profiles.yml` under the duckdb output:

    plugins:
      - module: socialpulse.dbt_udfs
        config:
          taxonomy: "{{ env_var('SOCIALPULSE_TOPIC_TAXONOMY', 'seeds/topic_taxonomy.csv') }}"

so that every dbt connection (the CLI, the integration tests, Cosmos under Airflow)
can call, from SQL:

* `sp_topics(text VARCHAR) -> VARCHAR[]`: `socialpulse.topics.Taxonomy.classify`
  with the taxonomy file above: the sorted topics of a text, `['autre']` when nothing
  matches or the text is NULL. The models call the very function the CLI
  `socialpulse topics classify` calls: one implementation, never a SQL copy.

A relative `taxonomy` path is resolved against the dbt project directory (Cosmos
runs dbt from a temporary copy of the project, which carries its seeds). The file
is read and validated when dbt opens its connection, so an invalid taxonomy stops
the run with the message naming its line and column, before any model is built.

Comment features of the moderation queue (question detection, an abuse lexicon)
register here too: one more entry in `Plugin.configure_connection`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError
from duckdb.sqltypes import VARCHAR

from socialpulse.topics import FALLBACK_TOPIC, Taxonomy, TaxonomyError, load_taxonomy

DEFAULT_TAXONOMY = "seeds/topic_taxonomy.csv"


def project_dir() -> Path:
    """The dbt project directory of the running invocation (the working directory outside dbt)."""
    try:
        from dbt.flags import get_flags

        configured = getattr(get_flags(), "PROJECT_DIR", None)
    except ImportError:  # pragma: no cover - dbt-duckdb implies dbt-core
        configured = None
    return Path(configured or os.getcwd()).resolve()


def resolve_taxonomy(path: str | os.PathLike[str] | None, base: Path | None = None) -> Path:
    """Absolute path of the taxonomy: as given if absolute, else under the dbt project directory."""
    candidate = Path(path or DEFAULT_TAXONOMY)
    return candidate if candidate.is_absolute() else (base or project_dir()) / candidate


def topics_udf(taxonomy: Taxonomy):
    """The Python function behind `sp_topics`: NULL-safe, never raises."""

    def sp_topics(text: str | None) -> list[str]:
        if text is None:
            return [FALLBACK_TOPIC]
        return taxonomy.classify(text)

    return sp_topics


def register_topics(conn: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, name: str = "sp_topics") -> None:
    """Create (or replace) the `sp_topics` function on a DuckDB connection."""
    try:
        conn.remove_function(name)
    except duckdb.Error:
        pass
    conn.create_function(
        name,
        topics_udf(taxonomy),
        [VARCHAR],
        duckdb.list_type(VARCHAR),
        null_handling="special",
        side_effects=False,
    )


class Plugin(BasePlugin):
    """socialpulse's UDFs on every connection dbt-duckdb opens."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        # Only remember the path here: `dbt parse` creates plugins without connecting,
        # and must not fail on a taxonomy being edited.
        self._taxonomy_path = resolve_taxonomy(plugin_config.get("taxonomy"))
        self._taxonomy: Taxonomy | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy(self._taxonomy_path)
        return self._taxonomy

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        try:
            taxonomy = self.taxonomy
        except TaxonomyError as exc:
            # a dbt error prints as one readable message, not a traceback
            raise DbtRuntimeError(f"topic taxonomy refused: {exc}") from None
        register_topics(conn, taxonomy)
