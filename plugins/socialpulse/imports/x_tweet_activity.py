"""X "Tweet activity" export (analytics → Tweets → Export data → By Tweet), reference §7.1.

One row per post with its lifetime counters as of the export. Rows land as the X
API entities `posts` and `post_metrics`, marked `_source = csv`, so the same dbt
models read them; the export date (`--as-of`) is their snapshot date. Profile
snapshots and replies are not in the export, so none land.

Accounts. The export names no user id, only the handle inside "Tweet permalink"
(`https://twitter.com/<handle>/status/<id>` or x.com). Handles are mapped to config
keys by `platforms.x.usernames` in config/accounts.yml (`{<account key>: <handle>}`,
compared case-insensitively). A handle that is not there refuses the file. With
`account` (a config key), only that account's rows are accepted.

Columns. Required, and each cell filled: "Tweet id", "Tweet permalink", "time" (which
post, whose, when) and "impressions", "retweets", "replies", "likes" (the public
counters every X row has, and what views, reactions and comments are built from).
Optional: "Tweet text", "engagements", "user profile clicks", "url clicks" and their
"promoted ..." columns; a missing one lands NULL. Every other column (engagement rate,
hashtag clicks, detail expands, media views, ...) is ignored: no landing field holds it.

What each number becomes, and why:

- The unprefixed counters are read as organic and the "promoted ..." ones ("-" unless
  the post was promoted) as paid, as the analytics UI splits them; the public totals
  are organic + promoted, as X defines them (reference §4.4). organic_* and promoted_*
  land as such, promoted_* NULL for a post that was not promoted.
- The export carries the private counters (clicks, X's engagements) at any post age,
  so `has_private_metrics` is true. If the promoted columns were deleted from the file,
  the paid/organic split is unknown: the counters are taken as the totals (exact unless
  a post was promoted), organic_*, promoted_* and `is_promoted` stay NULL and
  `has_private_metrics` is false, so staging leaves views_paid/views_organic NULL.
- Quotes and bookmarks are not in the export: `quote_count` and `bookmark_count` land
  NULL, never 0 (staging's shares = reposts + quotes is then NULL too); so do `lang`,
  `conversation_id`, `media_type` and `link_url`, which the export does not give.
- "time" is UTC to the minute; the Tweet id (a snowflake) carries the creation instant
  to the millisecond, so `created_at` is taken from the id, to the second as the API
  gives it, once it agrees with "time". The id must also equal the permalink's: a
  spreadsheet that turned the id column into a rounded number is caught here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from socialpulse.config import Account, AccountsConfig
from socialpulse.imports.meta_business_suite import Parsed
from socialpulse.imports.reader import (
    ImportFileError,
    SeenRows,
    Table,
    datetime_format,
    find_column,
    parse_datetime,
    parse_int,
)

PLATFORM = "x"
SOURCE = "csv"

COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    # field: (accepted headers, required)
    "tweet_id": (("Tweet id",), True),
    "permalink": (("Tweet permalink",), True),
    "text": (("Tweet text",), False),
    "time": (("time",), True),
    "impressions": (("impressions",), True),
    "engagements": (("engagements",), False),
    "retweets": (("retweets",), True),
    "replies": (("replies",), True),
    "likes": (("likes",), True),
    "user_profile_clicks": (("user profile clicks",), False),
    "url_clicks": (("url clicks",), False),
    "promoted_impressions": (("promoted impressions",), False),
    "promoted_engagements": (("promoted engagements",), False),
    "promoted_retweets": (("promoted retweets",), False),
    "promoted_replies": (("promoted replies",), False),
    "promoted_likes": (("promoted likes",), False),
    "promoted_user_profile_clicks": (("promoted user profile clicks",), False),
    "promoted_url_clicks": (("promoted url clicks",), False),
}

HEADER = tuple(alias for aliases, required in COLUMNS.values() if required for alias in aliases)
"""What the header row names: how `read_table` finds it, and the separator, whatever the rows hold."""

# landing counter (see connectors/x.py SPLIT_METRICS): organic column, promoted column
SPLIT = {
    "impression_count": ("impressions", "promoted_impressions"),
    "like_count": ("likes", "promoted_likes"),
    "reply_count": ("replies", "promoted_replies"),
    "retweet_count": ("retweets", "promoted_retweets"),
    "url_link_clicks": ("url_clicks", "promoted_url_clicks"),
    "user_profile_clicks": ("user_profile_clicks", "promoted_user_profile_clicks"),
}

PERMALINK = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<handle>[A-Za-z0-9_]+)/status(?:es)?/(?P<id>[0-9]+)"
    r"/?(?:[?#].*)?$",
    re.IGNORECASE,
)
TWITTER_EPOCH_MS = 1_288_834_974_657
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

KEYS = {"posts": ("post_id",), "post_metrics": ("post_id",)}


def header(field: str) -> str:
    """The column name an error message shows for a field."""
    return COLUMNS[field][0][0]


def snowflake_time(post_id: int) -> datetime:
    """The creation instant an X id carries (ids are snowflakes since November 2010)."""
    return UNIX_EPOCH + timedelta(milliseconds=(post_id >> 22) + TWITTER_EPOCH_MS)


def accounts_by_handle(table: Table, config: AccountsConfig, account: str | None) -> dict[str, tuple[Account, str]]:
    """Lowercased handle -> (X account of the configuration, handle as configured), from `platforms.x.usernames`."""
    x_accounts = {a.key: a for a in config.for_platform(PLATFORM)}
    if account is not None and account not in x_accounts:
        raise ImportFileError(
            table.path,
            f"account {account!r} is not an X account of config/accounts.yml "
            f"(X accounts: {', '.join(sorted(x_accounts)) or 'none'})",
        )
    platform = config.platforms.get(PLATFORM)
    usernames = (platform.options.get("usernames") if platform else None) or {}
    if not isinstance(usernames, dict):
        raise ImportFileError(
            table.path, "platforms.x.usernames (config/accounts.yml) must map account keys to X handles"
        )
    by_handle = {}
    for key, raw in usernames.items():
        if key not in x_accounts:
            raise ImportFileError(
                table.path, f"platforms.x.usernames in config/accounts.yml names {key!r}, which is not an X account"
            )
        handle = str(raw).strip().lstrip("@")
        by_handle[handle.lower()] = (x_accounts[key], handle)
    if account is not None and account not in usernames:
        raise ImportFileError(
            table.path,
            f"no handle for account {account!r}: add it under platforms.x.usernames in config/accounts.yml",
        )
    return by_handle


def parse(table: Table, config: AccountsConfig, as_of: date, account: str | None = None) -> Parsed:
    cols = {f: find_column(table, aliases, required=req, label=aliases[0]) for f, (aliases, req) in COLUMNS.items()}
    fmt = datetime_format(table, cols["time"])
    by_handle = accounts_by_handle(table, config, account)
    fetched_at = datetime.combine(as_of, time.max, UTC).replace(microsecond=0)  # end of the export day
    split_known = cols["promoted_impressions"] is not None
    out: dict[str, dict[str, dict[str, dict]]] = {}
    seen = SeenRows(table)

    for line, row in table.rows:

        def count(field: str, line: int = line, row: dict = row) -> int | None:
            key = cols[field]
            if key is None:
                return None
            value = parse_int(table, line, header(field), row[key])
            if value is None and COLUMNS[field][1]:
                raise ImportFileError(table.path, "no value in a required column", row=line, column=header(field))
            return value

        owner, handle, post_id = identify(table, line, row, cols, by_handle, account)
        if seen.repeated(post_id, line, row):
            continue
        created = created_at(table, line, row[cols["time"]], fmt, post_id)
        if created.date() > as_of:
            raise ImportFileError(
                table.path,
                f"published {created:%Y-%m-%d}, after the export date {as_of}",
                row=line,
                column=header("time"),
            )
        entities = out.setdefault(owner.key, {"posts": {}, "post_metrics": {}})
        entities["posts"][post_id] = {
            "post_id": post_id,
            "user_id": owner.account_id,
            "conversation_id": None,
            "text": row.get(cols["text"] or "") or None,
            "lang": None,
            "created_at": created,
            "media_type": None,
            "link_url": None,
            "permalink_url": f"https://x.com/{handle}/status/{post_id}",
            "fetched_at": fetched_at,
        }
        promoted = {name: count(p) for name, (_, p) in SPLIT.items()}
        organic = {name: count(o) for name, (o, _) in SPLIT.items()}
        is_promoted = promoted["impression_count"] is not None if split_known else None
        totals = {name: total(organic[name], promoted[name], is_promoted) for name in SPLIT}
        entities["post_metrics"][post_id] = {
            "post_id": post_id,
            "user_id": owner.account_id,
            **totals,
            "quote_count": None,
            "bookmark_count": None,
            "non_public_impression_count": totals["impression_count"],
            "engagements": total(count("engagements"), count("promoted_engagements"), is_promoted),
            **{f"organic_{name}": organic[name] if split_known else None for name in SPLIT},
            **{f"promoted_{name}": promoted[name] if is_promoted else None for name in SPLIT},
            "has_private_metrics": split_known,
            "is_promoted": is_promoted,
            "fetched_at": fetched_at,
        }
    return Parsed(
        by_account={k: {e: list(rows.values()) for e, rows in ents.items()} for k, ents in out.items()},
        rows_read=len(table.rows),
    )


def identify(
    table: Table,
    line: int,
    row: dict[str, str],
    cols: dict[str, str | None],
    by_handle: dict[str, tuple[Account, str]],
    account: str | None,
) -> tuple[Account, str, str]:
    """(config account, handle as configured, post id) of a row, from its permalink."""
    permalink = row[cols["permalink"]]
    match = PERMALINK.match(permalink)
    if match is None:
        raise ImportFileError(
            table.path,
            f"{permalink!r} is not a post permalink (https://x.com/<handle>/status/<id>)",
            row=line,
            column=header("permalink"),
        )
    if match["handle"].lower() not in by_handle:
        known = ", ".join(f"@{h}" for _, h in sorted(by_handle.values(), key=lambda v: v[1].lower())) or "none"
        raise ImportFileError(
            table.path,
            f"@{match['handle']} is not an X account of config/accounts.yml (platforms.x.usernames knows: {known})",
            row=line,
            column=header("permalink"),
        )
    owner, handle = by_handle[match["handle"].lower()]
    if account is not None and owner.key != account:
        raise ImportFileError(
            table.path,
            f"@{handle} is account {owner.key!r}, but this import is for {account!r}",
            row=line,
            column=header("permalink"),
        )
    raw_id = row[cols["tweet_id"]]
    if not (raw_id.isascii() and raw_id.isdigit()):
        raise ImportFileError(
            table.path,
            f"{raw_id!r} is not a post id (if a spreadsheet shows it as a rounded number, import the column as text)",
            row=line,
            column=header("tweet_id"),
        )
    if len(raw_id) > 19 or int(raw_id) >= 2**63:  # an X id is a signed 64-bit snowflake
        raise ImportFileError(table.path, f"{raw_id!r} is too long for a post id", row=line, column=header("tweet_id"))
    if raw_id != match["id"]:
        raise ImportFileError(
            table.path,
            f"{raw_id} is not the id in the permalink ({match['id']}); was the id rounded by a spreadsheet?",
            row=line,
            column=header("tweet_id"),
        )
    return owner, handle, raw_id


def created_at(table: Table, line: int, value: str, fmt: str, post_id: str) -> datetime:
    """The post's creation time: from the id (to the second), checked against "time" (to the minute)."""
    stated = parse_datetime(table, line, "time", value, fmt, "UTC")  # X writes UTC, with or without +0000
    exact = snowflake_time(int(post_id)).replace(microsecond=0)
    if abs(exact - stated) >= timedelta(minutes=1):
        raise ImportFileError(
            table.path,
            f"{value!r} is not the time the Tweet id says ({exact:%Y-%m-%d %H:%M} UTC)",
            row=line,
            column=header("time"),
        )
    return exact


def total(organic: int | None, promoted: int | None, is_promoted: bool | None) -> int | None:
    """Organic + promoted; the organic count alone when the post was not promoted (or the split is unknown)."""
    if organic is None:
        return None
    if not is_promoted:
        return organic
    return None if promoted is None else organic + promoted


def describe(path: Path) -> str:
    return f"X tweet activity export {path.name}"
