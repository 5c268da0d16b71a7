"""Sandbox helpers the connector tests of every platform share."""

from __future__ import annotations

import httpx
import pyarrow.parquet as pq

# The main account of each platform in config/accounts.yml.
ACCOUNTS = {
    "facebook": "region_main",
    "instagram": "ig_region_main",
    "linkedin": "li_region_main",
    "x": "x_region_main",
    "bluesky": "bsky_region_main",
    "mastodon": "masto_region_main",
}


def landed(settings, entity: str, account: str = "*", *, platform: str) -> list[dict]:
    """Every landed row of one platform entity (API files), oldest partition first."""
    rows: list[dict] = []
    pattern = f"platform={platform}/entity={entity}/ds=*/account={account}.parquet"
    for path in sorted(settings.landing_dir.glob(pattern)):
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def inject_fault(url: str, *, platform: str, **rule) -> None:
    httpx.post(f"{url}/__sandbox__/faults", json={"rules": [{"platform": platform, **rule}]}).raise_for_status()


def sandbox_stats(url: str) -> dict:
    return httpx.get(f"{url}/__sandbox__/stats").json()
