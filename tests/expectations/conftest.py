"""Fixtures of the audit tests; the data builders live in gx_builders.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from gx_builders import build_good


@pytest.fixture
def good_build(tmp_path: Path) -> Path:
    """A build file with every raw entity (two partitions) and every mart, all valid."""
    return build_good(tmp_path / "build.duckdb")


@pytest.fixture(autouse=True)
def _private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's defaults (Data Docs folder) resolve under this test's own home."""
    monkeypatch.setenv("SOCIALPULSE_HOME", str(tmp_path / "home"))
