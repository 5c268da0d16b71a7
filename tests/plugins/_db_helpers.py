"""Small DuckDB helpers shared by the plugin tests."""

from __future__ import annotations

import duckdb


def run_sql(path, statements) -> None:
    """Run `statements` in order on the DuckDB file `path`, then close it."""
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
