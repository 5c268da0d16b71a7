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

and, for the comments of the moderation queue (`fct_comments`), the functions of
`socialpulse.comments`, the very ones `socialpulse comments classify` calls:

* `sp_is_question(text VARCHAR) -> BOOLEAN`: French question detection (false for NULL);
* `sp_is_abusive(text VARCHAR) -> BOOLEAN`: a term of the abuse lexicon is found;
* `sp_abuse_categories(text VARCHAR) -> VARCHAR[]`: the sorted categories found
  (`[]` for a clean text or NULL);
* `sp_main_topic(text VARCHAR) -> VARCHAR`: the best-scoring topic of the taxonomy
  above (ties: the topic named first), `autre` for none;
* `sp_comment_labels(text VARCHAR) -> STRUCT(is_question, topics, main_topic,
  is_abusive, abuse_categories)`: the four above and `sp_topics` in one pass over the
  text (`socialpulse.comments.labels`), what `int_comment_labels` calls;
* `sp_labelling_version() -> VARCHAR`: a digest of the taxonomy and lexicon files and
  of the code that applies them (`socialpulse.comments.labelling_version`): a label
  computed under another version is recomputed.

The lexicon is the plugin config `abuse_lexicon` when given (a relative path under
the dbt project, like `taxonomy`), else the project's seed `seeds/abuse_lexicon.csv`
(outside a dbt project, e.g. a bare DuckDB connection, the repository's seed). It is
read and validated when dbt connects, like the taxonomy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt_common.exceptions import DbtRuntimeError
from duckdb.sqltypes import BOOLEAN, VARCHAR

from socialpulse.comments import Lexicon, is_question, labelling_version, labels, load_lexicon, main_topic
from socialpulse.settings import REPO_ROOT
from socialpulse.topics import FALLBACK_TOPIC, Taxonomy, TaxonomyError, load_taxonomy

DEFAULT_TAXONOMY = "seeds/topic_taxonomy.csv"
DEFAULT_LEXICON = "seeds/abuse_lexicon.csv"


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


def resolve_lexicon(path: str | os.PathLike[str] | None, base: Path | None = None) -> Path:
    """Absolute path of the abuse lexicon: as configured (relative: under the dbt project), else the seed.

    Without a configured path, the project's `seeds/abuse_lexicon.csv`, or the
    repository's seed when the working directory is no dbt project.
    """
    if path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else (base or project_dir()) / candidate
    in_project = (base or project_dir()) / DEFAULT_LEXICON
    return in_project if in_project.exists() else REPO_ROOT / "dbt_project" / DEFAULT_LEXICON


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


def _replace(conn: duckdb.DuckDBPyConnection, name: str, function, argument, result) -> None:
    try:
        conn.remove_function(name)
    except duckdb.Error:
        pass
    conn.create_function(name, function, [argument], result, null_handling="special", side_effects=False)


def register_comment_functions(conn: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, lexicon: Lexicon) -> None:
    """Create (or replace) `sp_is_question`, `sp_is_abusive`, `sp_abuse_categories`, `sp_main_topic`."""

    def sp_is_question(text: str | None) -> bool:
        return is_question(text)

    def sp_is_abusive(text: str | None) -> bool:
        return lexicon.is_abusive(text)

    def sp_abuse_categories(text: str | None) -> list[str]:
        return lexicon.categories_of(text)

    def sp_main_topic(text: str | None) -> str:
        return main_topic(taxonomy, text)

    _replace(conn, "sp_is_question", sp_is_question, VARCHAR, BOOLEAN)
    _replace(conn, "sp_is_abusive", sp_is_abusive, VARCHAR, BOOLEAN)
    _replace(conn, "sp_abuse_categories", sp_abuse_categories, VARCHAR, duckdb.list_type(VARCHAR))
    _replace(conn, "sp_main_topic", sp_main_topic, VARCHAR, VARCHAR)

    def sp_comment_labels(text: str | None) -> dict:
        return labels(text, taxonomy, lexicon)

    _replace(conn, "sp_comment_labels", sp_comment_labels, VARCHAR, COMMENT_LABELS)


COMMENT_LABELS = duckdb.struct_type(
    {
        "is_question": BOOLEAN,
        "topics": duckdb.list_type(VARCHAR),
        "main_topic": VARCHAR,
        "is_abusive": BOOLEAN,
        "abuse_categories": duckdb.list_type(VARCHAR),
    }
)


def register_labelling_version(conn: duckdb.DuckDBPyConnection, version: str) -> None:
    """Create (or replace) `sp_labelling_version()`, a constant: the digest of the rules in effect."""
    try:
        conn.remove_function("sp_labelling_version")
    except duckdb.Error:
        pass
    conn.create_function("sp_labelling_version", lambda: version, [], VARCHAR, side_effects=False)


class Plugin(BasePlugin):
    """socialpulse's UDFs on every connection dbt-duckdb opens."""

    def initialize(self, plugin_config: dict[str, Any]) -> None:
        # Only remember the path here: `dbt parse` creates plugins without connecting,
        # and must not fail on a taxonomy being edited.
        self._taxonomy_path = resolve_taxonomy(plugin_config.get("taxonomy"))
        self._taxonomy: Taxonomy | None = None
        self._lexicon_path = resolve_lexicon(plugin_config.get("abuse_lexicon"))
        self._lexicon: Lexicon | None = None

    @property
    def taxonomy(self) -> Taxonomy:
        if self._taxonomy is None:
            self._taxonomy = load_taxonomy(self._taxonomy_path)
        return self._taxonomy

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            self._lexicon = load_lexicon(self._lexicon_path)
        return self._lexicon

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        try:
            taxonomy = self.taxonomy
        except TaxonomyError as exc:
            # a dbt error prints as one readable message, not a traceback
            raise DbtRuntimeError(f"topic taxonomy refused: {exc}") from None
        try:
            lexicon = self.lexicon
        except TaxonomyError as exc:  # LexiconError, or an unreadable file
            raise DbtRuntimeError(f"abuse lexicon refused: {exc}") from None
        register_topics(conn, taxonomy)
        register_comment_functions(conn, taxonomy, lexicon)
        register_labelling_version(conn, labelling_version(self._taxonomy_path, self._lexicon_path))
