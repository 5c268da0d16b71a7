"""`socialpulse comments`: try the moderation rules on comments before the warehouse runs them.

Both commands call `socialpulse.comments`, the very code the build runs inside DuckDB
for `fct_comments` (`sp_is_question`, `sp_is_abusive`, `sp_abuse_categories`,
`sp_main_topic` and `sp_topics`, registered by `socialpulse.dbt_udfs`), on the seeds
`dbt_project/seeds/abuse_lexicon.csv` and `topic_taxonomy.csv` unless `--lexicon` or
`--taxonomy` names an edited copy.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from socialpulse.comments import (
    Lexicon,
    default_lexicon,
    default_taxonomy,
    load_lexicon,
    read_labelled_comments,
)
from socialpulse.comments import classify as classify_comment
from socialpulse.comments import evaluate as run_evaluate
from socialpulse.topics import Taxonomy, TaxonomyError, join_topics, load_taxonomy, read_csv_table

TARGET_PRECISION = 0.90
TARGET_RECALL = 0.85
OUTPUT_COLUMNS = ("is_question", "topics", "main_topic", "is_abusive", "abuse_categories")
EXPLAIN_COLUMNS = ("question_rule", "abuse_terms")

app = typer.Typer(
    help="Comments: question, topics and abuse flags with the warehouse's own rules, and their precision/recall.",
    no_args_is_help=True,
    add_completion=False,
)

TaxonomyOption = Annotated[
    Path | None,
    typer.Option(help="taxonomy CSV to try (default: the seed dbt_project/seeds/topic_taxonomy.csv)"),
]
LexiconOption = Annotated[
    Path | None,
    typer.Option(help="abuse lexicon CSV to try (default: the seed dbt_project/seeds/abuse_lexicon.csv)"),
]


def _rules(taxonomy: Path | None, lexicon: Path | None) -> tuple[Taxonomy, Lexicon]:
    return (
        load_taxonomy(taxonomy) if taxonomy else default_taxonomy(),
        load_lexicon(lexicon) if lexicon else default_lexicon(),
    )


def _refuse(exc: TaxonomyError) -> typer.Exit:
    typer.echo(f"refused: {exc}", err=True)
    return typer.Exit(2)


def _flag(value: bool) -> str:
    return "true" if value else "false"


@app.command()
def classify(
    input_file: Annotated[Path, typer.Option("--input", help="CSV with a `text` column (UTF-8)")],
    output: Annotated[Path | None, typer.Option(help="CSV to write (default: standard output)")] = None,
    taxonomy: TaxonomyOption = None,
    lexicon: LexiconOption = None,
    explain: Annotated[
        bool, typer.Option(help="add `question_rule` and `abuse_terms`: why each flag was raised")
    ] = False,
) -> None:
    """Write each text's is_question, topics (`|`-separated), main_topic, is_abusive, abuse_categories."""
    try:
        tax, lex = _rules(taxonomy, lexicon)
        header, rows = read_csv_table(input_file, ("text",))
    except TaxonomyError as exc:
        raise _refuse(exc) from exc
    extra = list(OUTPUT_COLUMNS) + (list(EXPLAIN_COLUMNS) if explain else [])
    clash = [c for c in extra if c in header]
    if clash:
        message = "the input already has this column (a labelled file? `comments evaluate` compares them)"
        raise _refuse(TaxonomyError(input_file, message, line=1, column=clash[0]))
    handle = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        writer = csv.writer(handle)
        writer.writerow(header + extra)
        for _, row in rows:
            f = classify_comment(row["text"], tax, lex)
            values = [row[c] for c in header] + [
                _flag(f.is_question),
                join_topics(f.topics),
                f.main_topic,
                _flag(f.is_abusive),
                join_topics(f.abuse_categories),
            ]
            if explain:
                values += [f.question_reason or "", join_topics(f.abuse_terms)]
            writer.writerow(values)
    finally:
        if output:
            handle.close()
    if output:
        typer.echo(f"wrote {output}: {len(rows)} comments classified with {tax.source} and {lex.source}", err=True)


@app.command()
def evaluate(
    input_file: Annotated[
        Path,
        typer.Option(
            "--input", help="CSV with `text`, expected `is_question`, `is_abusive` (true/false), optional `topics`"
        ),
    ],
    taxonomy: TaxonomyOption = None,
    lexicon: LexiconOption = None,
    min_precision: Annotated[float, typer.Option(help="target precision of each flag")] = TARGET_PRECISION,
    min_recall: Annotated[float, typer.Option(help="target recall of each flag")] = TARGET_RECALL,
    misses: Annotated[bool, typer.Option(help="list the texts each flag got wrong")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the scores as JSON")] = False,
) -> None:
    """Print precision and recall of the question and abuse flags (and of topics); exit 1 below a target."""
    try:
        tax, lex = _rules(taxonomy, lexicon)
        labelled = read_labelled_comments(input_file, tax)
    except TaxonomyError as exc:
        raise _refuse(exc) from exc
    result = run_evaluate(labelled, tax, lex)
    failures = result.failures(min_precision, min_recall)
    if as_json:
        payload = {**result.as_dict(), "taxonomy": tax.source, "lexicon": lex.source, "failures": failures}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        typer.echo(f"lexicon {lex.source}, taxonomy {tax.source}, labelled comments {input_file}")
        typer.echo(result.table())
        if result.topics is not None:
            typer.echo("")
            typer.echo(result.topics.table())
        if misses:
            typer.echo("")
            for miss in result.misses:
                expected = "yes" if miss.expected else "no"
                why = f" [{miss.reason}]" if miss.reason else ""
                typer.echo(f"  line {miss.line}: {miss.flag} expected {expected}{why}: {miss.text}")
        if failures:
            typer.echo(f"below target (precision >= {min_precision:.2f}, recall >= {min_recall:.2f}):")
            typer.echo("\n".join(f"  {f}" for f in failures))
        else:
            typer.echo(f"both flags meet precision >= {min_precision:.2f} and recall >= {min_recall:.2f}")
    if failures:
        raise typer.Exit(1)
