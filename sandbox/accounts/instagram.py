"""The region's instagram accounts (empty until the instagram simulator is registered)."""

from __future__ import annotations

from sandbox.region import Account

ACCOUNTS: tuple[Account, ...] = ()
