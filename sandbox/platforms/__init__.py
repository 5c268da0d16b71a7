"""Platform simulators, one module each, mounted by the server under `/<name>/`.

To add a platform: write `sandbox/platforms/<name>.py` with a `Platform`
subclass whose `name` is the URL prefix, give the region accounts on it
(`sandbox/region.py`), and register the class below.
"""

from __future__ import annotations

from sandbox.platforms.base import Platform, Request, Response
from sandbox.platforms.bluesky import BlueskyPlatform
from sandbox.platforms.facebook import FacebookPlatform
from sandbox.platforms.instagram import InstagramPlatform
from sandbox.platforms.linkedin import LinkedInPlatform
from sandbox.platforms.mastodon import MastodonPlatform
from sandbox.platforms.x import XPlatform

PLATFORMS: dict[str, type[Platform]] = {
    cls.name: cls
    for cls in (FacebookPlatform, InstagramPlatform, LinkedInPlatform, BlueskyPlatform, XPlatform, MastodonPlatform)
}

__all__ = ["PLATFORMS", "Platform", "Request", "Response"]
