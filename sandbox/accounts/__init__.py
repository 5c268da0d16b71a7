"""The region's accounts on each platform other than Facebook, one module per platform.

Each module defines `ACCOUNTS: tuple[Account, ...]` (see `sandbox.region.Account`);
an empty tuple means the region has no account there yet.
"""
