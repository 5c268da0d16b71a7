"""Shared fixtures: a private SOCIALPULSE_HOME per test and a real sandbox over HTTP."""

from __future__ import annotations

from datetime import date

import pytest

from socialpulse.settings import Settings

SANDBOX_TODAY = date(2026, 11, 20)
RUN_DS = date(2026, 11, 19)  # the extract run for the last full day before "today"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("SOCIALPULSE_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("SOCIALPULSE_BUILD_DB", raising=False)
    monkeypatch.delenv("SOCIALPULSE_SERVING_DB", raising=False)
    monkeypatch.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
    return tmp_path / "data"


@pytest.fixture
def settings(home) -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def sandbox_url():
    """One real sandbox HTTP server for the session (faults are reset per test)."""
    from sandbox.server import serve_in_thread

    handle = serve_in_thread(port=0, seed=42, today=SANDBOX_TODAY, quiet=True)
    yield handle.url
    handle.stop()


@pytest.fixture
def sandbox(sandbox_url, monkeypatch):
    import httpx

    httpx.delete(f"{sandbox_url}/__sandbox__/faults")
    monkeypatch.setenv("SOCIALPULSE_SANDBOX_URL", sandbox_url)
    monkeypatch.setenv("SOCIALPULSE_FACEBOOK_TOKEN", "sandbox-token")
    yield sandbox_url
    httpx.delete(f"{sandbox_url}/__sandbox__/faults")


def pytest_collection_modifyitems(config, items):
    """Groups for pytest-xdist's `--dist loadgroup` (`make test` runs two workers): a module's
    tests stay on one worker, so its module-scoped fixtures (a sandbox extraction, a dbt build)
    are built once, and every test of the session's reference run (integration/conftest.py)
    shares one worker and one run."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            group = "reference_run" if "reference_run" in item.fixturenames else item.module.__name__
            item.add_marker(pytest.mark.xdist_group(group))
    # The slow groups first (with `--no-loadscope-reorder`, workers take groups in this order),
    # so that the quick unit modules fill the end instead of a dbt build running alone.
    group = {item: item.get_closest_marker("xdist_group").args[0] for item in items}
    slow = {group[item] for item in items if item.get_closest_marker("integration")}
    items.sort(key=lambda item: group[item] not in slow)
