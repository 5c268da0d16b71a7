"""X "Tweet activity" export (analytics → Tweets → Export data → By Tweet), from the same world as the API.

The layout is the classic `tweet_activity_metrics_<handle>_<start>_<end>_<lang>.csv`
(reference §7.1): 40 columns, every value quoted, the first counters written as floats
("3423.0"), `engagement rate` as a fraction, `time` as `YYYY-MM-DD HH:MM +0000` (UTC),
promoted columns "-" unless the post was promoted. X writes one file per account; this
writes every region X account in one file unless `account` (key or handle) picks one.

Numbers are those of the X API simulator (`sandbox.platforms.x.x_post_metrics`) as of
the end of `today - 1`: the unprefixed counters are the organic part, the "promoted"
ones the paid part, so organic + promoted = the API's public totals. Columns that no
API field matches (hashtag clicks, detail expands, media views, ...) are derived
deterministically from the post so that files look real; nothing reconciles them.

`dialect="en"`: UTF-8 with a BOM, `,`, every value quoted, as downloaded.
`dialect="fr"`: the same file saved by French Excel: Windows-1252, `;`, counts with
non-breaking-space thousands separators, decimal commas, the ids kept as text.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sandbox import region
from sandbox.determinism import rng
from sandbox.platforms.x import XPlatform, XPostMetrics, x_post_metrics
from sandbox.region import Account
from sandbox.world import Post, World

COUNTERS = (
    "impressions",
    "engagements",
    "engagement rate",
    "retweets",
    "replies",
    "likes",
    "user profile clicks",
    "url clicks",
    "hashtag clicks",
    "detail expands",
    "permalink clicks",
    "app opens",
    "app installs",
    "follows",
    "email tweet",
    "dial phone",
    "media views",
    "media engagements",
)
HEADER = ["Tweet id", "Tweet permalink", "Tweet text", "time", *COUNTERS, *(f"promoted {c}" for c in COUNTERS)]
FLOAT_COUNTERS = 11
"""X writes the first counters (impressions … permalink clicks) as floats, the others as integers."""


def _counters(world: World, post: Post, m: XPostMetrics) -> dict[str, int]:
    """Every counter of the export, totals (organic + promoted)."""
    gen = rng(world.seed, "x-export", post.account.key, post.serial)
    hashtag, expands, permalink, follows = gen.randint(0, 8), gen.randint(5, 40), gen.randint(0, 5), gen.randint(0, 4)
    has_media = post.format in ("photo", "video")
    media_views = m.impressions * gen.randint(20, 120) // 1000 if has_media else 0
    return {
        "impressions": m.impressions,
        "engagements": m.engagements,
        "retweets": m.retweets,
        "replies": m.replies,
        "likes": m.likes,
        "user profile clicks": m.user_profile_clicks,
        "url clicks": m.url_link_clicks,
        "hashtag clicks": m.likes * hashtag // 1000,
        "detail expands": m.impressions * expands // 1000,
        "permalink clicks": m.impressions * permalink // 10000,
        "app opens": 0,
        "app installs": 0,
        "follows": m.impressions * follows // 10000,
        "email tweet": 0,
        "dial phone": 0,
        "media views": media_views,
        "media engagements": media_views // 4,
    }


def _rate(engagements: int, impressions: int, dialect: str) -> str:
    text = repr(engagements / impressions if impressions else 0.0)
    return text.replace(".", ",") if dialect == "fr" else text


def _count(value: int, position: int, dialect: str) -> str:
    if dialect == "fr":
        return f"{value:,}".replace(",", "\u00a0")
    return f"{value}.0" if position < FLOAT_COUNTERS else str(value)


def _values(counters: dict[str, int], dialect: str) -> list[str]:
    cells = []
    for position, name in enumerate(COUNTERS):
        if name == "engagement rate":
            cells.append(_rate(counters["engagements"], counters["impressions"], dialect))
        else:
            cells.append(_count(counters[name], position, dialect))
    return cells


def _accounts(account: str | None) -> list[Account]:
    accounts = list(region.accounts("x"))
    if account is None:
        return accounts
    wanted = account.lstrip("@").lower()
    chosen = [a for a in accounts if wanted in (a.key, a.username.lower())]
    if not chosen:
        raise KeyError(f"no X account {account!r} (known: {', '.join(a.key for a in accounts)})")
    return chosen


def export(seed: int, today: date, start: date, end: date, dialect: str = "en", account: str | None = None) -> bytes:
    """Tweet activity export of the posts published start..end (UTC days), metrics as of today - 1."""
    if dialect not in ("en", "fr"):
        raise ValueError(f"X exports are CSV: dialect 'en' or 'fr', not {dialect!r}")
    world = World(seed)
    as_of = today - timedelta(days=1)
    end = min(end, as_of)
    out = io.StringIO(newline="")
    if dialect == "fr":
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    else:
        writer = csv.writer(out, delimiter=",", lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(HEADER)
    for acc in _accounts(account):
        for post in world.posts_between(acc, start, end):
            m = x_post_metrics(world, post, as_of)
            totals = _counters(world, post, m)
            post_id = XPlatform.post_id(post)
            text = post.message if post.message is not None else f"https://t.co/{post.serial % 10**10:010d}"
            if post.is_sponsored:
                paid = {name: m.promoted(value) for name, value in totals.items()}
                paid["impressions"] = m.impressions_promoted
                organic = {name: totals[name] - paid[name] for name in totals}
                promoted_cells = _values(paid, dialect)
            else:
                organic = totals
                promoted_cells = ["-"] * len(COUNTERS)
            writer.writerow(
                [
                    post_id,
                    f"https://twitter.com/{acc.username}/status/{post_id}",
                    text,
                    post.created_at.strftime("%Y-%m-%d %H:%M +0000"),
                    *_values(organic, dialect),
                    *promoted_cells,
                ]
            )
    text = out.getvalue()
    return text.encode("cp1252", errors="replace") if dialect == "fr" else text.encode("utf-8-sig")
