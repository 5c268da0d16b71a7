"""The region's Instagram professional accounts (Instagram API with Facebook Login).

Ids look like real IG user ids (17 digits starting with 178414). Instagram has no
link or text-only posts, so `format_mix` holds only photo, video and reel: the
world then draws IG posts from those formats alone (see sandbox/platforms/instagram.py
for how they map to media_type / media_product_type).
"""

from __future__ import annotations

from types import MappingProxyType

from sandbox.region import Account, _audience

ACCOUNTS: tuple[Account, ...] = (
    Account(
        platform="instagram",
        key="ig_region_main",
        account_id="17841400000110001",
        name="Région Val-d'Argent",
        slot=1,
        username="regionvaldargent",
        category="Government Organization",
        base_followers=64_000,
        posts_per_day=1.1,
        topic_mix=MappingProxyType(
            {
                "tourisme": 0.22,
                "culture": 0.18,
                "environnement": 0.12,
                "sport": 0.10,
                "transports": 0.08,
                "lycees": 0.08,
                "emploi": 0.08,
                "agriculture": 0.07,
                "jeunesse": 0.07,
            }
        ),
        format_mix=MappingProxyType({"photo": 0.55, "video": 0.10, "reel": 0.35}),
        audience=_audience(
            {"13-17": 3, "18-24": 16, "25-34": 30, "35-44": 24, "45-54": 15, "55-64": 8, "65+": 4},
            female=0.60,
            unknown=0.03,
        ),
        reach_rate=0.30,
        engagement_rate=0.045,
        comment_rate=0.0004,
        reply_rate=0.4,
    ),
    Account(
        platform="instagram",
        key="ig_region_jeunesse",
        account_id="17841400000110002",
        name="Val-d'Argent Jeunesse",
        slot=2,
        username="valdargent.jeunesse",
        category="Community Organization",
        base_followers=18_500,
        posts_per_day=0.9,
        topic_mix=MappingProxyType({"jeunesse": 0.42, "lycees": 0.25, "sport": 0.18, "culture": 0.15}),
        format_mix=MappingProxyType({"photo": 0.40, "video": 0.08, "reel": 0.52}),
        audience=_audience(
            {"13-17": 24, "18-24": 38, "25-34": 18, "35-44": 9, "45-54": 6, "55-64": 3, "65+": 2},
            female=0.58,
            unknown=0.04,
        ),
        reach_rate=0.34,
        engagement_rate=0.06,
        comment_rate=0.0006,
        reply_rate=0.55,
    ),
)
