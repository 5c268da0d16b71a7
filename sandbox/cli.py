"""Command line of the sandbox: `python -m sandbox serve|truth` (also `socialpulse sandbox ...`)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from typing import Annotated

import typer

from sandbox.faults import KINDS, FaultRule
from sandbox.platforms import PLATFORMS

app = typer.Typer(
    name="sandbox",
    help="Simulated social-media platforms of the fictional Région Val-d'Argent.",
    no_args_is_help=True,
    add_completion=False,
)


def _date(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a YYYY-MM-DD date") from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0: any free port).")] = 8765,
    seed: Annotated[int, typer.Option(help="World seed.")] = 42,
    today: Annotated[str | None, typer.Option(help="Simulated date YYYY-MM-DD (default: today, UTC).")] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="Inject a fault, repeatable: platform:kind[:count=N][:path=SUBSTR][:seconds=S][:skip=N]"
            "[:rate=R][:key=value...] (options per kind: sandbox/README.md). "
            f"Kinds: {', '.join(sorted(KINDS))}."
        ),
    ] = None,
    budget: Annotated[int | None, typer.Option(help="Calls per Page per window (Facebook).")] = None,
    window_seconds: Annotated[float | None, typer.Option(help="Rate-limit window in seconds.")] = None,
    quiet: Annotated[bool, typer.Option(help="Do not log requests to stderr.")] = False,
) -> None:
    """Serve the simulated APIs until interrupted."""
    from sandbox.server import make_server

    try:
        rules = [FaultRule.from_spec(spec) for spec in fault or []]
        server = make_server(host=host, port=port, seed=seed, today=_date(today), faults=rules, quiet=quiet)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None
    if budget is not None or window_seconds is not None:
        settings = {k: v for k, v in {"budget": budget, "window_seconds": window_seconds}.items() if v is not None}
        for platform in server.app.platforms.values():
            platform.configure_ratelimit(settings)
    bound_host, bound_port = server.server_address[:2]
    state = server.app.state
    print(f"sandbox listening on http://{bound_host}:{bound_port} (seed={state.seed}, today={state.today})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def truth(
    start: Annotated[str, typer.Option(help="First UTC day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option(help="Last UTC day (inclusive), YYYY-MM-DD.")],
    seed: Annotated[int, typer.Option(help="World seed.")] = 42,
    today: Annotated[str | None, typer.Option(help="Simulated date YYYY-MM-DD (default: today, UTC).")] = None,
    platform: Annotated[str | None, typer.Option(help=f"Only this platform ({', '.join(PLATFORMS)}).")] = None,
    metrics_lookback_days: Annotated[
        int, typer.Option(help="Also report metrics of posts created this many days before --start.")
    ] = 3,
    indent: Annotated[int | None, typer.Option(help="Pretty-print with this indent.")] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(help="The server's --fault specs: late_correction rules restate post metrics."),
    ] = None,
) -> None:
    """Print the ground truth for a date window as JSON."""
    from sandbox.truth import truth as compute_truth

    if platform is not None and platform not in PLATFORMS:
        raise typer.BadParameter(f"unknown platform {platform!r}")
    result = compute_truth(
        seed=seed,
        today=_date(today),
        start=_date(start),
        end=_date(end),
        platform=platform,
        metrics_lookback_days=metrics_lookback_days,
        faults=[FaultRule.from_spec(spec) for spec in fault or []],
    )
    json.dump(result, sys.stdout, ensure_ascii=False, indent=indent)
    sys.stdout.write("\n")


@app.command()
def export(
    platform: Annotated[str, typer.Option(help="platform whose analytics export to write")] = "facebook",
    out: Annotated[str, typer.Option(help="file to write")] = "export.csv",
    start: Annotated[str | None, typer.Option(help="first publication day YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="last publication day (default: today - 1)")] = None,
    today: Annotated[str | None, typer.Option(help="simulated date (default: real date)")] = None,
    seed: int = 42,
    dialect: Annotated[
        str, typer.Option(help="en (UTF-8 BOM, ','), fr (Windows-1252, ';', decimal commas) or xlsx (LinkedIn)")
    ] = "en",
) -> None:
    """Write the hand-downloaded analytics export of a platform, from the same world."""
    from datetime import timedelta
    from pathlib import Path

    from sandbox.exports import exporter

    try:
        write = exporter(platform)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0])) from None
    day = _date(today)
    last = _date(end) if end else day - timedelta(days=1)
    first = _date(start) if start else last - timedelta(days=27)
    Path(out).write_bytes(write(seed, day, first, last, dialect))
    typer.echo(f"wrote {out}")


@app.command("labelled-posts")
def labelled_posts(
    out: Annotated[str, typer.Option(help="CSV file to write (text,topics)")] = "labelled.csv",
    start: Annotated[str | None, typer.Option(help="first publication day YYYY-MM-DD (default: end - 89 days)")] = None,
    end: Annotated[str | None, typer.Option(help="last publication day (default: yesterday, UTC)")] = None,
    seed: Annotated[int, typer.Option(help="World seed.")] = 42,
    platform: Annotated[str | None, typer.Option(help=f"Only this platform ({', '.join(PLATFORMS)}).")] = None,
) -> None:
    """Write every post's text with its intended topic, for `socialpulse topics evaluate`.

    The topic is the one the world drew before writing the text (`Post.topic`): the
    ground truth a taxonomy is measured against. Posts without text (photo only) are
    left out: there is nothing to classify.
    """
    import csv
    from datetime import timedelta

    from sandbox import region
    from sandbox.world import World

    if platform is not None and platform not in PLATFORMS:
        raise typer.BadParameter(f"unknown platform {platform!r}")
    last = _date(end) if end else _date(None) - timedelta(days=1)
    first = _date(start) if start else last - timedelta(days=89)
    if first > last:
        raise typer.BadParameter(f"--start {first} is after --end {last}")
    world = World(seed)
    written = 0
    with open(out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "topics"])
        for account in region.accounts(platform):
            for post in world.posts_between(account, first, last):
                if post.message:
                    writer.writerow([post.message, post.topic])
                    written += 1
    typer.echo(f"wrote {out}: {written} posts from {first} to {last}")
