"""The region's Bluesky account: one main account, identified by its DID.

Bluesky has no ads, so `sponsored_share` is 0; no reels either (short videos are
plain video posts). The audience is younger and smaller than on Facebook; the
world uses it only to size posts and comments (Bluesky serves no demographics).
"""

from __future__ import annotations

from types import MappingProxyType

from sandbox.region import Account, _audience

ACCOUNTS: tuple[Account, ...] = (
    Account(
        platform="bluesky",
        key="bsky_region_main",
        account_id="did:plc:vq3kzrg4xwm2e7aiyo5hnb6t",
        name="Région Val-d'Argent",
        slot=1,
        username="valdargent.bsky.social",
        category="Government Organization",
        base_followers=6_800,
        posts_per_day=1.3,
        topic_mix=MappingProxyType(
            {
                "transports": 0.16,
                "lycees": 0.08,
                "environnement": 0.16,
                "emploi": 0.12,
                "culture": 0.14,
                "sport": 0.06,
                "tourisme": 0.10,
                "sante": 0.06,
                "agriculture": 0.05,
                "jeunesse": 0.07,
            }
        ),
        format_mix=MappingProxyType({"photo": 0.45, "video": 0.08, "link": 0.30, "text": 0.17}),
        audience=_audience(
            {"13-17": 2, "18-24": 14, "25-34": 28, "35-44": 24, "45-54": 16, "55-64": 10, "65+": 6},
            female=0.50,
            unknown=0.05,
        ),
        sponsored_share=0.0,
        reach_rate=0.30,
        engagement_rate=0.04,
        comment_rate=0.0025,
        reply_rate=0.4,
    ),
)
