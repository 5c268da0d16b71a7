"""The world model on its own: determinism, settling, consistency, region config."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from sandbox import region
from sandbox.region import AGE_BUCKETS, GENDERS
from sandbox.timeutil import DAY, EPOCH, day_start, paris_to_utc, paris_utc_offset_hours
from sandbox.world import (
    COMMENT_WINDOW,
    MAX_POSTS_PER_DAY,
    World,
    decode_post_serial,
    post_serial,
    settle,
)

REPO = Path(__file__).resolve().parents[2]
FB = region.accounts("facebook")
WINDOW = (date(2026, 8, 1), date(2026, 10, 31))


@pytest.fixture(scope="module")
def world(seed: int) -> World:
    return World(seed)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_region_matches_config_accounts_yml() -> None:
    config = yaml.safe_load((REPO / "config" / "accounts.yml").read_text(encoding="utf-8"))
    configured = {(a["platform"], a["key"], str(a["account_id"]), a["name"]) for a in config["accounts"]}
    simulated = {(a.platform, a.key, a.account_id, a.name) for a in region.ACCOUNTS}
    assert configured == simulated
    assert config["region"] == region.REGION_NAME


def test_audiences_are_fractions_and_youth_page_skews_young() -> None:
    for account in region.ACCOUNTS:
        assert set(account.audience) == {(a, g) for a in AGE_BUCKETS for g in GENDERS}
        assert sum(account.audience.values()) == pytest.approx(1.0)

    def young(account: region.Account) -> float:
        return sum(v for (age, _), v in account.audience.items() if age in ("13-17", "18-24"))

    by_key = {a.key: a for a in FB}
    assert young(by_key["region_jeunesse"]) > 2 * young(by_key["region_main"])


def test_same_seed_same_world_other_seed_other_world(seed: int) -> None:
    a, b, other = World(seed), World(seed), World(seed + 1)
    account, day = FB[0], date(2026, 9, 14)
    posts_a = list(a.posts_between(account, day - 10 * DAY, day))
    assert posts_a == list(b.posts_between(account, day - 10 * DAY, day))
    assert [a.post_totals(p) for p in posts_a] == [b.post_totals(p) for p in posts_a]
    assert [c.message for p in posts_a for c in a.comments(p)] == [c.message for p in posts_a for c in b.comments(p)]
    assert a.account_day(account, day) == b.account_day(account, day)
    assert posts_a != list(other.posts_between(account, day - 10 * DAY, day))
    assert a.account_day(account, day) != other.account_day(account, day)


def test_pieces_do_not_depend_on_computation_order(seed: int) -> None:
    """Lazy evaluation: computing day D first or last gives the same answer."""
    account, day = FB[1], date(2026, 3, 3)
    cold = World(seed).account_day(account, day)
    warm = World(seed)
    for d in _days(day - 40 * DAY, day + 5 * DAY):
        warm.account_day(account, d)
    assert warm.account_day(account, day) == cold


def test_settling_curve() -> None:
    assert [settle(1000, age) for age in (-1, 0, 1, 2, 3, 4, 30)] == [0, 550, 850, 970, 1000, 1000, 1000]
    assert settle(7, 0) == 3  # floor(3.85)


def test_post_metrics_monotone_and_flat_after_three_days(world: World) -> None:
    for account in FB:
        for post in world.posts_between(account, date(2026, 10, 1), date(2026, 10, 10)):
            series = [world.post_metrics(post, post.day + k * DAY) for k in range(-1, 8)]
            before = series[0]
            assert before.views == before.comments == before.engagements == 0
            for previous, current in zip(series, series[1:], strict=False):
                for field in ("views", "views_paid", "viewers", "shares", "clicks", "comments", "engagements"):
                    assert getattr(current, field) >= getattr(previous, field), field
            settled = series[4:]  # as of post day + 3 .. + 6
            assert all(m.engagements == settled[0].engagements and m.views == settled[0].views for m in settled)
            final = series[-1]
            assert final.views_paid <= final.views and final.viewers < final.views
            assert (final.views_paid > 0) == post.is_sponsored


def test_posts_per_day_hours_and_formats(world: World) -> None:
    counts, formats, sponsored, total = [], set(), 0, 0
    for account in FB:
        for day in _days(*WINDOW):
            posts = world.posts_on(account, day)
            counts.append(len(posts))
            for post in posts:
                total += 1
                sponsored += post.is_sponsored
                formats.add(post.format)
                assert post.day == day == post.created_at.date()
                local_hour = post.created_at.hour + paris_utc_offset_hours(day)
                assert 7 <= local_hour < 20
                assert post.topic in post.account.topic_mix
    assert min(counts) == 0 and max(counts) <= MAX_POSTS_PER_DAY
    assert formats == {"photo", "video", "link", "text", "reel"}
    assert 0.04 < sponsored / total < 0.18


def test_transports_page_is_mostly_transports(world: World) -> None:
    page = next(a for a in FB if a.key == "region_transports")
    topics = [p.topic for p in world.posts_between(page, *WINDOW)]
    assert topics.count("transports") / len(topics) > 0.7


def test_paris_time_conversion() -> None:
    assert paris_to_utc(date(2026, 1, 15), 9 * 3600).hour == 8
    assert paris_to_utc(date(2026, 7, 15), 9 * 3600).hour == 7
    assert paris_utc_offset_hours(date(2026, 3, 29)) == 2  # last Sunday of March 2026
    assert paris_utc_offset_hours(date(2026, 10, 25)) == 1  # last Sunday of October 2026


def test_post_serials_decode_and_find(world: World) -> None:
    assert decode_post_serial(post_serial(date(2026, 2, 3), 2, 3, 999)) == (date(2026, 2, 3), 2, 3)
    account = FB[0]
    for post in world.posts_between(account, date(2026, 5, 1), date(2026, 5, 7)):
        assert world.find_post(account, post.serial) == post
        assert world.find_post(FB[1], post.serial) is None
        assert world.find_post(account, post.serial + 1) is None


def test_followers_follow_net_follows(world: World) -> None:
    for account in FB:
        assert world.followers(account, EPOCH - DAY) == account.base_followers
        for day in _days(date(2026, 9, 1), date(2026, 9, 30)):
            row = world.account_day(account, day)
            assert row.followers - world.followers(account, day - DAY) == row.follows - row.unfollows
            assert row.follows >= 0 and row.unfollows >= 0
        assert world.followers(account, date(2026, 9, 30)) > account.base_followers


def test_daily_series_reconcile_with_post_deltas(world: World) -> None:
    """Σ daily post engagements over [a, b] = what posts gained between end of a-1 and end of b."""
    a, b = date(2026, 9, 1), date(2026, 9, 30)
    for account in FB:
        rows = [world.account_day(account, d) for d in _days(a, b)]
        posts = list(world.posts_between(account, a - 3 * DAY, b))

        def gained(field: str, posts: list = posts) -> int:
            return sum(
                getattr(world.post_metrics(p, b), field) - getattr(world.post_metrics(p, a - DAY), field) for p in posts
            )

        assert sum(r.post_engagements for r in rows) == gained("engagements")
        assert sum(r.views_paid for r in rows) == gained("views_paid")
        assert sum(r.video_views for r in rows) == gained("video_views")
        assert all(r.views > r.views_paid and r.viewers < r.views for r in rows)
        assert sum(r.posts_published for r in rows) == sum(1 for p in posts if p.day >= a)


def test_comments_questions_replies_and_window(world: World) -> None:
    kinds = {"question": 0, "page_reply": 0, "user": 0}
    transports_questions = 0
    for account in FB:
        for post in world.posts_between(account, date(2026, 10, 1), date(2026, 10, 20)):
            comments = world.comments(post)
            by_serial = {c.serial: c for c in comments}
            assert [c.created_at for c in comments] == sorted(c.created_at for c in comments)
            assert len(by_serial) == len(comments)
            for comment in comments:
                assert post.created_at < comment.created_at <= post.created_at + COMMENT_WINDOW
                kinds["user"] += not comment.is_from_page
                if comment.is_question:
                    kinds["question"] += 1
                    transports_questions += comment.topic == "transports"
                if comment.is_from_page:
                    kinds["page_reply"] += 1
                    parent = by_serial[comment.parent_serial]
                    assert parent.is_question and parent.created_at < comment.created_at
                    assert comment.message.startswith("Bonjour")
                    assert comment.author_id == account.account_id
                if comment.parent_serial is not None:
                    assert by_serial[comment.parent_serial].parent_serial is None
    assert kinds["question"] > 100 and kinds["page_reply"] > 30
    assert 0.25 < kinds["question"] / kinds["user"] < 0.55
    assert transports_questions / kinds["question"] > 0.5


def test_comment_count_as_of_counts_created_objects(world: World) -> None:
    post = next(world.posts_between(FB[1], date(2026, 10, 5), date(2026, 10, 9)))
    comments = world.comments(post)
    for k in range(4):
        end_of_day = day_start(post.day + (k + 1) * DAY)
        expected = sum(1 for c in comments if c.created_at < end_of_day)
        assert world.post_metrics(post, post.day + k * DAY).comments == expected
    assert world.post_metrics(post, post.day + 3 * DAY).comments == len(comments)


def test_french_texts_are_accented_and_varied(world: World) -> None:
    posts = list(world.posts_between(FB[0], *WINDOW))
    messages = [p.message for p in posts if p.message]
    assert len(set(messages)) > 0.9 * len(messages)
    assert any("é" in m for m in messages) and all("#" in m for m in messages)
    comments = [c.message for p in posts[:60] for c in world.comments(p)]
    assert any(m.endswith("?") for m in comments)
    assert any(word in m for m in comments for word in ("nuls", "honte", "incompétents", "Incompétents"))


def test_world_starts_at_epoch(world: World) -> None:
    assert world.posts_on(FB[0], EPOCH - DAY) == ()
    assert list(world.posts_between(FB[0], EPOCH, EPOCH + 30 * DAY))
    with pytest.raises(ValueError):
        world.account_day(FB[0], EPOCH - DAY)
