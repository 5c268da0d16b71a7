"""The unified comments layer reconciled with the sandbox truth, all six platforms.

Two daily extract runs of every configured account (`_ds` RUN_DS - 1 and RUN_DS, 7-day
windows, each against a private in-thread sandbox whose "today" is the day after its
`_ds`), one load, then `dbt build` of staging and the posts and comments intermediate
models (`--target-path` under tmp). `int_comments_unioned` must hold exactly the
world's comments and replies of the posts read, each once, as of its latest extraction,
with the comment's own link exactly as the sandbox's ids give it where the platform
allows one, and nothing that identifies a commenter: no name, handle or platform user id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC
from urllib.parse import quote

import duckdb
import pytest

from sandbox import region, texts
from sandbox.platforms import PLATFORMS as SANDBOX_PLATFORMS
from sandbox.platforms import bluesky as bsky
from sandbox.platforms import instagram as ig
from sandbox.platforms import linkedin as li
from sandbox.platforms import mastodon as masto
from sandbox.server import serve_in_thread
from sandbox.timeutil import DAY, day_start
from sandbox.truth import truth
from sandbox.world import Comment, World
from socialpulse.config import load_accounts
from socialpulse.extract import extract_account
from socialpulse.load import load_landing
from socialpulse.settings import Settings
from tests.conftest import RUN_DS, SANDBOX_TODAY
from tests.integration._dbt_harness import dbt_build, rows
from tests.integration._snapshot_platforms import FAST, FIRST_POST_DAY, RUN_DAYS, WINDOW_DAYS, in_window

pytestmark = pytest.mark.integration

SEED = 42
PLATFORMS = ("facebook", "instagram", "linkedin", "x", "bluesky", "mastodon")
SELECT = (
    "staging",
    "int_*__posts_deduplicated",
    "int_posts_unioned",
    "int_*__comments_deduplicated",
    "int_comments_unioned",
)
LINKED_COMMENTS = ("facebook", "x", "linkedin", "mastodon")
"""Platforms where every comment has a link of its own (Bluesky: the account's replies only)."""
PSEUDONYM = re.compile(r"[0-9a-f]{32}")
FULL_NAME = re.compile(
    r"\b(?:{})\s+(?:{})\b".format(
        "|".join(map(re.escape, texts.FIRST_NAMES)), "|".join(map(re.escape, texts.LAST_NAMES))
    )
)


@pytest.fixture(scope="module")
def comments(tmp_path_factory) -> Iterator[list[dict]]:
    """Every row of `int_comments_unioned` (with its `_ds`) after two runs of all six platforms."""
    home = tmp_path_factory.mktemp("comments") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOCIALPULSE_HOME", str(home))
        mp.delenv("SOCIALPULSE_BUILD_DB", raising=False)
        mp.delenv("SOCIALPULSE_SERVING_DB", raising=False)
        mp.setenv("SOCIALPULSE_PSEUDONYM_KEY", "test-pseudonym-key-not-secret")
        for platform in PLATFORMS:
            mp.setenv(f"SOCIALPULSE_{platform.upper()}_TOKEN", "sandbox-token")
        for ds in RUN_DAYS:
            handle = serve_in_thread(port=0, seed=SEED, today=ds + DAY, quiet=True)
            try:
                mp.setenv("SOCIALPULSE_SANDBOX_URL", handle.url)
                settings = Settings.from_env()
                cfg = load_accounts(settings.config_file)
                for platform in PLATFORMS:
                    accounts = cfg.for_platform(platform)
                    assert accounts, f"no {platform} account in {settings.config_file}"
                    for account in accounts:
                        extract_account(
                            settings, cfg, account, ds, days=WINDOW_DAYS, run_id=f"comments-{ds}", policy=FAST
                        )
            finally:
                handle.stop()
        load_landing(settings.build_db, settings.landing_dir)
        dbt_build(settings, SELECT, home.parent / "dbt_target")
        con = duckdb.connect(str(settings.build_db), read_only=True)
        try:
            # the union leaves lineage out: each row's `_ds` comes from its platform's model
            latest = " union all ".join(
                f"select comment_id, _ds from intermediate.int_{p}__comments_deduplicated" for p in PLATFORMS
            )
            yield rows(
                con,
                f"select unioned.*, latest._ds from intermediate.int_comments_unioned as unioned "
                f"left join ({latest}) as latest on unioned.comment_id = latest.comment_id",
            )
        finally:
            con.close()


@pytest.fixture(scope="module")
def truth_all() -> dict:
    return truth(seed=SEED, today=SANDBOX_TODAY, start=FIRST_POST_DAY, end=RUN_DS)


def comments_of_the_world() -> dict[str, Comment]:
    """The world's comments of every post of the runs' windows, by warehouse comment id."""
    world, cutoff = World(SEED), day_start(RUN_DS + DAY)
    found: dict[str, Comment] = {}
    for account in region.accounts():
        ids = SANDBOX_PLATFORMS[account.platform]
        for post in world.posts_between(account, FIRST_POST_DAY, RUN_DS):
            for comment in world.comments_before(post, cutoff):
                key = warehouse_comment_id(account.platform, ids.post_id(post), ids.comment_id(post, comment.serial))
                found[key] = comment
    return found


@pytest.fixture(scope="module")
def world_comments() -> dict[str, Comment]:
    return comments_of_the_world()


def warehouse_comment_id(platform: str, post_id: str, comment_id: str) -> str:
    """The warehouse key of a comment from the ids its API serves (see the staging models)."""
    if platform == "bluesky":  # a reply's own AT URI holds the replier's DID: post URI + rkey
        return f"bluesky:{post_id}#{comment_id}"
    return f"{platform}:{comment_id}"


def expected_comments(t: dict, platform: str) -> dict[str, dict]:
    """The truth's comments of the platform's posts, keyed by warehouse comment id."""
    posts = {p["post_id"]: p for p in t["posts"] if p["platform"] == platform}
    expected = {}
    for c in t["comments"]:
        post = posts.get(c["post_id"])
        if post is None:
            continue
        parent = c["parent_id"]
        expected[warehouse_comment_id(platform, post["post_id"], c["comment_id"])] = {
            **c,
            "post": post,
            "parent_key": warehouse_comment_id(platform, post["post_id"], parent) if parent else None,
        }
    return expected


def expected_permalink(platform: str, comment: Comment) -> str | None:
    """The comment's own link, from the ids the sandbox serves: Facebook serves it; X, LinkedIn,
    Mastodon and the account's own Bluesky replies build it from ids; Instagram has none, nor the
    public's Bluesky replies (their URL holds the replier's DID)."""
    post, ids = comment.post, SANDBOX_PLATFORMS[platform]
    if platform == "facebook":
        return f"https://www.facebook.com/{post.account.account_id}/posts/{post.serial}?comment_id={comment.serial}"
    if platform == "x":
        return f"https://x.com/i/web/status/{ids.comment_id(post, comment.serial)}"
    if platform == "linkedin":
        feed = f"https://www.linkedin.com/feed/update/{li.post_urn(post)}"
        own = quote(ids.comment_id(post, comment.serial), safe="")
        if comment.parent_serial is None:
            return f"{feed}?commentUrn={own}"
        return f"{feed}?commentUrn={quote(ids.comment_id(post, comment.parent_serial), safe='')}&replyUrn={own}"
    if platform == "mastodon":
        return f"https://{masto.INSTANCE}/statuses/{masto.reply_status_id(post, comment.serial)}"
    if platform == "bluesky" and comment.is_from_page:
        return f"https://bsky.app/profile/{post.account.account_id}/post/{bsky.reply_rkey(post, comment.serial)}"
    return None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_comments_reconcile_with_truth(comments, truth_all, world_comments, platform):
    expected = expected_comments(truth_all, platform)
    assert expected, f"the truth has no {platform} comment in the window: the test proves nothing"
    got_rows = [r for r in comments if r["platform"] == platform]
    got = {r["comment_id"]: r for r in got_rows}
    assert len(got) == len(got_rows), "a comment appears twice"

    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert not missing and not extra, (
        f"{platform}: {len(missing)} missing {missing[:5]}, {len(extra)} extra {extra[:5]}"
    )

    mismatches = []
    for cid, want in expected.items():
        row, comment = got[cid], world_comments[cid]
        post = want["post"]
        wanted = {
            "post_id": f"{platform}:{post['post_id']}",
            "account_id": f"{platform}:{post['account_id']}",
            "parent_comment_id": want["parent_key"],
            "is_by_account": want["is_from_page"],
            "message": want["message"],
            "created_at": want["created_at"],
            "like_count": comment.like_count,
            "permalink_url": expected_permalink(platform, comment),
            # the latest run that read the post is the comment's latest extraction
            "_ds": max(ds for ds in RUN_DAYS if in_window(post["created_at"], ds)),
        }
        actual = {**row, "created_at": row["created_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        mismatches += [(cid, k, actual[k], v) for k, v in wanted.items() if actual[k] != v]
    assert not mismatches, f"{platform}: {len(mismatches)} mismatches (id, column, got, want): {mismatches[:10]}"

    # the reconciliation covers replies and the account's own answers, not only top-level comments
    assert any(r["parent_comment_id"] for r in got_rows), f"{platform}: no reply landed"
    assert any(r["is_by_account"] for r in got_rows), f"{platform}: no answer by the account landed"
    # and links where the platform allows them: every comment, or the account's own replies only
    linked = {r["comment_id"] for r in got_rows if r["permalink_url"]}
    if platform in LINKED_COMMENTS:
        assert linked == set(got), f"{platform}: {len(got) - len(linked)} comments without a link"
    elif platform == "bluesky":
        assert linked == {r["comment_id"] for r in got_rows if r["is_by_account"]} and linked
    else:
        assert not linked, f"{platform}: a comment link the platform does not give"


def identities(platform: str, comment: Comment) -> set[str]:
    """Everything that names a commenter: their name and each form of id their platform serves."""
    found = {comment.author_name, comment.author_id}
    if platform == "instagram":
        found |= {ig.commenter_username(comment), ig.commenter_igsid(comment)}
    elif platform == "linkedin":
        found.add(li.member_urn(comment.author_id))
    elif platform == "bluesky":
        found |= {bsky.person_did(comment.author_id), bsky.person_handle(comment.author_id, comment.author_name)}
    elif platform == "mastodon":
        username, domain = masto.person_acct(comment.author_id, comment.author_name)
        found |= {masto.person_account_id(comment.author_id), f"@{username}", f"{username}@{domain}"}
    return found


def test_no_comment_row_identifies_its_author(comments, world_comments):
    """Privacy: commenters are pseudonyms; no name, handle or platform user id reaches a row."""
    forbidden = set()
    for cid, comment in world_comments.items():
        if not comment.is_from_page:
            forbidden |= identities(cid.split(":", 1)[0], comment)
    assert forbidden, "no commenter in the window: the privacy scan proves nothing"
    identity = re.compile(
        r"(?<!\w)(?:{})(?!\w)".format("|".join(map(re.escape, sorted(forbidden, key=len, reverse=True))))
    )
    leaks = []
    for row in comments:
        text = "\x1f".join(str(v) for v in row.values() if v is not None)
        leaks += [(row["comment_id"], m.group(0)) for m in FULL_NAME.finditer(text)]
        leaks += [(row["comment_id"], m.group(0)) for m in identity.finditer(text)]
    assert not leaks, f"{len(leaks)} commenter identities in comment rows: {leaks[:10]}"


def test_pseudonyms_link_one_person_and_only_one(comments, world_comments):
    """One pseudonym per commenter and platform: a person's comments link up, two people never merge."""
    pseudonyms: dict[tuple[str, str], set[str]] = {}
    people: dict[tuple[str, str], set[str]] = {}
    for row in comments:
        pseudonym, person = row["author_pseudonym"], world_comments[row["comment_id"]].author_id
        assert pseudonym is not None and PSEUDONYM.fullmatch(pseudonym), row
        pseudonyms.setdefault((row["platform"], person), set()).add(pseudonym)
        people.setdefault((row["platform"], pseudonym), set()).add(person)
    assert all(len(p) == 1 for p in pseudonyms.values())
    assert all(len(p) == 1 for p in people.values())
    assert len(people) < len(comments), "no person commented twice: linkage is untested"
