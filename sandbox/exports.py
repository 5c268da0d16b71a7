"""The files people download by hand from the platforms' analytics UIs, written
from the same world as the APIs, so that imports can be reconciled with truth.

`dialect="en"`: UTF-8 with a BOM, `,` separators, month-first dates (Meta's default).
`dialect="fr"`: what French Excel saves: Windows-1252, `;` separators, French
headers, day-first dates and non-breaking-space thousands separators.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sandbox import region
from sandbox.platforms import PLATFORMS
from sandbox.world import World

PARIS = ZoneInfo("Europe/Paris")

_MBS_HEADERS = {
    "en": [
        "Post ID",
        "Page ID",
        "Page name",
        "Title",
        "Description",
        "Duration (sec)",
        "Publish time",
        "Permalink",
        "Post type",
        "Views",
        "Reach",
        "Reactions, comments and shares",
        "Reactions",
        "Comments",
        "Shares",
        "Total clicks",
        "Organic post views",
        "Views of promoted posts",
    ],
    "fr": [
        "Identifiant de la publication",
        "Identifiant de la Page",
        "Nom de la Page",
        "Titre",
        "Description",
        "Durée (s)",
        "Heure de publication",
        "Lien permanent",
        "Type de publication",
        "Vues",
        "Couverture",
        "Réactions, commentaires et partages",
        "Réactions",
        "Commentaires",
        "Partages",
        "Clics au total",
        "Vues organiques",
        "Vues des publications sponsorisées",
    ],
}
_MBS_TYPES = {"photo": "Photos", "video": "Videos", "reel": "Reels", "link": "Links", "text": "Text"}


def number(value: int, dialect: str) -> str:
    """A count as the dialect writes it: `1234` (en) or `1 234` with a non-breaking space (fr)."""
    return f"{value:,}".replace(",", "\u00a0") if dialect == "fr" else str(value)


_number = number  # the former private name


def local_time(moment: datetime, dialect: str) -> str:
    """A timestamp as the Meta UI shows it: Paris time, month-first (en) or day-first (fr)."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M" if dialect == "fr" else "%m/%d/%Y %H:%M")


def csv_writer(dialect: str) -> tuple[io.StringIO, Any]:
    """A CSV writer for the dialect's separator (`;` in French Excel) and its buffer."""
    out = io.StringIO(newline="")
    return out, csv.writer(out, delimiter=";" if dialect == "fr" else ",", lineterminator="\r\n")


def encode(text: str, dialect: str) -> bytes:
    """UTF-8 with a BOM (en) or Windows-1252 (fr: what Excel saves; emoji become '?')."""
    return text.encode("cp1252", errors="replace") if dialect == "fr" else text.encode("utf-8-sig")


def facebook_content_export(seed: int, today: date, start: date, end: date, dialect: str = "en") -> bytes:
    """Meta Business Suite "Content" export of every region Page, metrics as of today - 1."""
    world = World(seed)
    as_of = today - timedelta(days=1)
    end = min(end, as_of)
    ids = PLATFORMS["facebook"]
    out, writer = csv_writer(dialect)
    writer.writerow(_MBS_HEADERS[dialect])
    for account in region.accounts("facebook"):
        for post in world.posts_between(account, start, end):
            m = world.post_metrics(post, as_of)
            writer.writerow(
                [
                    str(post.serial),
                    account.account_id,
                    account.name,
                    "",
                    post.message or "",
                    "",
                    local_time(post.created_at, dialect),
                    ids.post_permalink(post),
                    _MBS_TYPES[post.format],
                    number(m.views, dialect),
                    number(m.viewers, dialect),
                    number(m.reactions_total + m.comments + m.shares, dialect),
                    number(m.reactions_total, dialect),
                    number(m.comments, dialect),
                    number(m.shares, dialect),
                    number(m.clicks, dialect),
                    number(m.views - m.views_paid, dialect),
                    number(m.views_paid, dialect),
                ]
            )
    return encode(out.getvalue(), dialect)


EXPORTS = {"facebook": facebook_content_export}
# other platforms' exports live in their own modules: sandbox/exports_<platform>.py
EXPORT_MODULES = {
    "instagram": "sandbox.exports_instagram",
    "linkedin": "sandbox.exports_linkedin",
    "x": "sandbox.exports_x",
}


def exporter(platform: str):
    """The function (seed, today, start, end, dialect) -> bytes writing a platform's export."""
    if platform in EXPORTS:
        return EXPORTS[platform]
    if platform not in EXPORT_MODULES:
        known = ", ".join(sorted([*EXPORTS, *EXPORT_MODULES]))
        raise KeyError(f"no export for {platform} (known: {known})")
    import importlib

    return importlib.import_module(EXPORT_MODULES[platform]).export
