"""Platform connectors: one module per platform, all on the shared HTTP client.

Each module `socialpulse.connectors.<platform>` provides:

- `PLATFORM`: its name (as in config/accounts.yml and the landing paths);
- `LANDING_SCHEMAS`: entity -> list of Arrow fields it lands (lineage fields are added
  by `socialpulse.landing_schemas`);
- `extract(ctx: ExtractContext) -> Extraction`: everything for one account and one
  window, as rows per entity, read through the platform's real API;
- `COMMENT_ENTITY` and `extract_comments(ctx, period) -> Extraction`: the hourly veille's
  incremental read: only the comments and replies created in `period` (UTC instants)
  on the account's posts of `ctx.window`, landed as `COMMENT_ENTITY` with the same
  schema (and the same pseudonymisation) as the daily run.

Registering a platform is one line in `CONNECTORS`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

CONNECTORS: dict[str, str] = {
    "facebook": "socialpulse.connectors.facebook",
    "x": "socialpulse.connectors.x",
    "instagram": "socialpulse.connectors.instagram",
    "linkedin": "socialpulse.connectors.linkedin",
    "bluesky": "socialpulse.connectors.bluesky",
    "mastodon": "socialpulse.connectors.mastodon",
}


def connector(platform: str) -> ModuleType:
    try:
        return importlib.import_module(CONNECTORS[platform])
    except KeyError:
        raise NotImplementedError(
            f"{platform}: no connector for this platform (known: {', '.join(sorted(CONNECTORS))})"
        ) from None
