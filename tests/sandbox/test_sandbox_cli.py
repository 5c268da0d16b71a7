"""The command line: `truth` prints JSON, `serve` announces its URL and serves."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
from typer.testing import CliRunner

from sandbox.cli import app


def test_truth_command_prints_json() -> None:
    result = CliRunner().invoke(
        app,
        ["truth", "--start", "2026-11-01", "--end", "2026-11-02", "--today", "2026-11-26", "--platform", "facebook"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["seed"] == 42 and len(data["account_daily"]) == 6


def test_truth_command_rejects_bad_dates() -> None:
    result = CliRunner().invoke(app, ["truth", "--start", "yesterday", "--end", "2026-11-02"])
    assert result.exit_code != 0


def test_serve_command_announces_and_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--seed",
        "7",
        "--today",
        "2026-11-26",
        "--quiet",
        "--fault",
        "facebook:http_500:count=1",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert line.startswith("sandbox listening on http://127.0.0.1:") and line.endswith("(seed=7, today=2026-11-26)")
        url = line.split()[3]
        assert httpx.get(f"{url}/__sandbox__/health").json()["seed"] == 7
        page = f"{url}/facebook/v25.0/112233445566001?access_token=sandbox-token"
        assert [httpx.get(page).status_code for _ in range(2)] == [500, 200]
    finally:
        process.terminate()
        process.wait(timeout=10)
