"""What the server hands a platform simulator and what it expects back.

A platform is a class with a `name` (also its URL prefix: `/facebook/...`) that
turns a `Request` into a `Response` in that platform's own wire format. The
server owns everything platform-neutral (routing by prefix, faults, stats,
logging, the clock); the platform owns ids, paging, errors and rate limits.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

if TYPE_CHECKING:
    from sandbox.faults import FaultRule
    from sandbox.state import SandboxState
    from sandbox.world import Post


@dataclass
class Request:
    method: str
    path: str
    """Path below the platform prefix, e.g. `/v25.0/112233445566001/insights`."""
    query_items: list[tuple[str, str]]
    """Query parameters in their original order (paging URLs keep it)."""
    headers: Mapping[str, str]
    body: bytes
    base_url: str
    """Scheme, host and platform prefix as the client reached us: `http://127.0.0.1:8765/facebook`."""
    faults: list[FaultRule] = field(default_factory=list)
    """Rules of stage `platform` matched by this request (for the platform to apply)."""

    @property
    def query(self) -> dict[str, str]:
        """Query parameters, the last value winning for repeated names."""
        return dict(self.query_items)

    def url_with(self, **changes: str | None) -> str:
        """This request's URL with some query parameters replaced (None removes)."""
        items = [(k, v) for k, v in self.query_items if k not in changes]
        items += [(k, v) for k, v in changes.items() if v is not None]
        return f"{self.base_url}{self.path}?{urlencode(items)}"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})})


class Platform(ABC):
    """Base class of the platform simulators mounted by the server."""

    name: ClassVar[str]

    def __init__(self, state: SandboxState):
        self.state = state

    @abstractmethod
    def handle(self, request: Request) -> Response:
        """Answer one request below this platform's prefix."""

    @abstractmethod
    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        """The platform's own rendering of an injected `respond`-stage fault."""

    @staticmethod
    @abstractmethod
    def post_id(post: Post) -> str:
        """The platform's id for a world post (truth reports ids the way the API serves them)."""

    @staticmethod
    @abstractmethod
    def post_permalink(post: Post) -> str:
        """The public URL of a world post."""

    @staticmethod
    @abstractmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        """The platform's id for a comment (or reply) of `post`."""

    def configure_ratelimit(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Change the platform's call budgets (control API); returns the new settings."""
        raise ValueError(f"platform {self.name} has no configurable rate limit")
