"""The region's LinkedIn Pages (organizations), served by `sandbox.platforms.linkedin`.

LinkedIn organization ids are plain integers (the `{id}` of
`urn:li:organization:{id}`), typically 5 to 9 digits for public bodies. The
audiences are older and more professional than on Facebook (LinkedIn members are
18+), the pages post less often and get fewer but more clicky interactions.
LinkedIn has no reel: the world formats offered here are photo, video, link and
text (a LinkedIn "video" post covers what other networks call a reel).

Keys carry the `li_` prefix because account keys must be unique across every
platform in config/accounts.yml.
"""

from __future__ import annotations

from types import MappingProxyType

from sandbox.region import Account, _audience

ACCOUNTS: tuple[Account, ...] = (
    Account(
        platform="linkedin",
        key="li_region_main",
        account_id="10493217",
        name="Région Val-d'Argent",
        slot=1,
        username="region-val-d-argent",
        category="Government Administration",
        base_followers=38_000,
        posts_per_day=0.9,
        topic_mix=MappingProxyType(
            {
                "emploi": 0.26,
                "transports": 0.12,
                "environnement": 0.14,
                "lycees": 0.08,
                "culture": 0.08,
                "tourisme": 0.08,
                "agriculture": 0.10,
                "sante": 0.07,
                "jeunesse": 0.04,
                "sport": 0.03,
            }
        ),
        format_mix=MappingProxyType({"photo": 0.40, "video": 0.12, "link": 0.33, "text": 0.15}),
        audience=_audience(
            {"13-17": 0, "18-24": 9, "25-34": 30, "35-44": 27, "45-54": 20, "55-64": 11, "65+": 3},
            female=0.49,
            unknown=0.03,
        ),
        sponsored_share=0.12,
        reach_rate=0.35,
        engagement_rate=0.03,
        comment_rate=0.0006,
        reply_rate=0.4,
    ),
    Account(
        platform="linkedin",
        key="li_region_transports",
        account_id="10493288",
        name="Val-d'Argent Mobilités",
        slot=2,
        username="val-d-argent-mobilites",
        category="Transportation, Logistics, Supply Chain and Storage",
        base_followers=6_500,
        posts_per_day=0.6,
        topic_mix=MappingProxyType({"transports": 0.82, "emploi": 0.08, "environnement": 0.07, "tourisme": 0.03}),
        format_mix=MappingProxyType({"photo": 0.42, "video": 0.10, "link": 0.36, "text": 0.12}),
        audience=_audience(
            {"13-17": 0, "18-24": 12, "25-34": 31, "35-44": 26, "45-54": 18, "55-64": 10, "65+": 3},
            female=0.44,
            unknown=0.04,
        ),
        sponsored_share=0.06,
        reach_rate=0.40,
        engagement_rate=0.032,
        comment_rate=0.0012,
        reply_rate=0.6,
    ),
)
