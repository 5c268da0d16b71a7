"""The fictional region "Région Val-d'Argent" and the accounts it runs.

This is the only place where the region's accounts are described. The world
(`sandbox.world`) derives everything else from these parameters and a seed; the
platform simulators (`sandbox.platforms.*`) only format what the world says.
Facebook Page ids, keys and names must match `config/accounts.yml`.

Each account carries an audience split by age bucket and gender. Facebook stopped
serving age/gender Page insights in 2024, so the Facebook simulator ignores it;
it is part of the world model for the platforms that still expose demographics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

REGION_NAME = "Région Val-d'Argent"
TIMEZONE = "Europe/Paris"

TOPICS: tuple[str, ...] = (
    "transports",
    "lycees",
    "environnement",
    "emploi",
    "culture",
    "sport",
    "tourisme",
    "sante",
    "agriculture",
    "jeunesse",
)

FORMATS: tuple[str, ...] = ("photo", "video", "link", "text", "reel")

AGE_BUCKETS: tuple[str, ...] = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS: tuple[str, ...] = ("F", "M", "U")


def _audience(age_weights: Mapping[str, float], female: float, unknown: float) -> Mapping[tuple[str, str], float]:
    """Audience shares by (age bucket, gender), summing to 1.

    Built as age share × gender share: real splits are not independent, but the
    sandbox only needs plausible, stable fractions.
    """
    total_age = sum(age_weights.values())
    gender = {"F": female, "M": 1.0 - female - unknown, "U": unknown}
    shares = {(age, g): age_weights[age] / total_age * gender[g] for age in AGE_BUCKETS for g in GENDERS}
    return MappingProxyType(shares)


@dataclass(frozen=True)
class Account:
    """One account of the region on one platform, with its behavioural parameters."""

    platform: str
    key: str
    account_id: str
    name: str
    slot: int
    """Small stable number, unique per platform; part of generated post serials."""
    username: str
    category: str
    base_followers: int
    """Followers on EPOCH; the world adds net follows day by day from there."""
    posts_per_day: float
    topic_mix: Mapping[str, float]
    format_mix: Mapping[str, float]
    audience: Mapping[tuple[str, str], float] = field(repr=False)
    sponsored_share: float = 0.10
    reach_rate: float = 0.22
    """Typical post views as a fraction of followers."""
    engagement_rate: float = 0.035
    """Typical interactions (reactions, shares, comments) per post view."""
    comment_rate: float = 0.0005
    """Typical top-level comments per post view, before topic adjustments."""
    reply_rate: float = 0.5
    """Share of questions the community managers answer."""

    def __hash__(self) -> int:
        # Mappings are unhashable; (platform, key) identifies an account.
        return hash((self.platform, self.key))


_FB_FORMATS = {"photo": 0.42, "video": 0.12, "link": 0.22, "text": 0.09, "reel": 0.15}

_FACEBOOK: tuple[Account, ...] = (
    Account(
        platform="facebook",
        key="region_main",
        account_id="112233445566001",
        name="Région Val-d'Argent",
        slot=1,
        username="RegionValdArgent",
        category="Government Organization",
        base_followers=185_000,
        posts_per_day=2.1,
        topic_mix=MappingProxyType(
            {
                "transports": 0.16,
                "lycees": 0.10,
                "environnement": 0.12,
                "emploi": 0.13,
                "culture": 0.11,
                "sport": 0.08,
                "tourisme": 0.11,
                "sante": 0.07,
                "agriculture": 0.07,
                "jeunesse": 0.05,
            }
        ),
        format_mix=MappingProxyType(_FB_FORMATS),
        audience=_audience(
            {"13-17": 1, "18-24": 7, "25-34": 17, "35-44": 22, "45-54": 22, "55-64": 18, "65+": 13},
            female=0.55,
            unknown=0.02,
        ),
        reply_rate=0.45,
    ),
    Account(
        platform="facebook",
        key="region_transports",
        account_id="112233445566002",
        name="Val-d'Argent Mobilités",
        slot=2,
        username="ValdArgentMobilites",
        category="Transportation Service",
        base_followers=42_000,
        posts_per_day=1.7,
        topic_mix=MappingProxyType({"transports": 0.86, "environnement": 0.06, "tourisme": 0.05, "lycees": 0.03}),
        format_mix=MappingProxyType({"photo": 0.38, "video": 0.06, "link": 0.30, "text": 0.20, "reel": 0.06}),
        audience=_audience(
            {"13-17": 3, "18-24": 16, "25-34": 22, "35-44": 20, "45-54": 17, "55-64": 13, "65+": 9},
            female=0.52,
            unknown=0.03,
        ),
        reach_rate=0.30,
        comment_rate=0.0012,
        reply_rate=0.7,
    ),
    Account(
        platform="facebook",
        key="region_jeunesse",
        account_id="112233445566003",
        name="Val-d'Argent Jeunesse",
        slot=3,
        username="ValdArgentJeunesse",
        category="Community Organization",
        base_followers=23_000,
        posts_per_day=1.2,
        topic_mix=MappingProxyType({"jeunesse": 0.40, "lycees": 0.28, "sport": 0.17, "culture": 0.15}),
        format_mix=MappingProxyType({"photo": 0.36, "video": 0.14, "link": 0.12, "text": 0.06, "reel": 0.32}),
        audience=_audience(
            {"13-17": 22, "18-24": 34, "25-34": 16, "35-44": 10, "45-54": 9, "55-64": 6, "65+": 3},
            female=0.57,
            unknown=0.04,
        ),
        reach_rate=0.26,
        engagement_rate=0.05,
        reply_rate=0.6,
    ),
)


def accounts(platform: str | None = None) -> tuple[Account, ...]:
    """The region's accounts, optionally restricted to one platform."""
    return tuple(a for a in ACCOUNTS if platform is None or a.platform == platform)


def account_by_id(platform: str, account_id: str) -> Account | None:
    """The account with this platform id, or None."""
    return next((a for a in accounts(platform) if a.account_id == account_id), None)


def account_by_slot(platform: str, slot: int) -> Account | None:
    """The account owning a slot number (decoded from a post serial), or None."""
    return next((a for a in accounts(platform) if a.slot == slot), None)


def platforms() -> tuple[str, ...]:
    """Platforms on which the region has at least one account, in first-seen order."""
    return tuple(dict.fromkeys(a.platform for a in ACCOUNTS))


def _check() -> None:
    """Fail at import if the table above breaks an invariant the world relies on."""
    for platform in platforms():
        slots = [a.slot for a in accounts(platform)]
        ids = [a.account_id for a in accounts(platform)]
        if len(set(slots)) != len(slots) or len(set(ids)) != len(ids):
            raise ValueError(f"duplicate slot or id among {platform} accounts")
        if any(not 0 <= s < 100 for s in slots):
            raise ValueError("account slots must be in 0..99 (post serial layout)")
    for account in ACCOUNTS:
        unknown = set(account.topic_mix) - set(TOPICS) or set(account.format_mix) - set(FORMATS)
        if unknown:
            raise ValueError(f"{account.key}: unknown topic/format {sorted(unknown)}")
        if abs(sum(account.audience.values()) - 1.0) > 1e-9:
            raise ValueError(f"{account.key}: audience shares do not sum to 1")


# Accounts on the other platforms live beside each other in sandbox/accounts/, one
# module per platform, so that adding a platform touches no other platform's table.
# Imported here, after Account is defined, because those modules build Accounts.
from sandbox.accounts import bluesky, instagram, linkedin, mastodon, x  # noqa: E402

ACCOUNTS: tuple[Account, ...] = (
    *_FACEBOOK,
    *instagram.ACCOUNTS,
    *linkedin.ACCOUNTS,
    *x.ACCOUNTS,
    *bluesky.ACCOUNTS,
    *mastodon.ACCOUNTS,
)

_check()
