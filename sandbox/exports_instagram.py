"""The Meta Business Suite content export of the region's Instagram accounts.

The same UI and file conventions as the Facebook one (`sandbox.exports`): `en` is
UTF-8 with a BOM, `,` separators and month-first dates; `fr` is what French Excel
saves: Windows-1252, `;`, French headers, day-first dates, non-breaking-space
thousands. Columns follow reference §7.2 (whose exact order is unconfirmed); the
French headers and the `Post type` words ("IG image", "IG carousel", "IG reel",
"IG video") are this simulator's rendering of the UI, not copies of a real file.

Values are the sandbox's truth as of today - 1, as the Instagram API serves them
(`sandbox.platforms.instagram`): views, reach (viewers), likes (reactions), comments,
shares, saves (clicks) and follows (`media_extras`). The export has no decimal column.
"""

from __future__ import annotations

from datetime import date, timedelta

from sandbox import region
from sandbox.exports import csv_writer, encode, local_time, number
from sandbox.platforms import PLATFORMS
from sandbox.platforms import instagram as ig
from sandbox.world import Post, World

HEADERS = {
    "en": [
        "Post ID",
        "Account ID",
        "Account username",
        "Account name",
        "Description",
        "Duration (sec)",
        "Publish time",
        "Permalink",
        "Post type",
        "Data comment",
        "Date",
        "Views",
        "Reach",
        "Likes",
        "Shares",
        "Follows",
        "Comments",
        "Saves",
    ],
    "fr": [
        "Identifiant de la publication",
        "Identifiant du compte",
        "Nom d'utilisateur du compte",
        "Nom du compte",
        "Description",
        "Durée (s)",
        "Heure de publication",
        "Lien permanent",
        "Type de publication",
        "Commentaire sur les données",
        "Date",
        "Vues",
        "Couverture",
        "J'aime",
        "Partages",
        "Abonnements",
        "Commentaires",
        "Enregistrements",
    ],
}
LIFETIME = {"en": "Lifetime", "fr": "Durée de vie"}
POST_TYPES = {
    "en": {"IMAGE": "IG image", "CAROUSEL_ALBUM": "IG carousel", "REELS": "IG reel", "VIDEO": "IG video"},
    "fr": {"IMAGE": "Image IG", "CAROUSEL_ALBUM": "Carrousel IG", "REELS": "Reel IG", "VIDEO": "Vidéo IG"},
}


def post_type(post: Post, dialect: str) -> str:
    """The UI's word for a post: reels by product type, the rest by media type."""
    product = ig.media_product_type(post)
    return POST_TYPES[dialect][product if product == "REELS" else ig.media_type(post)]


def export(seed: int, today: date, start: date, end: date, dialect: str = "en") -> bytes:
    """Instagram "Content" export of every region account, posts of start..end, metrics as of today - 1."""
    if dialect not in HEADERS:
        raise ValueError(f"no {dialect!r} dialect for the Instagram export (known: {', '.join(HEADERS)})")
    world = World(seed)
    as_of = today - timedelta(days=1)
    end = min(end, as_of)
    ids = PLATFORMS["instagram"]
    out, writer = csv_writer(dialect)
    writer.writerow(HEADERS[dialect])
    for account in region.accounts("instagram"):
        for post in world.posts_between(account, start, end):
            m = world.post_metrics(post, as_of)
            extras = ig.media_extras(world, post, as_of)
            writer.writerow(
                [
                    ids.post_id(post),
                    account.account_id,
                    account.username,
                    account.name,
                    post.message or "",
                    "",
                    local_time(post.created_at, dialect),
                    ids.post_permalink(post),
                    post_type(post, dialect),
                    "",
                    LIFETIME[dialect],
                    number(m.views, dialect),
                    number(m.viewers, dialect),
                    number(m.reactions_total, dialect),
                    number(m.shares, dialect),
                    number(extras["follows"], dialect),
                    number(m.comments, dialect),
                    number(m.clicks, dialect),
                ]
            )
    return encode(out.getvalue(), dialect)
