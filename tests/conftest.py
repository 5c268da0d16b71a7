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


# The modules whose tests share the session's reference run (integration/conftest.py):
# one worker runs them all, so the run is made once.
REFERENCE_RUN_MODULES = (
    "tests/integration/test_crash_safety.py",
    "tests/integration/test_idempotency.py",
    "tests/integration/test_secrets_scan.py",
)


def pytest_xdist_make_scheduler(config, log):
    """`make test` runs two pytest-xdist workers. Each takes whole modules (their
    module-scoped fixtures, a sandbox extraction or a dbt build, are built once), and the
    REFERENCE_RUN_MODULES together; modules go in collection order (`--no-loadscope-reorder`)."""
    from xdist.scheduler import LoadScopeScheduling

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return "reference_run" if module in REFERENCE_RUN_MODULES else module

    return ModuleScheduling(config, log)


def pytest_collection_modifyitems(config, items):
    """The modules with integration tests first, so that the quick unit modules fill the
    end instead of a dbt build running alone; and REFERENCE_RUN_MODULES kept up to date."""
    module = {item: item.nodeid.split("::", 1)[0] for item in items}
    strays = {module[i] for i in items if "reference_run" in i.fixturenames} - set(REFERENCE_RUN_MODULES)
    if strays:
        raise pytest.UsageError(f"add {sorted(strays)} to REFERENCE_RUN_MODULES (tests/conftest.py)")
    slow = {module[item] for item in items if item.get_closest_marker("integration")}
    items.sort(key=lambda item: module[item] not in slow)
