"""Pseudonymisation of commenters, applied at extraction before anything is written.

A keyed hash (HMAC-SHA256) keeps one person's comments linkable to each other
(for moderation statistics) without storing who they are; without the key the
pseudonym cannot be reversed or recomputed from a known user id.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonymise(platform: str, user_id: str | None, key: str) -> str | None:
    if user_id is None or user_id == "":
        return None
    digest = hmac.new(key.encode(), f"{platform}:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
