"""The region's bluesky accounts (empty until the bluesky simulator is registered)."""

from __future__ import annotations

from sandbox.region import Account

ACCOUNTS: tuple[Account, ...] = ()
