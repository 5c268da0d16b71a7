"""The platform-neutral simulated world: posts, their metrics, comments, daily series.

Design rules, each with its reason:

* **Pure function of (seed, account, day or post).** Every piece draws from its
  own generator (`sandbox.determinism.rng`) so it can be computed lazily, in any
  order, on any machine, and always come out the same. The only state is caches.
* **Independent of `today`.** History runs from `EPOCH` forever; `today` merely
  decides what a platform may show ("exists yet", "as of now"). Moving the clock
  never rewrites the past, which is what lets tests reconcile a warehouse built
  on Monday with the truth computed on Friday.
* **Lifetime totals + a settling curve.** A post's counters are drawn once as
  lifetime totals; the value "as of the end of UTC day d" is
  `floor(total * f(d - post day))` with f = 0.55, 0.85, 0.97, then 1. This is
  monotone and stops moving after three days, like real insights do, which is
  what the warehouse's re-read window must cope with. Comments are real objects
  with timestamps (at most 70 h after the post); their count as of a day is the
  number created before that day ends.
* **Page daily series are sums of post deltas plus a baseline**, so the page's
  views/engagements reconcile with its posts.
* **Integers everywhere**, computed with integer arithmetic where rounding could
  otherwise differ.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from sandbox import texts
from sandbox.determinism import rng, weighted_choice
from sandbox.region import TOPICS, Account
from sandbox.timeutil import DAY, EPOCH, day_index, day_start, paris_to_utc

REACTION_TYPES: tuple[str, ...] = ("like", "love", "wow", "haha", "sorry", "anger")

SETTLING_PER_MILLE: tuple[int, ...] = (550, 850, 970, 1000)
"""f(age) in thousandths for age 0, 1, 2 and >= 3 days (integer maths: exact floors)."""

MAX_POSTS_PER_DAY = 4
COMMENT_WINDOW = timedelta(hours=70)
"""Latest comment or reply after its post: comments settle within 3 UTC days too."""

MAX_TOP_LEVEL_COMMENTS = 300  # with at most two replies each, serials stay < 1000 per post
PEOPLE_POOL_SIZE = 4000

POST_SERIAL_BASE = 10**15
COMMENT_SERIAL_BASE = 10**15


def settled_fraction_per_mille(age_days: int) -> int:
    """f(age) × 1000; 0 before the post exists."""
    if age_days < 0:
        return 0
    return SETTLING_PER_MILLE[min(age_days, len(SETTLING_PER_MILLE) - 1)]


def settle(total: int, age_days: int) -> int:
    """Value of a lifetime counter `age_days` after the post's UTC day ended."""
    return total * settled_fraction_per_mille(age_days) // 1000


def post_serial(day: date, slot: int, index: int, salt: int) -> int:
    """A 16-digit post number encoding (day, account slot, index) so ids decode without a lookup."""
    return POST_SERIAL_BASE + ((day_index(day) * 100 + slot) * 10 + index) * 1000 + salt


def decode_post_serial(serial: int) -> tuple[date, int, int] | None:
    """(day, slot, index) of a post serial, or None if it cannot be one."""
    rest = serial - POST_SERIAL_BASE
    if rest < 0:
        return None
    rest //= 1000
    index, rest = rest % 10, rest // 10
    slot, days = rest % 100, rest // 100
    try:
        return EPOCH + timedelta(days=days), slot, index
    except OverflowError:
        return None


@dataclass(frozen=True)
class Post:
    account: Account
    serial: int
    day: date
    """UTC date of created_at (posts are made 7h–20h Paris, so also the Paris date)."""
    index: int
    created_at: datetime
    topic: str
    format: str
    is_sponsored: bool
    message: str | None


@dataclass(frozen=True)
class PostTotals:
    """Lifetime totals once settled (comments excluded: they are objects)."""

    views: int
    views_paid: int
    viewers: int
    reactions: Mapping[str, int]
    shares: int
    clicks: int
    video_views: int


@dataclass(frozen=True)
class PostMetrics:
    """A post's lifetime counters as of the end of UTC day `as_of`."""

    as_of: date
    views: int
    views_paid: int
    viewers: int
    reactions: Mapping[str, int]
    shares: int
    clicks: int
    comments: int
    video_views: int

    @property
    def reactions_total(self) -> int:
        return sum(self.reactions.values())

    @property
    def engagements(self) -> int:
        return self.reactions_total + self.comments + self.shares + self.clicks


@dataclass(frozen=True)
class Person:
    id: str
    name: str

    @property
    def first_name(self) -> str:
        return self.name.split(" ", 1)[0]


@dataclass(frozen=True)
class Comment:
    serial: int
    post: Post
    created_at: datetime
    message: str
    author_id: str
    author_name: str
    parent_serial: int | None
    is_from_page: bool
    is_question: bool
    topic: str
    like_count: int
    reply_count: int


@dataclass(frozen=True)
class AccountDay:
    """An account's series for one UTC day (followers as of the end of the day)."""

    day: date
    followers: int
    follows: int
    unfollows: int
    views: int
    views_paid: int
    viewers: int
    post_engagements: int
    page_views: int
    video_views: int
    posts_published: int


_FORMAT_REACH = {"photo": 1.0, "video": 1.25, "reel": 1.7, "link": 0.7, "text": 0.55}
_TOPIC_ENGAGEMENT = {"jeunesse": 1.2, "sport": 1.15, "culture": 1.05, "transports": 0.95, "tourisme": 1.1}
_REACTION_WEIGHTS = {"like": 0.70, "love": 0.13, "wow": 0.04, "haha": 0.03, "sorry": 0.03, "anger": 0.07}
_HOUR_WEIGHTS = {7: 3, 8: 6, 9: 7, 10: 6, 11: 6, 12: 7, 13: 4, 14: 4, 15: 4, 16: 5, 17: 7, 18: 7, 19: 4}


def _poisson(generator, mean: float) -> int:
    """Knuth's Poisson draw: small means only, which is all we need."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= generator.random()
        if p <= limit:
            return k
        k += 1


def _comment_text(generator, kind: str, topic: str) -> str:
    if kind == "question":
        return texts.question(generator, topic)
    if kind == "complaint":
        return texts.complaint(generator, topic)
    if kind == "praise":
        return texts.praise(generator)
    if kind == "abusive":
        return texts.abusive(generator)
    return texts.reaction(generator)


class World:
    """The simulated world for one seed. Thread-safe; all results are cached.

    Platforms and `sandbox.truth` read the world only through these methods, so
    what an API serves and what the truth reports cannot drift apart.
    """

    def __init__(self, seed: int):
        self.seed = seed
        self._lock = threading.Lock()
        self._cumulative_net: dict[tuple[str, str], list[int]] = {}
        self.posts_on = lru_cache(maxsize=None)(self._posts_on)
        self.post_totals = lru_cache(maxsize=None)(self._post_totals)
        self.comments = lru_cache(maxsize=8192)(self._comments)
        self.person = lru_cache(maxsize=None)(self._person)
        self._follow_counts = lru_cache(maxsize=None)(self._compute_follow_counts)
        self.account_day = lru_cache(maxsize=65536)(self._account_day)

    # -- posts ---------------------------------------------------------------

    def _post_plan(self, account: Account, day: date) -> tuple[tuple[int, int], ...]:
        """(Paris second of day, id salt) of each post on `day`: cheap, no post content.

        Separate from `posts_on` so that daily follower counts, which depend on
        how many posts went out but not on what they say, stay cheap to compute
        from EPOCH onwards.
        """
        if day < EPOCH:
            return ()
        gen = rng(self.seed, "posts", account.platform, account.key, day.isoformat())
        mean = account.posts_per_day * (0.45 if day.weekday() >= 5 else 1.15)
        count = min(MAX_POSTS_PER_DAY, _poisson(gen, mean))
        hours = sorted(_HOUR_WEIGHTS)
        seconds = sorted(
            gen.choices(hours, weights=[_HOUR_WEIGHTS[h] for h in hours])[0] * 3600 + gen.randrange(3600)
            for _ in range(count)
        )
        return tuple((second, gen.randrange(1000)) for second in seconds)

    def _posts_on(self, account: Account, day: date) -> tuple[Post, ...]:
        """The account's posts created on UTC `day`, in publication order."""
        return tuple(
            self._make_post(account, day, index, second, salt)
            for index, (second, salt) in enumerate(self._post_plan(account, day))
        )

    def _make_post(self, account: Account, day: date, index: int, second: int, salt: int) -> Post:
        serial = post_serial(day, account.slot, index, salt)
        gen = rng(self.seed, "post", account.platform, account.key, serial)
        topic = weighted_choice(gen, dict(account.topic_mix))
        post_format = weighted_choice(gen, dict(account.format_mix))
        is_sponsored = gen.random() < account.sponsored_share
        message: str | None = texts.post_message(gen, topic, post_format)
        if post_format == "photo" and gen.random() < 0.03:
            message = None  # photo-only posts exist; Graph then omits `message`
        return Post(
            account=account,
            serial=serial,
            day=day,
            index=index,
            created_at=paris_to_utc(day, second),
            topic=topic,
            format=post_format,
            is_sponsored=is_sponsored,
            message=message,
        )

    def posts_between(self, account: Account, first: date, last: date) -> Iterator[Post]:
        """Posts created on UTC days first..last inclusive, oldest first."""
        day = max(first, EPOCH)
        while day <= last:
            yield from self.posts_on(account, day)
            day += DAY

    def find_post(self, account: Account, serial: int) -> Post | None:
        """The account's post with this serial, or None (no index needed: serials decode)."""
        decoded = decode_post_serial(serial)
        if decoded is None:
            return None
        day, slot, index = decoded
        if slot != account.slot:
            return None
        posts = self.posts_on(account, day)
        if index < len(posts) and posts[index].serial == serial:
            return posts[index]
        return None

    # -- post metrics ---------------------------------------------------------

    def _post_totals(self, post: Post) -> PostTotals:
        account = post.account
        gen = rng(self.seed, "totals", account.platform, account.key, post.serial)
        reach = account.reach_rate * _FORMAT_REACH[post.format] * gen.lognormvariate(0.0, 0.55)
        boost = gen.uniform(1.8, 3.2)
        paid_share = gen.uniform(0.35, 0.7)
        if post.is_sponsored:
            reach *= boost
        views = max(30, int(account.base_followers * reach))
        views_paid = int(views * paid_share) if post.is_sponsored else 0
        viewers = int(views * gen.uniform(0.55, 0.85))
        interactions = (
            views * account.engagement_rate * _TOPIC_ENGAGEMENT.get(post.topic, 1.0) * gen.lognormvariate(0.0, 0.35)
        )
        weights = {t: w * gen.uniform(0.5, 1.5) for t, w in _REACTION_WEIGHTS.items()}
        if post.topic == "transports":
            weights["anger"] *= 2.0
        reactions_total = int(interactions * 0.8)
        norm = sum(weights.values())
        reactions = {t: int(reactions_total * weights[t] / norm) for t in REACTION_TYPES}
        reactions["like"] += reactions_total - sum(reactions.values())
        shares = int(interactions * gen.uniform(0.04, 0.14))
        clicks = int(views * gen.uniform(0.008, 0.03) * (2.5 if post.format == "link" else 1.0))
        video_share = gen.uniform(0.35, 0.65)
        video_views = int(views * video_share) if post.format in ("video", "reel") else 0
        return PostTotals(
            views=views,
            views_paid=views_paid,
            viewers=viewers,
            reactions=reactions,
            shares=shares,
            clicks=clicks,
            video_views=video_views,
        )

    def post_metrics(self, post: Post, as_of: date) -> PostMetrics:
        """The post's counters as of the end of UTC day `as_of` (zeros before it exists)."""
        totals = self.post_totals(post)
        age = (as_of - post.day).days
        return PostMetrics(
            as_of=as_of,
            views=settle(totals.views, age),
            views_paid=settle(totals.views_paid, age),
            viewers=settle(totals.viewers, age),
            reactions={t: settle(n, age) for t, n in totals.reactions.items()},
            shares=settle(totals.shares, age),
            clicks=settle(totals.clicks, age),
            comments=len(self.comments_before(post, day_start(as_of + DAY))),
            video_views=settle(totals.video_views, age),
        )

    # -- comments -------------------------------------------------------------

    def _person(self, number: int) -> Person:
        gen = rng(self.seed, "person", number)
        number_id = 100_000_000_000_000 + number * 1_000_000 + gen.randrange(1_000_000)
        return Person(id=str(number_id), name=texts.person_name(gen))

    def _comments(self, post: Post) -> tuple[Comment, ...]:
        """Every comment and reply the post will ever get, in chronological order."""
        account = post.account
        gen = rng(self.seed, "comments", account.platform, account.key, post.serial)
        transports = post.topic == "transports"
        expected = (
            self.post_totals(post).views
            * account.comment_rate
            * (2.0 if transports else 1.0)
            * gen.lognormvariate(0, 0.4)
        )
        window = int(COMMENT_WINDOW.total_seconds())
        drafts: list[dict] = []

        def add(offset: int, **fields) -> dict:
            draft = {"offset": offset, "order": len(drafts), "parent": None, **fields}
            drafts.append(draft)
            return draft

        for _ in range(min(MAX_TOP_LEVEL_COMMENTS, int(expected))):
            offset = 30 + int((window - 30) * gen.random() ** 2.6)
            person = self.person(int(PEOPLE_POOL_SIZE * gen.random() ** 1.8))
            kind = gen.choices(
                ("question", "praise", "complaint", "abusive", "reaction"),
                weights=(50, 18, 22, 5, 5) if transports else (36, 30, 15, 4, 15),
            )[0]
            topic = post.topic
            if kind == "question" and gen.random() < 0.25:
                topic = "transports" if gen.random() < 0.6 else gen.choice(TOPICS)
            message = _comment_text(gen, kind, topic)
            likes = int(gen.paretovariate(2.0)) - 1 + (3 if kind == "praise" else 0)
            top = add(offset, person=person, message=message, question=kind == "question", topic=topic, likes=likes)
            answer_roll, reply_roll = gen.random(), gen.random()
            if kind == "question" and answer_roll < account.reply_rate and offset + 3600 <= window:
                delay = gen.randint(3600, min(30 * 3600, window - offset))
                add(
                    offset + delay,
                    person=None,
                    message=texts.page_reply(gen, topic, person.first_name),
                    question=False,
                    topic=topic,
                    likes=gen.randint(0, 6),
                    parent=top,
                )
            if reply_roll < 0.08 and offset + 120 <= window:
                delay = gen.randint(120, min(10 * 3600, window - offset))
                replier = self.person(gen.randrange(PEOPLE_POOL_SIZE))
                add(
                    offset + delay,
                    person=replier,
                    message=texts.user_reply(gen),
                    question=False,
                    topic=post.topic,
                    likes=gen.randint(0, 3),
                    parent=top,
                )

        drafts.sort(key=lambda d: (d["offset"], d["order"]))
        base = COMMENT_SERIAL_BASE + (post.serial - POST_SERIAL_BASE) * 1000
        for position, draft in enumerate(drafts):
            draft["serial"] = base + position
        replies: dict[int, int] = {}
        for draft in drafts:
            if draft["parent"] is not None:
                replies[draft["parent"]["order"]] = replies.get(draft["parent"]["order"], 0) + 1
        return tuple(
            Comment(
                serial=d["serial"],
                post=post,
                created_at=post.created_at + timedelta(seconds=d["offset"]),
                message=d["message"],
                author_id=d["person"].id if d["person"] else account.account_id,
                author_name=d["person"].name if d["person"] else account.name,
                parent_serial=d["parent"]["serial"] if d["parent"] is not None else None,
                is_from_page=d["person"] is None,
                is_question=d["question"],
                topic=d["topic"],
                like_count=max(0, d["likes"]),
                reply_count=replies.get(d["order"], 0),
            )
            for d in drafts
        )

    def comments_before(self, post: Post, instant: datetime) -> tuple[Comment, ...]:
        """Comments (and replies) created strictly before `instant`."""
        comments = self.comments(post)
        times = [c.created_at for c in comments]
        return comments[: bisect.bisect_left(times, instant)]

    # -- account daily series -------------------------------------------------

    def _compute_follow_counts(self, account: Account, day: date) -> tuple[int, int]:
        """(follows, unfollows) on `day`: a base rate, boosted by each post of the day."""
        gen = rng(self.seed, "follows", account.platform, account.key, day.isoformat())
        posts = len(self._post_plan(account, day))
        base = account.base_followers
        follows = int(base * 0.00012 * gen.uniform(0.6, 1.5) + posts * base * gen.uniform(0.00004, 0.0001))
        unfollows = int(base * 0.0001 * gen.uniform(0.5, 1.6) + posts * base * gen.uniform(0.0, 0.00004))
        return follows, unfollows

    def followers(self, account: Account, day: date) -> int:
        """Followers at the end of UTC `day`: base + cumulative net follows since EPOCH."""
        if day < EPOCH:
            return account.base_followers
        key = (account.platform, account.key)
        target = day_index(day)
        with self._lock:
            cumulative = self._cumulative_net.setdefault(key, [])
            while len(cumulative) <= target:
                follows, unfollows = self._follow_counts(account, EPOCH + timedelta(days=len(cumulative)))
                cumulative.append((cumulative[-1] if cumulative else 0) + follows - unfollows)
            return account.base_followers + cumulative[target]

    def _account_day(self, account: Account, day: date) -> AccountDay:
        if day < EPOCH:
            raise ValueError(f"{day} is before the world's EPOCH {EPOCH}")
        gen = rng(self.seed, "account-day", account.platform, account.key, day.isoformat())
        weekend = day.weekday() >= 5
        baseline_views = int(account.base_followers * gen.uniform(0.008, 0.02) * (0.8 if weekend else 1.0))
        viewer_share = gen.uniform(0.6, 0.8)
        profile_views = int(account.base_followers * gen.uniform(0.0015, 0.004))
        profile_per_view = gen.uniform(0.002, 0.004)

        views = views_paid = engagements = video_views = 0
        for post in self.posts_between(account, day - timedelta(days=len(SETTLING_PER_MILLE) - 1), day):
            now, before = self.post_metrics(post, day), self.post_metrics(post, day - DAY)
            views += now.views - before.views
            views_paid += now.views_paid - before.views_paid
            engagements += now.engagements - before.engagements
            video_views += now.video_views - before.video_views
        views += baseline_views
        follows, unfollows = self._follow_counts(account, day)
        return AccountDay(
            day=day,
            followers=self.followers(account, day),
            follows=follows,
            unfollows=unfollows,
            views=views,
            views_paid=views_paid,
            viewers=int(views * viewer_share),
            post_engagements=engagements,
            page_views=profile_views + int(views * profile_per_view),
            video_views=video_views,
            posts_published=len(self.posts_on(account, day)),
        )
