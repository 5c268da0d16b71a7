"""Mutable state of one running sandbox: seed, simulated date, faults, statistics.

Kept apart from the HTTP server so that tests, the CLI and the platforms share
one object, and so that the world (immutable for a seed) stays free of it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sandbox.faults import FaultRegistry, FaultRule
from sandbox.world import World


class Stats:
    """Request counters for `/__sandbox__/stats` (platform requests only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_platform: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()
            self.by_fault: Counter[str] = Counter()

    def record(self, platform: str, status: int, fault_kinds: Iterable[str] = ()) -> None:
        with self._lock:
            self.total += 1
            self.by_platform[platform] += 1
            self.by_status[str(status)] += 1
            self.by_fault.update(fault_kinds)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total": self.total,
                "by_platform": dict(self.by_platform),
                "by_status": dict(self.by_status),
                "by_fault": dict(self.by_fault),
            }


class SandboxState:
    """Everything a running sandbox knows. `today` may move; the seed may not."""

    def __init__(self, seed: int, today: date | None = None, faults: Iterable[FaultRule] = ()):
        self.seed = seed
        self.world = World(seed)
        self._lock = threading.Lock()
        self._today = today or datetime.now(UTC).date()
        self.faults = FaultRegistry(faults, seed=seed, on_change=self._sync_world)
        self.stats = Stats()

    def _sync_world(self, faults: FaultRegistry) -> None:
        """`late_correction` rules switch the world's corrections on (and off when cleared)."""
        self.world.corrections = faults.late_corrections()

    @property
    def today(self) -> date:
        """The simulated date. "Now" is its 00:00 UTC: only earlier things exist."""
        with self._lock:
            return self._today

    @today.setter
    def today(self, value: date) -> None:
        with self._lock:
            self._today = value
