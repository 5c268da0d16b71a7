"""Rolling-window call budgets, the mechanism behind platform rate limits.

Platforms express their budgets differently (Meta: percentages in usage headers,
X: remaining calls and a reset time, LinkedIn: daily quotas) but all are "at most
N calls per key in any window of S seconds". This module counts; platforms
format. Rejected calls are not counted, so a throttled client recovers once the
window has moved on (real platforms sometimes extend the block; the sandbox
keeps the rule simple and predictable for tests).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    allowed: bool
    calls: int
    """Calls counted in the current window (including this one when allowed)."""
    budget: int
    window_seconds: float
    retry_after: float
    """Seconds until one more call would be allowed (0 when it already would)."""

    @property
    def percent(self) -> int:
        return self.calls * 100 // self.budget if self.budget else 100

    @property
    def retry_after_seconds(self) -> int:
        return math.ceil(self.retry_after) if self.retry_after > 0 else 0


class RollingWindow:
    """At most `budget` calls per key in any `window_seconds`; thread-safe."""

    def __init__(self, budget: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._calls: dict[str, deque[float]] = {}
        self._clock = clock
        self.configure(budget, window_seconds)

    def configure(self, budget: int, window_seconds: float) -> None:
        if budget < 1 or window_seconds <= 0:
            raise ValueError("budget must be >= 1 and window_seconds > 0")
        with self._lock:
            self.budget = int(budget)
            self.window_seconds = float(window_seconds)

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def _prune(self, key: str, now: float) -> deque[float]:
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.window_seconds:
            calls.popleft()
        return calls

    def _retry_after(self, calls: deque[float], now: float) -> float:
        if len(calls) < self.budget:
            return 0.0
        return calls[len(calls) - self.budget] + self.window_seconds - now

    def hit(self, key: str) -> Usage:
        """Count a call if the budget allows it; report the usage either way."""
        with self._lock:
            now = self._clock()
            calls = self._prune(key, now)
            allowed = len(calls) < self.budget
            if allowed:
                calls.append(now)
            return Usage(allowed, len(calls), self.budget, self.window_seconds, self._retry_after(calls, now))

    def peek(self, key: str) -> Usage:
        """Usage without counting a call."""
        with self._lock:
            now = self._clock()
            calls = self._prune(key, now)
            return Usage(
                len(calls) < self.budget, len(calls), self.budget, self.window_seconds, self._retry_after(calls, now)
            )
