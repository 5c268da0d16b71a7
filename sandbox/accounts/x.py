"""The region's x accounts (empty until the x simulator is registered)."""

from __future__ import annotations

from sandbox.region import Account

ACCOUNTS: tuple[Account, ...] = ()
