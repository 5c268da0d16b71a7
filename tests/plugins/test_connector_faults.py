"""The fault campaign against the connectors: real HTTP to a sandbox, real `extract_account`.

Transient faults (5xx at a rate, 429 storms, slow answers past the client timeout,
dropped connections, malformed pages, items repeated across pages) must leave the
landing files exactly as a fault-free run writes them. Permanent faults (revoked
token, a field renamed or removed) must fail with a message that says what to do,
never show the token, and leave the landing files untouched. A looping cursor stops.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sandbox import region
from sandbox.server import serve_in_thread
from sandbox.truth import truth
from socialpulse.config import load_accounts
from socialpulse.connectors.client import ApiError, AuthError, RetryPolicy, SchemaDriftError
from socialpulse.extract import extract_account
from socialpulse.settings import Settings
from tests.plugins._connector_helpers import ACCOUNTS

TODAY = date(2026, 11, 20)
DS = date(2026, 11, 19)
NOW = datetime(2026, 11, 20, 1, tzinfo=UTC)
TOKEN = "sandbox-token"
# Quick retries; a 0.5 s timeout so that a `slow` fault of 1 s is a timeout.
FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, pace_max_delay=0.01, timeout=0.5, max_attempts=8)
TRANSIENT = [
    "http_5xx:rate=0.3",
    "http_429:count=2",
    "slow:seconds=1:count=1",
    "drop_connection:count=2",
    "drop_connection:count=2:skip=2",
    "malformed_json:count=2",
    "malformed_json:count=2:skip=2",
    "duplicate_items",
]
# A field each connector cannot do without, per platform (schema drift).
REQUIRED = {
    "facebook": "created_time",
    "instagram": "timestamp",
    "linkedin": "createdAt",
    "x": "created_at",
    "bluesky": "createdAt",
    "mastodon": "created_at",
}
VOLATILE = ("_extracted_at", "_run_id", "fetched_at")


def extract(home: Path, platform: str, faults: list[str] = (), days: int = 3):
    """One extraction of the platform's account into `home`, against a fresh sandbox."""
    with serve_in_thread(seed=42, today=TODAY, faults=faults) as sandbox, pytest.MonkeyPatch.context() as env:
        env.setenv("SOCIALPULSE_HOME", str(home))
        env.setenv("SOCIALPULSE_SANDBOX_URL", sandbox.url)
        env.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        env.delenv("SOCIALPULSE_ACCOUNTS", raising=False)
        env.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        env.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        env.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", TOKEN)
        settings = Settings.from_env()
        config = load_accounts(settings.config_file)
        account = config.account(ACCOUNTS[platform])
        try:
            result = extract_account(settings, config, account, DS, days=days, run_id="faults", policy=FAST, now=NOW)
        finally:
            rules = sandbox.state.faults.rules()
        return result, {**sandbox.state.stats.snapshot(), "rules": rules}


def landing(home: Path) -> dict[str, pa.Table]:
    """Every landed table, without the columns that say when and by which run it was written."""
    tables = {}
    for path in sorted(home.glob("**/*.parquet")):
        table = pq.read_table(path)
        tables[str(path.relative_to(home))] = table.drop_columns([c for c in VOLATILE if c in table.column_names])
    return tables


def digests(home: Path) -> dict[str, str]:
    return {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def fault_free(tmp_path_factory) -> dict[str, dict[str, pa.Table]]:
    tables = {}
    for platform in ACCOUNTS:
        home = tmp_path_factory.mktemp(f"clean-{platform}")
        extract(home, platform)
        tables[platform] = landing(home)
        assert tables[platform], f"{platform}: the fault-free run landed nothing"
    return tables


@pytest.mark.parametrize("spec", TRANSIENT)
@pytest.mark.parametrize("platform", ACCOUNTS)
def test_transient_fault_lands_what_a_fault_free_run_lands(platform, spec, fault_free, tmp_path) -> None:
    kind = spec.split(":")[0]
    result, stats = extract(tmp_path, platform, [f"{platform}:{spec}"])
    if kind != "slow":  # a slow answer is counted when its sleep ends, after the client gave up on it
        assert stats["by_fault"].get(kind, 0) > 0, f"the sandbox never served {kind}"
    if kind in ("http_5xx", "drop_connection", "malformed_json", "slow"):
        assert result.retries > 0
    if kind == "http_429":
        # Each throttle is waited out as the platform says (LinkedIn's token introspection
        # counts it as a retry). A loaded machine may add retries (the timeout here is
        # 0.5 s), never remove a throttle: lower bounds only.
        if platform == "linkedin":
            assert result.throttled + result.retries >= 2
        else:
            assert result.throttled == 2
    tables = landing(tmp_path)
    assert tables.keys() == fault_free[platform].keys()
    for name, table in tables.items():
        assert table.equals(fault_free[platform][name]), f"{platform} under {spec}: {name} differs"


def _clean_then_faulted(tmp_path: Path, platform: str, spec: str, error: type[Exception]) -> str:
    extract(tmp_path, platform)
    before = digests(tmp_path)
    with pytest.raises(error) as caught:
        extract(tmp_path, platform, [f"{platform}:{spec}"])
    assert digests(tmp_path) == before, "a failed extraction changed the landing files"
    message = str(caught.value)
    assert TOKEN not in message
    assert f"{platform}/{ACCOUNTS[platform]}" in message
    return message


@pytest.mark.parametrize("platform", ACCOUNTS)
def test_revoked_token_says_what_to_renew_and_lands_nothing(platform, tmp_path, caplog) -> None:
    message = _clean_then_faulted(tmp_path, platform, "revoked_token", AuthError)
    assert f"socialpulse_{platform}_{ACCOUNTS[platform]}" in message  # the Airflow Connection to update
    assert f"SOCIALPULSE_{platform.upper()}_TOKEN" in message
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("how", ["remove_field:field={f}", "rename_field:field={f}:to={f}_v2"])
@pytest.mark.parametrize("platform", ACCOUNTS)
def test_schema_drift_names_the_field_and_lands_nothing(platform, how, tmp_path) -> None:
    field = REQUIRED[platform]
    message = _clean_then_faulted(tmp_path, platform, how.format(f=field), SchemaDriftError)
    assert f"'{field}'" in message or f".{field}'" in message
    assert "GET /" in message  # the endpoint


def test_a_looping_cursor_is_detected_and_stops(tmp_path) -> None:
    """Facebook's comments of the busiest post span two pages at this volume."""
    extract(tmp_path, "facebook")
    before = digests(tmp_path)
    with pytest.raises(ApiError, match=r"facebook/region_main: .*/comments: the paging cursor loops") as caught:
        extract(tmp_path, "facebook", ["facebook:cursor_loop:path=/comments"])
    assert not caught.value.transient
    assert digests(tmp_path) == before


@pytest.mark.parametrize("platform", ["x", "mastodon"])
def test_items_repeated_across_pages_of_a_long_window_are_landed_once(platform, tmp_path) -> None:
    """60 days span several pages of X's tweets (100 a page) and Mastodon's statuses (40)."""
    clean_home, faulted_home = tmp_path / "clean", tmp_path / "faulted"
    extract(clean_home, platform, days=60)
    _, stats = extract(faulted_home, platform, [f"{platform}:duplicate_items"], days=60)
    assert stats["rules"][0]["applied"] > 0, "no page repeated an item"
    clean, faulted = landing(clean_home), landing(faulted_home)
    assert faulted.keys() == clean.keys()
    for name, table in faulted.items():
        assert table.equals(clean[name]), f"{platform}: {name} differs"


def test_a_looping_pagination_token_stops_the_x_extraction(tmp_path) -> None:
    with pytest.raises(ApiError, match=r"x/x_region_main: users/\d+/tweets: the pagination token loops") as caught:
        extract(tmp_path, "x", ["x:cursor_loop:path=/tweets"], days=60)
    assert not caught.value.transient
    assert not list(tmp_path.rglob("*.parquet"))


def test_a_repeated_comment_is_landed_once(fault_free, tmp_path) -> None:
    _, stats = extract(tmp_path, "facebook", ["facebook:duplicate_items:path=/comments"])
    assert stats["rules"][0]["applied"] > 0, "no page repeated a comment"
    (name,) = [n for n in fault_free["facebook"] if "entity=comments/" in n]
    comments = landing(tmp_path)[name]
    ids = comments.column("comment_id").to_pylist()
    assert len(ids) == len(set(ids)) == fault_free["facebook"][name].num_rows


def test_late_corrections_land_as_the_truth_restates_them(tmp_path) -> None:
    """A 10-day window re-reads posts a week old: their restated lifetime views are landed."""
    spec = "facebook:late_correction:share=0.5:after_days=7:percent=7"
    extract(tmp_path, "facebook", [spec], days=10)
    window = {"start": DS, "end": DS, "platform": "facebook", "metrics_lookback_days": 10}
    page = f"{region.accounts('facebook')[0].account_id}_"  # region_main's posts

    def views(rows: list[dict]) -> dict[str, int]:
        return {r["post_id"]: r["views"] for r in rows if r["post_id"].startswith(page)}

    corrected = views(truth(42, TODAY, faults=[spec], **window)["post_metrics"])
    clean = views(truth(42, TODAY, **window)["post_metrics"])
    (name,) = [n for n in landing(tmp_path) if "entity=post_insights/" in n]
    landed = {
        row["post_id"]: row["value"]
        for row in landing(tmp_path)[name].to_pylist()
        if row["metric"] == "post_media_view" and row["breakdown"] == ""
    }
    assert landed == corrected
    assert any(corrected[p] != clean[p] for p in landed), "no landed post was corrected"
