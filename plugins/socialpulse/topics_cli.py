"""`socialpulse topics`: try a taxonomy edit on texts before the warehouse runs it.

Both commands call `socialpulse.topics`, the very code the build runs inside DuckDB
(`sp_topics`, registered by `socialpulse.dbt_udfs`), on the seed
`dbt_project/seeds/topic_taxonomy.csv` unless `--taxonomy` names an edited copy.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from socialpulse.settings import get_settings
from socialpulse.topics import Taxonomy, TaxonomyError, join_topics, load_taxonomy, read_csv_table, read_labelled
from socialpulse.topics import evaluate as run_evaluate

TARGET_PRECISION = 0.90
TARGET_RECALL = 0.85

app = typer.Typer(
    help="Topic taxonomy: classify texts and measure precision/recall, with the warehouse's own rules.",
    no_args_is_help=True,
    add_completion=False,
)

TaxonomyOption = Annotated[
    Path | None,
    typer.Option(help="taxonomy CSV to try (default: the seed dbt_project/seeds/topic_taxonomy.csv)"),
]


def _taxonomy(path: Path | None) -> Taxonomy:
    return load_taxonomy(path or get_settings().dbt_project_dir / "seeds" / "topic_taxonomy.csv")


def _refuse(exc: TaxonomyError) -> typer.Exit:
    typer.echo(f"refused: {exc}", err=True)
    return typer.Exit(2)


@app.command()
def classify(
    input_file: Annotated[Path, typer.Option("--input", help="CSV with a `text` column (UTF-8)")],
    output: Annotated[Path | None, typer.Option(help="CSV to write (default: standard output)")] = None,
    taxonomy: TaxonomyOption = None,
    explain: Annotated[bool, typer.Option(help="add a `matches` column: score and keywords found per topic")] = False,
) -> None:
    """Write each text's topics (`|`-separated) after the input's columns."""
    try:
        tax = _taxonomy(taxonomy)
        header, rows = read_csv_table(input_file, ("text",))
    except TaxonomyError as exc:
        raise _refuse(exc) from exc
    extra = ["topics", "matches"] if explain else ["topics"]
    clash = [c for c in extra if c in header]
    if clash:
        message = "the input already has this column (a labelled file? `topics evaluate` compares them)"
        raise _refuse(TaxonomyError(input_file, message, line=1, column=clash[0]))
    handle = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(header + extra)
        for _, row in rows:
            result = tax.explain(row["text"])
            values = [row[c] for c in header] + [join_topics(result.topics)]
            writer.writerow(values + [result.explain()] if explain else values)
    finally:
        if output:
            handle.close()
    if output:
        typer.echo(f"wrote {output}: {len(rows)} texts classified with {tax.source}", err=True)


@app.command()
def evaluate(
    input_file: Annotated[Path, typer.Option("--input", help="CSV with `text` and expected `topics` (`|`-separated)")],
    taxonomy: TaxonomyOption = None,
    min_precision: Annotated[float, typer.Option(help="target precision on every topic")] = TARGET_PRECISION,
    min_recall: Annotated[float, typer.Option(help="target recall on every topic")] = TARGET_RECALL,
    as_json: Annotated[bool, typer.Option("--json", help="print the scores as JSON")] = False,
) -> None:
    """Print precision and recall per topic; exit 1 if a topic with expected texts misses a target."""
    try:
        tax = _taxonomy(taxonomy)
        labelled = read_labelled(input_file, tax)
    except TaxonomyError as exc:
        raise _refuse(exc) from exc
    result = run_evaluate(tax, labelled)
    failures = result.failures(min_precision, min_recall)
    if as_json:
        typer.echo(json.dumps({**result.as_dict(), "taxonomy": tax.source, "failures": failures}, indent=2))
    else:
        typer.echo(f"taxonomy {tax.source}, labelled texts {input_file}")
        typer.echo(result.table())
        if failures:
            typer.echo(f"below target (precision >= {min_precision:.2f}, recall >= {min_recall:.2f}):")
            typer.echo("\n".join(f"  {f}" for f in failures))
        else:
            typer.echo(f"every topic meets precision >= {min_precision:.2f} and recall >= {min_recall:.2f}")
    if failures:
        raise typer.Exit(1)
