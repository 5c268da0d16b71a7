"""The region's mastodon accounts (empty until the mastodon simulator is registered)."""

from __future__ import annotations

from sandbox.region import Account

ACCOUNTS: tuple[Account, ...] = ()
