"""The region's linkedin accounts (empty until the linkedin simulator is registered)."""

from __future__ import annotations

from sandbox.region import Account

ACCOUNTS: tuple[Account, ...] = ()
