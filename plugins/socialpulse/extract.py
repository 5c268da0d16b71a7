"""Extraction of one account for one run: API -> landing files.

Called by the extract DAG's mapped task and by `socialpulse extract`. It reads the
token and the pseudonymisation key, talks to the platform, and writes the landing
files only once every entity has been fetched and validated: an API failure half way
leaves the previous landing files of that (ds, account) untouched.

`extract_account_comments` is the hourly veille's variant: only the comments created
in a period (the run's data interval widened by an overlap), landed as an hourly
partition `ds=<day>/hour=<HH>/` of the platform's comment entity, same schema.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from socialpulse import credentials
from socialpulse.config import Account, AccountsConfig
from socialpulse.connectors import connector
from socialpulse.connectors.base import ExtractContext, Period, Window
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
    token_expires_at: str | None = None  # None: the API does not tell
    hour: int | None = None  # the veille's hourly partitions
    extracted_at: str | None = None  # when the API was called (UTC): the token's last successful call
    run_id: str | None = None

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
        extracted_at=ctx.now.isoformat(),
        run_id=run_id,
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


def utc(moment: datetime) -> datetime:
    """A plain aware `datetime` in UTC (Airflow hands pendulum DateTimes, whose arithmetic
    with a stdlib tzinfo drops the zone)."""
    m = moment.astimezone(UTC)
    return datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, m.microsecond, tzinfo=UTC)


DEFAULT_VEILLE_POST_DAYS = 7
DEFAULT_VEILLE_OVERLAP_HOURS = 2.0


def veille_period(config: AccountsConfig, platform: str, start: datetime, end: datetime) -> tuple[Period, Window]:
    """What one veille run of [start, end) reads on a platform: comment times and post days.

    Comments created from `start - overlap` (platform option `veille_overlap_hours`, 2 h
    by default: comments the platform indexes late are caught by the next run) to `end`,
    on the posts of the last `veille_post_days` (7 by default) days up to `end`. Both
    bounds come from the data interval, never from the clock: a rerun reads the same.
    """
    options = config.platforms[platform].options
    overlap = timedelta(hours=float(options.get("veille_overlap_hours", DEFAULT_VEILLE_OVERLAP_HOURS)))
    post_days = int(options.get("veille_post_days", DEFAULT_VEILLE_POST_DAYS))
    start, end = utc(start), utc(end)
    last_day = (end - timedelta(microseconds=1)).date()
    return Period(start - overlap, end), Window.ending(last_day, post_days)


def extract_account_comments(
    settings: Settings,
    config: AccountsConfig,
    account: Account,
    start: datetime,
    end: datetime,
    *,
    run_id: str,
    policy: RetryPolicy | None = None,
    now: datetime | None = None,
) -> ExtractResult:
    """The veille for one account and one data interval [start, end): new comments -> landing.

    Lands one file `ds=<start's UTC day>/hour=<start's UTC hour>/account=<key>.parquet`,
    which a rerun of the same interval replaces.
    """
    module = connector(account.platform)
    pconf = config.platforms[account.platform]
    period, window = veille_period(config, account.platform, start, end)
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
    extraction = module.extract_comments(ctx, period)
    slot = utc(start)
    rows = write_extraction(
        settings.landing_dir,
        account.platform,
        account.key,
        slot.date(),
        extraction.entities,
        run_id=run_id,
        extracted_at=ctx.now,
        hour=slot.hour,
    )
    stats = extraction.stats
    result = ExtractResult(
        platform=account.platform,
        account_key=account.key,
        ds=slot.date().isoformat(),
        window=f"{period.start.isoformat()}..{period.end.isoformat()}",
        rows=rows,
        requests=stats.requests,
        retries=stats.retries,
        throttled=stats.throttled,
        token_expires_at=extraction.token_expires_at.isoformat() if extraction.token_expires_at else None,
        extracted_at=ctx.now.isoformat(),
        run_id=run_id,
        hour=slot.hour,
    )
    log.info(
        "%s/%s veille %s: comments created in %s on posts of %s..%s: rows=%s requests=%d",
        account.platform,
        account.key,
        slot.strftime("%Y-%m-%dT%H"),
        result.window,
        window.start,
        window.end,
        rows,
        stats.requests,
    )
    return result
