"""The region's Mastodon accounts, on its own instance `social.valdargent.fr`.

Mastodon account ids are instance-local snowflake-like numbers. No ads exist on
Mastodon (`sponsored_share` 0) and no reels; audiences are small and talkative
(higher comment rates than on Facebook).
"""

from __future__ import annotations

from types import MappingProxyType

from sandbox.region import Account, _audience

INSTANCE = "social.valdargent.fr"

ACCOUNTS: tuple[Account, ...] = (
    Account(
        platform="mastodon",
        key="masto_region_main",
        account_id="109384756201938475",
        name="Région Val-d'Argent",
        slot=1,
        username="valdargent",
        category="Government Organization",
        base_followers=3_900,
        posts_per_day=1.1,
        topic_mix=MappingProxyType(
            {
                "transports": 0.15,
                "lycees": 0.08,
                "environnement": 0.18,
                "emploi": 0.11,
                "culture": 0.15,
                "sport": 0.05,
                "tourisme": 0.09,
                "sante": 0.07,
                "agriculture": 0.06,
                "jeunesse": 0.06,
            }
        ),
        format_mix=MappingProxyType({"photo": 0.42, "video": 0.06, "link": 0.34, "text": 0.18}),
        audience=_audience(
            {"13-17": 1, "18-24": 10, "25-34": 27, "35-44": 27, "45-54": 18, "55-64": 11, "65+": 6},
            female=0.40,
            unknown=0.10,
        ),
        sponsored_share=0.0,
        reach_rate=0.35,
        engagement_rate=0.045,
        comment_rate=0.003,
        reply_rate=0.5,
    ),
    Account(
        platform="mastodon",
        key="masto_region_transports",
        account_id="109384756201938611",
        name="Val-d'Argent Mobilités",
        slot=2,
        username="mobilites",
        category="Transportation Service",
        base_followers=1_400,
        posts_per_day=0.9,
        topic_mix=MappingProxyType({"transports": 0.88, "environnement": 0.07, "tourisme": 0.05}),
        format_mix=MappingProxyType({"photo": 0.30, "link": 0.35, "text": 0.35}),
        audience=_audience(
            {"13-17": 2, "18-24": 14, "25-34": 26, "35-44": 24, "45-54": 17, "55-64": 11, "65+": 6},
            female=0.38,
            unknown=0.10,
        ),
        sponsored_share=0.0,
        reach_rate=0.40,
        comment_rate=0.006,
        reply_rate=0.75,
    ),
)
