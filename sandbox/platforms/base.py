"""What the server hands a platform simulator and what it expects back.

A platform is a class with a `name` (also its URL prefix: `/facebook/...`) that
turns a `Request` into a `Response` in that platform's own wire format. The
server owns everything platform-neutral (routing by prefix, faults, stats,
logging, the clock); the platform owns ids, paging, errors and rate limits.

Building blocks several platforms share live here too: `Call` (a request with
the simulated clock read once), `ApiError` (an error a platform renders in its
own dialect), `WindowedPlatform` (one rolling call budget the control API can
change) and `PublicReadPlatform` (its GET-only, rate-headed flavour: Bluesky,
Mastodon). The Meta Graph pair shares `GraphPlatform` in `graph_common`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from sandbox.ratelimit import RollingWindow, Usage
from sandbox.timeutil import DAY, day_start

if TYPE_CHECKING:
    from sandbox.faults import FaultRule
    from sandbox.state import SandboxState
    from sandbox.world import Post, World


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
    cut_after: int | None = None
    """Fault `drop_connection`: send only this many body bytes, then close the connection."""

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        return cls(status, body, {"Content-Type": "application/json; charset=UTF-8", **(headers or {})})


@dataclass(frozen=True)
class Call:
    """One request with the simulated clock read once.

    "Now" is 00:00 UTC of `today`: what was created before it exists, and lifetime
    values are served as of the end of the day before.
    """

    request: Request
    today: date

    @property
    def now(self) -> datetime:
        return day_start(self.today)

    @property
    def as_of(self) -> date:
        """Lifetime values are served as of the end of this UTC day."""
        return self.today - DAY


class ApiError(Exception):
    """An error a platform answers in its own wire format."""

    def response(self) -> Response:
        raise NotImplementedError


class Platform(ABC):
    """Base class of the platform simulators mounted by the server."""

    name: ClassVar[str]

    def __init__(self, state: SandboxState):
        self.state = state

    @property
    def world(self) -> World:
        return self.state.world

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


def fault_retry_seconds(rule: FaultRule) -> int:
    """Seconds an injected `http_429` asks the client to wait (default 1)."""
    return int(rule.seconds) if rule.seconds is not None else 1


def exhausted(window: RollingWindow, retry_after: float) -> Usage:
    """The usage an injected throttle reports: the whole budget spent, free again after `retry_after` s."""
    return Usage(False, window.budget, window.budget, window.window_seconds, retry_after)


class WindowedPlatform(Platform):
    """A platform with one rolling call budget, `limits`, that the control API can change."""

    default_budget: ClassVar[int]
    default_window_seconds: ClassVar[float]

    def __init__(self, state: SandboxState):
        super().__init__(state)
        self.limits = RollingWindow(self.default_budget, self.default_window_seconds)

    def configure_ratelimit(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Set `budget` (calls per key and window) and `window_seconds`; `reset` forgets past calls."""
        self.limits.configure(
            int(settings.get("budget", self.limits.budget)),
            float(settings.get("window_seconds", self.limits.window_seconds)),
        )
        if settings.get("reset"):
            self.limits.reset()
        return {"platform": self.name, "budget": self.limits.budget, "window_seconds": self.limits.window_seconds}


class PublicReadPlatform(WindowedPlatform):
    """A GET-only public API that reports its one budget in headers on every answer (Bluesky, Mastodon).

    The order of the checks is the same on both: token (which also picks the
    budget's key), budget, method, then the call itself. Each platform words the
    refusals, the rate headers and the answers in its own dialect.
    """

    def handle(self, request: Request) -> Response:
        usage: Usage | None = None
        try:
            usage = self.limits.hit(self._limit_key(request))
            if not usage.allowed:
                raise self._rate_limited(usage)
            if request.method != "GET":
                raise self._method_not_allowed(request.method)
            response = self._answer(Call(request, self.state.today))
        except ApiError as error:
            response = error.response()
        for name, value in self._rate_headers(usage or self.limits.peek("ip")).items():
            response.headers.setdefault(name, value)  # a throttle error brings its own
        return response

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        if rule.kind == "http_429":
            return self._rate_limited(exhausted(self.limits, fault_retry_seconds(rule))).response()
        if rule.kind == "http_500":
            return self._server_error()
        if rule.kind == "expired_token":
            return self._token_expired().response()
        if rule.kind == "revoked_token":
            return self._token_revoked().response()
        raise ValueError(f"fault kind {rule.kind!r} is not implemented for {self.name}")

    @abstractmethod
    def _limit_key(self, request: Request) -> str:
        """The budget's key for this request ("ip" without a token); raises when a sent token is bad."""

    @abstractmethod
    def _answer(self, call: Call) -> Response:
        """The answer to an admitted GET."""

    @staticmethod
    @abstractmethod
    def _rate_headers(usage: Usage) -> dict[str, str]:
        """The platform's rate-limit headers for `usage`."""

    @abstractmethod
    def _rate_limited(self, usage: Usage) -> ApiError:
        """The answer to a call over budget (with the rate headers of `usage`)."""

    @abstractmethod
    def _method_not_allowed(self, method: str) -> ApiError:
        """The answer to anything but GET."""

    @abstractmethod
    def _server_error(self) -> Response:
        """What an injected `http_500` answers."""

    @abstractmethod
    def _token_expired(self) -> ApiError:
        """What an injected `expired_token` answers."""

    @abstractmethod
    def _token_revoked(self) -> ApiError:
        """What an injected `revoked_token` answers."""
