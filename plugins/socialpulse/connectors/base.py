"""What every connector receives and returns: one account, one window, one run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from socialpulse.config import Account
from socialpulse.connectors.client import ClientStats, RetryPolicy


@dataclass(frozen=True)
class Window:
    """Days [start, end] inclusive that one extraction covers."""

    start: date
    end: date

    @classmethod
    def ending(cls, ds: date, days: int) -> Window:
        return cls(ds - timedelta(days=max(1, days) - 1), ds)

    def chunks(self, size: int) -> Iterator[Window]:
        """Consecutive sub-windows of at most `size` days (APIs cap their date ranges)."""
        cur = self.start
        while cur <= self.end:
            last = min(self.end, cur + timedelta(days=size - 1))
            yield Window(cur, last)
            cur = last + timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """Instants [start, end) in UTC: the slice of comment creation times one veille run lands."""

    start: datetime
    end: datetime

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end

    def keep(self, rows: list[dict], field: str) -> list[dict]:
        """The rows whose `field` (a creation time) falls in the period."""
        return [row for row in rows if row.get(field) in self]


@dataclass(frozen=True)
class ExtractContext:
    base_url: str
    token: str
    account: Account
    window: Window
    pseudonym_key: str
    now: datetime
    api_version: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    policy: RetryPolicy | None = None


@dataclass
class Extraction:
    """Rows per landing entity, the client's counters, and facts about the token."""

    entities: dict[str, list[dict]]
    stats: ClientStats
    token_expires_at: datetime | None = None
