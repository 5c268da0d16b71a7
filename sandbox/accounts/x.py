"""The region's X accounts: the main institutional account and the transport one.

Ids are numeric X user ids (the kind `GET /2/users/by/username/:username` returns);
keys carry the `x_` prefix because config keys are unique across all platforms.
X has no reel format (short videos are ordinary video posts), so `format_mix` only
uses photo, video, link and text. X reaches a smaller share of followers than
Facebook, and the transport account posts traffic updates more often.
"""

from __future__ import annotations

from types import MappingProxyType

from sandbox.region import Account, _audience

ACCOUNTS: tuple[Account, ...] = (
    Account(
        platform="x",
        key="x_region_main",
        account_id="1187364526102884352",
        name="Région Val-d'Argent",
        slot=1,
        username="RegionValdArgent",
        category="Government",
        base_followers=48_500,
        posts_per_day=2.4,
        topic_mix=MappingProxyType(
            {
                "transports": 0.15,
                "lycees": 0.09,
                "environnement": 0.12,
                "emploi": 0.14,
                "culture": 0.11,
                "sport": 0.08,
                "tourisme": 0.10,
                "sante": 0.08,
                "agriculture": 0.08,
                "jeunesse": 0.05,
            }
        ),
        format_mix=MappingProxyType({"photo": 0.40, "video": 0.14, "link": 0.30, "text": 0.16}),
        audience=_audience(
            {"13-17": 1, "18-24": 9, "25-34": 21, "35-44": 24, "45-54": 21, "55-64": 15, "65+": 9},
            female=0.44,
            unknown=0.03,
        ),
        sponsored_share=0.06,
        reach_rate=0.14,
        engagement_rate=0.025,
        comment_rate=0.0006,
        reply_rate=0.35,
    ),
    Account(
        platform="x",
        key="x_region_transports",
        account_id="893457612345671680",
        name="Val-d'Argent Mobilités",
        slot=2,
        username="ValdArgentMobi",
        category="Transportation",
        base_followers=31_200,
        posts_per_day=3.1,
        topic_mix=MappingProxyType({"transports": 0.90, "environnement": 0.05, "tourisme": 0.05}),
        format_mix=MappingProxyType({"photo": 0.25, "video": 0.05, "link": 0.25, "text": 0.45}),
        audience=_audience(
            {"13-17": 3, "18-24": 18, "25-34": 24, "35-44": 21, "45-54": 16, "55-64": 11, "65+": 7},
            female=0.47,
            unknown=0.04,
        ),
        sponsored_share=0.03,
        reach_rate=0.20,
        engagement_rate=0.03,
        comment_rate=0.0015,
        reply_rate=0.6,
    ),
)
