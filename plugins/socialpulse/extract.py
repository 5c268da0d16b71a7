"""Extraction of one account for one run: API -> landing files.

Called by the extract DAG's mapped task and by `socialpulse extract`. It reads the
token and the pseudonymisation key, talks to the platform, and writes the landing
files only once every entity has been fetched and validated: an API failure half way
leaves the previous landing files of that (ds, account) untouched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime

from socialpulse import credentials
from socialpulse.config import Account, AccountsConfig
from socialpulse.connectors import connector
from socialpulse.connectors.base import ExtractContext, Window
from socialpulse.connectors.client import RetryPolicy
from socialpulse.landing import write_extraction
from socialpulse.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    platform: str
    account_key: str
    ds: str
    window: str
    rows: dict[str, int]
    requests: int
    retries: int
    throttled: int
    token_expires_at: str | None = None

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def extract_account(
    settings: Settings,
    config: AccountsConfig,
    account: Account,
    ds: date,
    *,
    days: int | None = None,
    run_id: str,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> ExtractResult:
    module = connector(account.platform)
    pconf = config.platforms[account.platform]
    window = Window.ending(ds, days or pconf.lookback_days)
    ctx = ExtractContext(
        base_url=settings.base_url(account.platform),
        token=credentials.api_token(settings, account.platform, account.key),
        account=account,
        window=window,
        pseudonym_key=credentials.pseudonym_key(settings),
        now=now or datetime.now(UTC),
        api_version=pconf.api_version,
        options=dict(pconf.options),
        policy=policy,
    )
    extraction = module.extract(ctx)
    rows = write_extraction(
        settings.landing_dir,
        account.platform,
        account.key,
        ds,
        extraction.entities,
        run_id=run_id,
        extracted_at=ctx.now,
    )
    stats = extraction.stats
    result = ExtractResult(
        platform=account.platform,
        account_key=account.key,
        ds=ds.isoformat(),
        window=f"{window.start.isoformat()}..{window.end.isoformat()}",
        rows=rows,
        requests=stats.requests,
        retries=stats.retries,
        throttled=stats.throttled,
        token_expires_at=extraction.token_expires_at.isoformat() if extraction.token_expires_at else None,
    )
    log.info(
        "%s/%s ds=%s window=%s rows=%s requests=%d retries=%d throttled=%d",
        account.platform,
        account.key,
        ds,
        result.window,
        rows,
        stats.requests,
        stats.retries,
        stats.throttled,
    )
    return result
