"""`socialpulse`: the verbs that are not Airflow's.

Airflow runs the pipeline (`make demo`, the DAGs); these commands run one step by
hand, for debugging and for analysts: extract one account, load, publish, query the
serving warehouse read-only, and drive the sandbox.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import Annotated

import typer

from sandbox.cli import app as sandbox_app
from socialpulse.comments_cli import app as comments_app
from socialpulse.settings import get_settings
from socialpulse.topics_cli import app as topics_app

app = typer.Typer(
    help="socialpulse: social-media statistics warehouse", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(sandbox_app, name="sandbox", help="The platform simulator (sandbox/).")
app.add_typer(topics_app, name="topics")
app.add_typer(comments_app, name="comments")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


@app.command()
def extract(
    platform: Annotated[str, typer.Option(help="platform to extract")] = "facebook",
    ds: Annotated[str, typer.Option(help="run date YYYY-MM-DD (default: yesterday UTC)")] = "",
    days: Annotated[int, typer.Option(help="days to read ending at ds; 0 = platform lookback")] = 0,
    account: Annotated[list[str] | None, typer.Option(help="account key (repeatable); default all")] = None,
    verbose: bool = False,
) -> None:
    """Extract accounts to landing/ (what the extract DAG's tasks do)."""
    from socialpulse import token_health
    from socialpulse.config import load_accounts
    from socialpulse.connectors.client import AuthError
    from socialpulse.credentials import MissingSecret
    from socialpulse.extract import extract_account

    _setup_logging(verbose)
    settings = get_settings()
    cfg = load_accounts(settings.config_file)
    day = date.fromisoformat(ds) if ds else date.fromordinal(datetime.now(UTC).date().toordinal() - 1)
    run_id = f"cli__{datetime.now(UTC):%Y%m%dT%H%M%S}"
    chosen = [cfg.account(k) for k in account] if account else cfg.for_platform(platform)

    def notify(alert: dict) -> None:  # token alerts of a run by hand go to the terminal
        typer.echo(alert["text"], err=True)

    for acc in chosen:
        try:
            result = extract_account(settings, cfg, acc, day, days=days or None, run_id=run_id)
        except (AuthError, MissingSecret) as exc:  # recorded like the extract DAG does
            token_health.after_auth_failure(settings, acc.platform, acc.key, exc, notify, now=datetime.now(UTC))
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        token_health.after_success(settings, result.as_dict(), notify)
        typer.echo(json.dumps(result.as_dict()))


@app.command()
def load(verbose: bool = False) -> None:
    """Load new landing files into the build database's raw schema (and the token health
    state into raw.token_health), as the build DAG's load task does."""
    from socialpulse.config import load_accounts
    from socialpulse.load import load_landing
    from socialpulse.token_health import load_health

    _setup_logging(verbose)
    settings = get_settings()
    report = load_landing(settings.build_db, settings.landing_dir, memory_limit=settings.duckdb_memory_limit)
    typer.echo(report.summary())
    load_health(settings.build_db, settings, load_accounts(settings.config_file))


@app.command()
def publish(ds: Annotated[str, typer.Option(help="as-of date recorded in marts._published")] = "") -> None:
    """Publish the build database's marts as the serving warehouse (no audit: use the DAG)."""
    from socialpulse.publish import publish as do_publish

    settings = get_settings()
    day = date.fromisoformat(ds) if ds else datetime.now(UTC).date()
    report = do_publish(
        settings.build_db,
        settings.serving_db,
        ds=day,
        run_id="cli",
        exports_dir=settings.exports_dir,
        memory_limit=settings.duckdb_memory_limit,
    )
    typer.echo(report.summary())


@app.command()
def summary() -> None:
    """Print what the serving warehouse holds (the end of `make demo`)."""
    from socialpulse.summary import render_summary

    settings = get_settings()
    if not settings.serving_db.exists():
        typer.echo(f"{settings.serving_db}: no serving warehouse yet; run `make demo`", err=True)
        raise typer.Exit(1)
    typer.echo(render_summary(settings.serving_db))


@app.command()
def sql(query: str, db: Annotated[str, typer.Option(help="serving (default) or build")] = "serving") -> None:
    """Run one read-only SQL query against the serving (or build) warehouse."""
    import duckdb

    settings = get_settings()
    path = settings.serving_db if db == "serving" else settings.build_db
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.sql(query).show(max_rows=200, max_width=200)
    finally:
        con.close()


@app.command("import")
def import_(
    platform: Annotated[str, typer.Option(help="facebook, instagram (Meta Business Suite), linkedin, x")],
    file: Annotated[list[str], typer.Option(help="export file (repeatable)")],
    as_of: Annotated[str, typer.Option(help="day the export was downloaded (default: yesterday UTC)")] = "",
    account: Annotated[
        str, typer.Option(help="account key of config/accounts.yml, for exports that do not name it (LinkedIn)")
    ] = "",
) -> None:
    """Import hand-downloaded analytics exports into landing/ (then `socialpulse load` or the build DAG)."""
    from pathlib import Path

    from socialpulse.config import load_accounts
    from socialpulse.imports.reader import ImportFileError
    from socialpulse.imports.run import import_file

    settings = get_settings()
    cfg = load_accounts(settings.config_file)
    day = date.fromisoformat(as_of) if as_of else date.fromordinal(datetime.now(UTC).date().toordinal() - 1)
    for name in file:
        try:
            result = import_file(settings, cfg, platform, Path(name), day, account or None)
        except ImportFileError as exc:
            typer.echo(f"refused: {exc}; nothing was written", err=True)
            raise typer.Exit(2) from exc
        typer.echo(json.dumps(result.__dict__))


@app.command()
def demo(
    days: Annotated[int, typer.Option(help="initial load: days of history to extract")] = 90,
    ds: Annotated[str, typer.Option(help="run date YYYY-MM-DD (default: yesterday UTC)")] = "",
    seed: Annotated[int, typer.Option(help="sandbox seed")] = 42,
) -> None:
    """Start the sandbox, run the DAGs through Airflow, publish, print a summary."""
    from socialpulse.config import load_accounts
    from socialpulse.runner import PipelineFailed, default_ds, run_pipeline, run_veille, sandbox_server
    from socialpulse.summary import render_summary

    settings = get_settings()
    day = date.fromisoformat(ds) if ds else default_ds()
    platforms = sorted({a.platform for a in load_accounts(settings.config_file).accounts})
    typer.echo(f"socialpulse demo: {days} days of {', '.join(platforms)} up to {day}, data in {settings.home}")
    try:
        with sandbox_server(day + timedelta(days=1), seed=seed) as url:
            typer.echo(f"sandbox on {url} (simulated today = {day + timedelta(days=1)})")
            run_pipeline(settings, day, days=days, platforms=platforms, sandbox_url=url, log=typer.echo)
            run_veille(settings, day, sandbox_url=url, log=typer.echo)
    except PipelineFailed as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo("")
    typer.echo(render_summary(settings.serving_db))


if __name__ == "__main__":
    app()
