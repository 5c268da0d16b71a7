"""The LinkedIn Page content export (Page admin view -> Analytics -> Content -> Export),
written from the same world as the sandbox's Community Management API.

LinkedIn exports one organization per file and does not name it inside. `export`
writes the Page given by `account` (a LinkedIn key of `sandbox.region`), by default
the first LinkedIn account (`li_region_main`): the sandbox CLI passes five
positional arguments, and "every Page in one file" is not a file LinkedIn writes.

Dialects:

* `xlsx`: a real workbook as LinkedIn serves it: sheet `Metrics` (daily organic and
  sponsored impressions, organic interactions) then `All posts`, each opening with
  a description row above the header; typed cells (counts, ratios shown as
  percentages, local date-times).
* `en`: the `All posts` sheet saved as CSV: UTF-8 with a BOM, `,`, month-first
  dates, the description row as one quoted cell.
* `fr`: as French Excel saves it: Windows-1252, `;`, French headers, day-first
  dates, non-breaking-space thousands, decimal commas in the CTR and engagement
  rate, the description row padded with separators to the table's width.

Values, as of today - 1 (what the API serves on `today`): one `Organic` row per post
with the API's lifetime organic statistics (`post_share_statistics`: impressions
are the views not paid for, likes are all reactions, engagement is the API's ratio)
and, for a sponsored post, a `Sponsored` row with its paid impressions; the world
does not split interactions into paid and organic, so that row leaves them blank,
as it leaves blank what the world does not model (follows per post, off-site views).
Created dates are the Page's local time (Europe/Paris) to the second. A workbook
cell keeps a ratio to 16 significant digits (openpyxl, like Excel, writes `%.16g`);
the CSV dialects write every digit of the API's float.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sandbox import region
from sandbox.platforms import linkedin as li
from sandbox.region import Account
from sandbox.world import Post, World

PARIS = ZoneInfo("Europe/Paris")

COLUMNS = (
    # (English header, French header)
    ("Post title", "Titre de la publication"),
    ("Post link", "Lien de la publication"),
    ("Post type", "Type de publication"),
    ("Campaign name", "Nom de la campagne"),
    ("Posted by", "Publié par"),
    ("Created date", "Date de création"),
    ("Campaign start date", "Date de début de la campagne"),
    ("Campaign end date", "Date de fin de la campagne"),
    ("Audience", "Audience"),
    ("Impressions", "Impressions"),
    ("Views (excluding off-site video views)", "Vues (hors vues de vidéos hors site)"),
    ("Off-site views", "Vues hors site"),
    ("Clicks", "Clics"),
    ("Click through rate (CTR)", "Taux de clics (CTR)"),
    ("Likes", "Réactions"),
    ("Comments", "Commentaires"),
    ("Reposts", "Republications"),
    ("Follows", "Abonnements"),
    ("Engagement rate", "Taux d’engagement"),
    ("Content Type", "Type de contenu"),
)
METRICS_COLUMNS = (
    "Date",
    "Impressions (organic)",
    "Impressions (sponsored)",
    "Impressions (total)",
    "Unique impressions (organic)",
    "Clicks (organic)",
    "Reactions (organic)",
    "Comments (organic)",
    "Reposts (organic)",
    "Engagement rate (organic)",
)
RATIOS = {"Click through rate (CTR)", "Engagement rate", "Engagement rate (organic)"}
_NUMBER_FORMATS = {
    **dict.fromkeys(RATIOS, "0.00%"),
    "Created date": "mm/dd/yyyy hh:mm:ss",
    **dict.fromkeys(("Date", "Campaign start date", "Campaign end date"), "mm/dd/yyyy"),
}
"""How the workbook shows typed cells (the stored values stay ratios and date-times)."""

_CONTENT_TYPES = {
    "en": {"photo": "Image", "video": "Video", "link": "Article", "text": "Text"},
    "fr": {"photo": "Image", "video": "Vidéo", "link": "Article", "text": "Texte"},
}
_POST_TYPES = {"en": ("Organic", "Sponsored"), "fr": ("Organique", "Sponsorisé")}
_DATE_FORMATS = {"en": "%m/%d/%Y", "fr": "%d/%m/%Y"}

Cell = int | float | str | datetime | date | None


def export(seed: int, today: date, start: date, end: date, dialect: str = "en", account: str | None = None) -> bytes:
    """The content export of one LinkedIn Page (default: the first), posts created start..end."""
    if dialect not in ("en", "fr", "xlsx"):
        raise ValueError(f"unknown dialect {dialect!r} for the LinkedIn export: en, fr or xlsx")
    page = _page(account)
    world = World(seed)
    as_of = today - timedelta(days=1)
    end = min(end, as_of)
    language = "fr" if dialect == "fr" else "en"
    posts = _post_rows(world, page, start, end, as_of, language)
    description = _description(page, start, end, as_of, language)
    if dialect == "xlsx":
        return _workbook(description, posts, _metrics_rows(world, page, start, end), today)
    return _csv(description, posts, dialect)


def _page(key: str | None) -> Account:
    pages = region.accounts("linkedin")
    if key is None:
        return pages[0]
    for page in pages:
        if page.key == key:
            return page
    raise ValueError(f"no LinkedIn account {key!r} (known: {', '.join(p.key for p in pages)})")


def _description(page: Account, start: date, end: date, as_of: date, language: str) -> str:
    fmt = _DATE_FORMATS[language]
    if language == "fr":
        return (
            f"Toutes les publications : {page.name}, publications créées du {start:{fmt}} au {end:{fmt}}, "
            f"statistiques au {as_of:{fmt}}"
        )
    return f"All posts: {page.name}, posts created {start:{fmt}} - {end:{fmt}}, metrics as of {as_of:{fmt}}"


def _post_rows(world: World, page: Account, start: date, end: date, as_of: date, language: str) -> list[list[Cell]]:
    """`All posts` rows in the column order of COLUMNS (typed cells)."""
    organic, sponsored = _POST_TYPES[language]
    rows: list[list[Cell]] = []
    for post in world.posts_between(page, start, end):
        stats = li.post_share_statistics(world, post, as_of)
        impressions, clicks = stats["impressionCount"], stats["clickCount"]
        common = {
            "Post title": post.message,
            "Post link": li.LinkedInPlatform.post_permalink(post),
            "Created date": _local(post),
            "Content Type": _CONTENT_TYPES[language][post.format],
        }
        rows.append(
            _row(
                common,
                {
                    "Post type": organic,
                    "Impressions": impressions,
                    "Clicks": clicks,
                    "Click through rate (CTR)": clicks / impressions if impressions else 0.0,
                    "Likes": stats["likeCount"],
                    "Comments": stats["commentCount"],
                    "Reposts": stats["shareCount"],
                    "Engagement rate": stats["engagement"],
                },
            )
        )
        if post.is_sponsored:
            rows.append(
                _row(
                    common,
                    {
                        "Post type": sponsored,
                        "Campaign name": f"Boost {post.serial}",
                        "Campaign start date": post.day,
                        "Campaign end date": post.day + timedelta(days=7),
                        "Audience": page.name,
                        "Impressions": world.post_metrics(post, as_of).views_paid,
                    },
                )
            )
    return rows


def _row(*parts: dict[str, Cell]) -> list[Cell]:
    values = {k: v for part in parts for k, v in part.items()}
    return [values.get(english) for english, _ in COLUMNS]


def _local(post: Post) -> datetime:
    """The creation time as the Page admin sees it: Paris wall-clock time, naive."""
    return post.created_at.astimezone(PARIS).replace(tzinfo=None)


def _metrics_rows(world: World, page: Account, start: date, end: date) -> list[list[Cell]]:
    """The workbook's daily `Metrics` sheet (organic share statistics and paid impressions)."""
    rows: list[list[Cell]] = []
    day = start
    while day <= end:
        stats = li.share_statistics_day(world, page, day)
        paid = world.account_day(page, day).views_paid
        rows.append(
            [
                day,
                stats["impressionCount"],
                paid,
                stats["impressionCount"] + paid,
                stats["uniqueImpressionsCount"],
                stats["clickCount"],
                stats["likeCount"],
                stats["commentCount"],
                stats["shareCount"],
                stats["engagement"],
            ]
        )
        day += timedelta(days=1)
    return rows


def _text(value: Cell, header: str, dialect: str) -> str:
    """A cell as the CSV dialect writes it."""
    if value is None:
        return ""
    fmt = _DATE_FORMATS["fr" if dialect == "fr" else "en"]
    if isinstance(value, datetime):
        return value.strftime(f"{fmt} %H:%M:%S")
    if isinstance(value, date):
        return value.strftime(fmt)
    if isinstance(value, float) or header in RATIOS:
        text = repr(float(value))
        return text.replace(".", ",") if dialect == "fr" else text
    if isinstance(value, int):
        return f"{value:,}".replace(",", "\u00a0") if dialect == "fr" else str(value)
    return value


def _csv(description: str, rows: list[list[Cell]], dialect: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";" if dialect == "fr" else ",", lineterminator="\r\n")
    headers = [fr if dialect == "fr" else en for en, fr in COLUMNS]
    # French Excel pads every row to the sheet's used width; a plain writer does not
    writer.writerow([description] + [""] * (len(headers) - 1) if dialect == "fr" else [description])
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_text(v, en, dialect) for v, (en, _) in zip(row, COLUMNS, strict=True)])
    text = out.getvalue()
    return text.encode("cp1252", errors="replace") if dialect == "fr" else text.encode("utf-8-sig")


def _workbook(description: str, posts: list[list[Cell]], metrics: list[list[Cell]], today: date) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.properties.creator = "LinkedIn"
    workbook.properties.created = datetime(today.year, today.month, today.day)
    sheets = (
        ("Metrics", "Aggregated metrics: " + description.split(": ", 1)[1], list(METRICS_COLUMNS), metrics),
        ("All posts", description, [en for en, _ in COLUMNS], posts),
    )
    for index, (title, note, headers, rows) in enumerate(sheets):
        sheet = workbook.active if index == 0 else workbook.create_sheet()
        sheet.title = title
        sheet.append([note])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
        for column, header in enumerate(headers, 1):
            style = _NUMBER_FORMATS.get(header)
            if style:
                for (cell,) in sheet.iter_rows(min_row=3, min_col=column, max_col=column):
                    cell.number_format = style
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
