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
* **Comments follow people's day.** A comment's delay after its post decays
  (most come in the first hours) and is thinned by a diurnal curve of the Paris
  wall clock (`COMMENT_HOUR_WEIGHTS`: few at night, peaks at lunch and in the
  evening). The community managers answer questions during their working hours
  only (`WORKING_HOURS`, Paris; a short weekend duty), after a service time of
  minutes to hours, so a question asked on Friday night waits until Saturday's
  duty. Scheduled incidents (`sandbox.incidents`) add surges of comments on the
  incident's topic to the accounts' live posts.
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

from sandbox import incidents, texts
from sandbox.determinism import rng, weighted_choice
from sandbox.incidents import MAX_SURGE_PER_POST, SURGE_MAX_POST_AGE, SURGE_MIN_POST_AGE, Incident
from sandbox.region import TOPICS, Account
from sandbox.timeutil import DAY, EPOCH, day_index, day_start, paris_to_utc, paris_utc_offset_hours

REACTION_TYPES: tuple[str, ...] = ("like", "love", "wow", "haha", "sorry", "anger")

SETTLING_PER_MILLE: tuple[int, ...] = (550, 850, 970, 1000)
"""f(age) in thousandths for age 0, 1, 2 and >= 3 days (integer maths: exact floors)."""

MAX_POSTS_PER_DAY = 4
COMMENT_WINDOW = timedelta(hours=70)
"""Latest comment or reply after its post: comments settle within 3 UTC days too."""

MAX_TOP_LEVEL_COMMENTS = 300  # with at most two replies each, serials stay < 1000 per post
MAX_COMMENTS_PER_POST = 999
"""Comment serials are `post serial x 1000 + position`: a post never holds more."""
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
    incident_id: str | None = None
    """The scheduled incident (sandbox.incidents) this comment or its answer belongs to."""


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

COMMENT_HOUR_WEIGHTS: tuple[float, ...] = (
    # Paris hour 0..23: relative commenting activity (max 1.0): night, commute, lunch, evening
    0.12, 0.06, 0.03, 0.03, 0.04, 0.10, 0.30, 0.55, 0.70, 0.70, 0.65, 0.70,
    0.95, 1.00, 0.70, 0.60, 0.60, 0.70, 0.85, 0.95, 1.00, 0.90, 0.60, 0.30,
)  # fmt: skip
"""A comment's time is redrawn until the wall clock accepts it with this probability."""

WORKING_HOURS: Mapping[int, tuple[int, int]] = {
    **{weekday: (8 * 3600 + 1800, 18 * 3600 + 1800) for weekday in range(5)},  # Mon-Fri 8:30-18:30
    5: (10 * 3600, 12 * 3600),  # weekend duty 10:00-12:00
    6: (10 * 3600, 12 * 3600),
}
"""When the community managers answer (Paris wall clock, seconds of the day, by weekday)."""

REPLY_SERVICE_MEDIAN_SECONDS = 40 * 60
"""Median working time between a question and its answer (log-normal, sigma 1)."""


def paris_offset_at(moment: datetime) -> timedelta:
    """UTC offset of Paris at a UTC instant (the switch happens at 01:00 UTC)."""
    return timedelta(hours=paris_utc_offset_hours((moment - timedelta(hours=1)).date()))


def paris_hour(moment: datetime) -> int:
    """Hour of the Paris wall clock at a UTC instant."""
    return (moment + paris_offset_at(moment)).hour


def working_time_after(asked: datetime, seconds: float) -> datetime:
    """The instant `seconds` of community-manager working time after `asked` (UTC)."""
    remaining = timedelta(seconds=seconds)
    local_day = (asked + paris_offset_at(asked)).date() - DAY
    while True:
        opens, closes = WORKING_HOURS[local_day.weekday()]
        start, end = paris_to_utc(local_day, opens), paris_to_utc(local_day, closes)
        if end > asked:
            start = max(start, asked)
            if start + remaining <= end:
                return start + remaining
            remaining -= end - start
        local_day += DAY


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
        text = texts.complaint(generator, topic)
        if generator.random() < 0.2:  # people tag some complaints with the topic's hashtag
            text = f"{text} {texts.comment_hashtag(generator, topic)}"
        return text
    if kind == "praise":
        return texts.praise(generator)
    if kind == "abusive":
        return texts.abusive(generator)
    return texts.reaction(generator)


def _unchanged(value: int) -> int:
    return value


@dataclass(frozen=True)
class LateCorrection:
    """A platform restating settled counters: the fault campaign's `late_correction`.

    A deterministic `share` of the platform's posts (drawn from the seed and the post)
    get their lifetime counters (views, paid views, viewers, reactions, clicks, video
    views; not comments, which are objects, nor shares) scaled by `percent` % from
    `after_days` days after publication on. The post has settled by then (day 3), so
    the account daily series, made of the settling increases, are not restated: a
    platform correcting a post rarely revisits the account's day.
    """

    share: float = 0.25
    after_days: int = 7
    percent: int = 4

    def __post_init__(self) -> None:
        if not 0 < self.share <= 1:
            raise ValueError("late_correction share must be in (0, 1]")
        if self.after_days < len(SETTLING_PER_MILLE):
            raise ValueError(f"late_correction after_days must be >= {len(SETTLING_PER_MILLE)} (once settled)")
        if self.percent <= -100:
            raise ValueError("late_correction percent must be > -100")

    def hits(self, seed: int, post: Post) -> bool:
        return rng(seed, "late-correction", post.account.platform, post.account.key, post.serial).random() < self.share

    def apply(self, value: int) -> int:
        return value * (100 + self.percent) // 100


class World:
    """The simulated world for one seed. Thread-safe; all results are cached.

    Platforms and `sandbox.truth` read the world only through these methods, so
    what an API serves and what the truth reports cannot drift apart.
    """

    def __init__(self, seed: int, corrections: Mapping[str, LateCorrection] | None = None):
        self.seed = seed
        self.corrections: Mapping[str, LateCorrection] = dict(corrections or {})
        """Late corrections per platform (fault `late_correction`); replaced whole, never mutated."""
        self._lock = threading.Lock()
        self._cumulative_net: dict[tuple[str, str], list[int]] = {}
        self.posts_on = lru_cache(maxsize=None)(self._posts_on)
        self.post_totals = lru_cache(maxsize=None)(self._post_totals)
        self.comments = lru_cache(maxsize=8192)(self._comments)
        self.surge = lru_cache(maxsize=1024)(self._surge)
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
        correction = self.corrections.get(post.account.platform)
        corrected = correction is not None and age >= correction.after_days and correction.hits(self.seed, post)
        fix = correction.apply if corrected and correction is not None else _unchanged
        return PostMetrics(
            as_of=as_of,
            views=fix(settle(totals.views, age)),
            views_paid=fix(settle(totals.views_paid, age)),
            viewers=fix(settle(totals.viewers, age)),
            reactions={t: fix(settle(n, age)) for t, n in totals.reactions.items()},
            shares=settle(totals.shares, age),
            clicks=fix(settle(totals.clicks, age)),
            comments=len(self.comments_before(post, day_start(as_of + DAY))),
            video_views=fix(settle(totals.video_views, age)),
        )

    # -- comments -------------------------------------------------------------

    def _person(self, number: int) -> Person:
        gen = rng(self.seed, "person", number)
        number_id = 100_000_000_000_000 + number * 1_000_000 + gen.randrange(1_000_000)
        return Person(id=str(number_id), name=texts.person_name(gen))

    @staticmethod
    def _comment_offset(gen, created_at: datetime, window: int) -> int:
        """Seconds after the post: decaying from publication, thinned by the Paris wall clock."""
        for _ in range(50):
            offset = 30 + int((window - 30) * gen.random() ** 2.6)
            if gen.random() < COMMENT_HOUR_WEIGHTS[paris_hour(created_at + timedelta(seconds=offset))]:
                break
        return offset

    @staticmethod
    def _user_reply_offset(gen, created_at: datetime, parent_offset: int) -> int:
        """Seconds after the post of someone's reply: minutes to hours after its parent, by day."""
        for _ in range(50):
            offset = parent_offset + 60 + int(gen.lognormvariate(math.log(1800), 1.3))
            if gen.random() < COMMENT_HOUR_WEIGHTS[paris_hour(created_at + timedelta(seconds=offset))]:
                break
        return offset

    @staticmethod
    def _answer_offset(created_at: datetime, question_offset: int, service_seconds: float) -> int:
        """Seconds after the post of the community manager's answer (working hours only)."""
        asked = created_at + timedelta(seconds=question_offset)
        answered = working_time_after(asked, max(60.0, service_seconds))  # a minute at least
        return int((answered - created_at).total_seconds())

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
            draft = {"offset": offset, "order": len(drafts), "parent": None, "incident": None, **fields}
            drafts.append(draft)
            return draft

        for _ in range(min(MAX_TOP_LEVEL_COMMENTS, int(expected))):
            offset = self._comment_offset(gen, post.created_at, window)
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
            service = gen.lognormvariate(math.log(REPLY_SERVICE_MEDIAN_SECONDS), 1.0)
            if kind == "question" and answer_roll < account.reply_rate:
                answer_offset = self._answer_offset(post.created_at, offset, service)
                if answer_offset <= window:
                    add(
                        answer_offset,
                        person=None,
                        message=texts.page_reply(gen, topic, person.first_name),
                        question=False,
                        topic=topic,
                        likes=gen.randint(0, 6),
                        parent=top,
                    )
            if reply_roll < 0.08:
                reply_offset = self._user_reply_offset(gen, post.created_at, offset)
                if reply_offset <= window:
                    replier = self.person(gen.randrange(PEOPLE_POOL_SIZE))
                    add(
                        reply_offset,
                        person=replier,
                        message=texts.user_reply(gen),
                        question=False,
                        topic=post.topic,
                        likes=gen.randint(0, 3),
                        parent=top,
                    )

        capacity = MAX_COMMENTS_PER_POST - len(drafts)
        for incident in incidents.incidents_overlapping(post.created_at, post.created_at + COMMENT_WINDOW):
            for entry in self.surge(incident, account).get(post.serial, ()):
                answer = entry["answer"]
                if capacity < (2 if answer else 1):
                    break  # never in practice: a post's serials must stay below 1,000
                capacity -= 2 if answer else 1
                top = add(
                    entry["offset"],
                    person=self.person(entry["person"]),
                    message=entry["message"],
                    question=entry["question"],
                    topic=incident.kind.topic,
                    likes=entry["likes"],
                    incident=incident.incident_id,
                )
                if answer:
                    add(
                        answer["offset"],
                        person=None,
                        message=answer["message"],
                        question=False,
                        topic=incident.kind.topic,
                        likes=answer["likes"],
                        parent=top,
                        incident=incident.incident_id,
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
                incident_id=d["incident"],
            )
            for d in drafts
        )

    def _surge(self, incident: Incident, account: Account) -> Mapping[int, tuple[dict, ...]]:
        """The incident's extra comments (and answers) on the account's posts, by post serial.

        Each hour of the incident draws from its own generator, so an hour's comments do
        not depend on the others. A comment goes to one of the posts live at its time
        (newest most likely); with none live, it is not written.
        """
        kind = incident.kind
        share = kind.shares.get(account.key, 0.0)
        if share <= 0.0:
            return {}
        window = int(COMMENT_WINDOW.total_seconds())
        posts = list(self.posts_between(account, (incident.start - SURGE_MAX_POST_AGE).date(), incident.end.date()))
        placed: dict[int, list[dict]] = {}
        load: dict[int, int] = {}
        for index, (hour, factor) in enumerate(incident.hours):
            gen = rng(self.seed, "surge", incident.incident_id, account.platform, account.key, index)
            for _ in range(_poisson(gen, kind.peak_per_hour * share * factor)):
                at = hour + timedelta(seconds=gen.randrange(3600))
                comment_kind = weighted_choice(gen, dict(kind.mix))
                person = int(PEOPLE_POOL_SIZE * gen.random() ** 1.8)
                message = texts.incident_comment(gen, kind.kind, comment_kind)
                likes = int(gen.paretovariate(2.0)) - 1
                answer_roll = gen.random()
                service = gen.lognormvariate(math.log(REPLY_SERVICE_MEDIAN_SECONDS), 1.0)
                live = [
                    p
                    for p in posts
                    if p.created_at + SURGE_MIN_POST_AGE <= at < p.created_at + SURGE_MAX_POST_AGE
                    and load.get(p.serial, 0) < MAX_SURGE_PER_POST - 1
                ]
                if not live:
                    continue
                ages = [(at - p.created_at).total_seconds() / 3600 for p in live]
                post = gen.choices(live, weights=[1.0 / (1.0 + age / 6.0) for age in ages])[0]
                offset = int((at - post.created_at).total_seconds())
                entry = {
                    "offset": offset,
                    "person": person,
                    "message": message,
                    "question": comment_kind == "question",
                    "likes": likes,
                    "answer": None,
                }
                if comment_kind == "question" and answer_roll < account.reply_rate * kind.reply_factor:
                    answer_offset = self._answer_offset(post.created_at, offset, service)
                    if answer_offset <= window:
                        entry["answer"] = {
                            "offset": answer_offset,
                            "message": texts.incident_reply(gen, kind.kind, self.person(person).first_name),
                            "likes": gen.randint(0, 6),
                        }
                placed.setdefault(post.serial, []).append(entry)
                load[post.serial] = load.get(post.serial, 0) + (2 if entry["answer"] else 1)
        return {serial: tuple(entries) for serial, entries in placed.items()}

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
