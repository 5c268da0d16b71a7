"""Shared fixtures: sandboxes on free ports and Graph clients bound to them.

Test modules import nothing from here (fixtures only), so the suite also runs
under pytest's importlib import mode.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import httpx
import pytest

from sandbox.server import SandboxHandle, serve_in_thread

SEED = 42
TODAY = date(2026, 11, 26)

GraphClientFactory = Callable[..., httpx.Client]


@pytest.fixture(scope="session")
def seed() -> int:
    return SEED


@pytest.fixture(scope="session")
def today() -> date:
    return TODAY


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SandboxHandle]:
    """A sandbox for tests that do not change faults, clock or budgets."""
    with serve_in_thread(seed=SEED, today=TODAY) as handle:
        yield handle


@pytest.fixture
def own_sandbox() -> Iterator[SandboxHandle]:
    """A private sandbox for tests that inject faults, move the clock or spend budgets."""
    with serve_in_thread(seed=SEED, today=TODAY) as handle:
        yield handle


@pytest.fixture(scope="session")
def graph_client() -> Iterator[GraphClientFactory]:
    """Factory: graph_client(handle, version="v25.0", token="sandbox-token") -> httpx.Client."""
    clients: list[httpx.Client] = []

    def make(handle: SandboxHandle, version: str = "v25.0", token: str | None = "sandbox-token") -> httpx.Client:
        params = {"access_token": token} if token else {}
        client = httpx.Client(base_url=f"{handle.platform_url('facebook')}/{version}", params=params, timeout=10)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def fb(shared_sandbox: SandboxHandle, graph_client: GraphClientFactory) -> httpx.Client:
    """Graph client (v25.0, valid token) on the shared sandbox."""
    return graph_client(shared_sandbox)
