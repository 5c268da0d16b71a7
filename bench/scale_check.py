"""Is bench/scale.py's landing what extraction writes? Run the real extraction and compare, file by file.

    .venv/bin/python bench/scale_check.py --accounts 24 --days 3 --end 2026-11-25 --workdir /tmp/scale_check

generates `--accounts` accounts over `--days` days with bench/scale.py into `<workdir>/scale`,
then extracts the same accounts and days with the project's own code path
(`socialpulse.extract.extract_account`: connectors, HTTP client, `write_extraction`) into
`<workdir>/extract`, against the sandbox served in process (`sandbox.server.SandboxApp`
behind an `httpx.MockTransport`: no socket) whose world is the generator's and whose
region is the generated accounts. Each run uses the generator's run id, extraction time
and pseudonymisation key, so the two trees must be equal: the same files, each with the
same Arrow schema and the same rows (in any order). Prints one line per difference and
exits 1 if there is any.

Limits: every platform must have at most 100 accounts (the sandbox decodes a slot of 0..99
from its ids; beyond, bench/scale.py widens the ids itself), and `--end` must be a day the
configured LinkedIn API version is live (202609: 2026-09-01 to 2027-09-14). It is as slow as
extraction (about 10 ms per account and day): keep it tiny.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scale  # noqa: E402  (bench/scale.py, beside this file)

from sandbox import region  # noqa: E402
from sandbox.server import SandboxApp  # noqa: E402
from sandbox.state import SandboxState  # noqa: E402


def _in_process_transport(app: SandboxApp) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        target = request.url.raw_path.decode("ascii")
        answer = app.handle(request.method, target, request.headers, request.content, "sandbox")
        return httpx.Response(answer.status, content=answer.body, headers=answer.headers)

    return httpx.MockTransport(handle)


def _route_clients_to(transport: httpx.MockTransport) -> None:
    """Every connector's httpx client talks to `transport` (LinkedIn's Rest.li transport keeps wrapping it)."""
    import socialpulse.connectors.client as client_module
    from socialpulse.connectors.linkedin import RestliTransport

    class InProcessClient(httpx.Client):
        def __init__(self, *args, **kwargs):
            inner = kwargs.get("transport")
            if isinstance(inner, RestliTransport):
                inner.inner = transport
            else:
                kwargs["transport"] = transport
            super().__init__(*args, **kwargs)

    client_module.httpx = type(sys)("httpx_in_process")
    client_module.httpx.__dict__.update(httpx.__dict__)
    client_module.httpx.Client = InProcessClient


def extract_like_production(
    home: Path, made: list[scale.ScaleAccount], end: date, days: int, seed: int, initial_days: int | None = None
) -> int:
    """The same runs as bench/scale.py, through `socialpulse.extract.extract_account`; returns the runs made."""
    os.environ.update(
        {
            "SOCIALPULSE_HOME": str(home),
            "SOCIALPULSE_ACCOUNTS": str(home / "accounts.yml"),
            "SOCIALPULSE_SANDBOX_URL": "http://sandbox",
            "SOCIALPULSE_PSEUDONYM_KEY": scale.DEFAULT_PSEUDONYM_KEY,
            **{f"SOCIALPULSE_{p.upper()}_TOKEN": "sandbox-token" for p in scale.PLATFORMS},
        }
    )
    for p in scale.PLATFORMS:
        os.environ.pop(f"SOCIALPULSE_{p.upper()}_BASE_URL", None)
    from socialpulse.config import load_accounts
    from socialpulse.connectors.client import RetryPolicy
    from socialpulse.extract import extract_account
    from socialpulse.settings import Settings

    scale.write_accounts_yml(home / "accounts.yml", made, seed)
    region.ACCOUNTS = tuple(a.account for a in made)  # the sandbox serves the generated accounts
    state = SandboxState(seed)
    state.world = scale.ScaleWorld(seed, {a.account.key: a.template for a in made})
    app = SandboxApp(state)
    for platform in app.platforms.values():
        platform.configure_ratelimit({"budget": 10**9, "app_budget": 10**9})
    _route_clients_to(_in_process_transport(app))
    settings = Settings.from_env()
    config = load_accounts(settings.config_file)
    policy = RetryPolicy(max_attempts=1, pace_max_delay=0.0)
    looks = scale.lookbacks()
    runs = 0
    for account in made:
        for ds, window in scale.plan_runs(end, days, looks[account.account.platform], initial_days):
            state.today = ds + scale.DAY
            extract_account(
                settings,
                config,
                config.account(account.account.key),
                ds,
                days=window,
                run_id=scale.run_id_for(ds),
                policy=policy,
                now=scale.extracted_at(account, ds),
            )
            runs += 1
    return runs


def _rows(path: Path) -> list[tuple]:
    return sorted((tuple(r.values()) for r in pq.read_table(path).to_pylist()), key=repr)


def compare(generated: Path, extracted: Path) -> list[str]:
    """Differences between two landing trees: missing or extra files, schemas, rows."""
    problems: list[str] = []
    a = {p.relative_to(generated).as_posix() for p in generated.rglob("*.parquet")}
    b = {p.relative_to(extracted).as_posix() for p in extracted.rglob("*.parquet")}
    problems += [f"only generated: {rel}" for rel in sorted(a - b)]
    problems += [f"only extracted: {rel}" for rel in sorted(b - a)]
    for rel in sorted(a & b):
        sa, sb = pq.read_schema(generated / rel), pq.read_schema(extracted / rel)
        if not sa.equals(sb, check_metadata=True):
            problems.append(f"schema differs: {rel}:\n  generated {sa}\n  extracted {sb}")
            continue
        ra, rb = _rows(generated / rel), _rows(extracted / rel)
        if ra != rb:
            only_a = [r for r in ra if r not in rb][:3]
            only_b = [r for r in rb if r not in ra][:3]
            problems.append(
                f"rows differ: {rel}: {len(ra)} generated, {len(rb)} extracted;\n"
                f"  generated only {only_a}\n  extracted only {only_b}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=24)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--end", type=date.fromisoformat, default=scale.DEFAULT_END)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--initial-days", type=int, default=None, help="the first run is an initial load of N days")
    ap.add_argument("--workdir", type=Path, required=True, help="an empty folder: scale/ and extract/ go there")
    args = ap.parse_args(argv)
    made = scale.clone_accounts(args.accounts, args.seed)
    crowded = [p for p, n in scale.platform_counts(args.accounts).items() if n > scale.BANK]
    if crowded:
        ap.error(f"more than {scale.BANK} accounts on {crowded}: the sandbox cannot serve them")
    t0 = time.perf_counter()
    home = args.workdir / "scale"
    result = scale.generate(
        args.accounts, args.days, args.end, home, seed=args.seed, workers=1, initial_days=args.initial_days
    )
    t1 = time.perf_counter()
    runs = extract_like_production(args.workdir / "extract", made, args.end, args.days, args.seed, args.initial_days)
    t2 = time.perf_counter()
    problems = compare(args.workdir / "scale" / "landing", args.workdir / "extract" / "landing")
    for line in problems:
        print(line)
    print(
        f"{result['files']} generated files ({result['rows']} rows) in {t1 - t0:.1f} s; {runs} extractions in "
        f"{t2 - t1:.1f} s; {'EQUAL' if not problems else f'{len(problems)} DIFFERENCES'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
