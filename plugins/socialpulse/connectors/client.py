"""The HTTP client every connector shares: retries, backoff, throttling, pacing.

Platform modules subclass `ApiClient` and teach it their dialect: how an error
payload reads (`classify_error`), how long a throttle lasts (`throttle_delay`) and
how close to a limit the usage headers say we are (`pace_delay`). The policy is the
same everywhere:

- transport errors, timeouts, 5xx and malformed bodies are transient: retried with
  exponential backoff and jitter, up to `max_attempts`;
- throttles wait for what the platform says (Retry-After, reset headers), then retry;
- authentication errors fail at once: retrying a revoked token only burns quota;
- other client errors are permanent and name the platform, account and request.

Tokens travel in headers only; URLs are logged without their query string, and the
httpx request logger (which prints full URLs) is kept quiet.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from socialpulse.credentials import connection_id

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

SECRET_PARAMS = {"access_token", "client_secret", "appsecret_proof", "token", "input_token"}


class ApiError(RuntimeError):
    """A request the platform refused for good; retrying will not help."""

    def __init__(self, message: str, *, status: int | None = None, code: Any = None, transient: bool = False):
        super().__init__(message)
        self.status = status
        self.code = code
        self.transient = transient


class AuthError(ApiError):
    """The token is missing, expired or revoked: a person must renew it."""


class SchemaDriftError(ApiError):
    """A field the connector needs is missing from an answer: the platform renamed or removed it."""


class TransientApiError(ApiError):
    """Still failing after every retry (5xx, timeouts, throttles)."""


@dataclass
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    timeout: float = 30.0
    max_throttle_wait: float = 900.0
    # Usage percentage from which the client starts slowing down (Meta throttles at 100).
    pace_from_percent: float = 80.0
    pace_max_delay: float = 30.0


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    slept_seconds: float = 0.0
    paced_seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


def redact_url(url: str) -> str:
    """The URL without secrets, safe for logs and error messages."""
    parts = urlsplit(url)
    query = [(k, "***" if k in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe=",()"), ""))


def strip_secret_params(url: str) -> str:
    """Drop secret query parameters (Graph puts access_token in its paging URLs)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe=",()"), ""))


class ApiClient:
    platform = "generic"
    required_fields: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {}
    """The answer's contract per endpoint: a regex on the URL path -> (where the items are:
    a key of the body, or "" when the body is the list; the fields every item must carry,
    dotted for nested ones). Checked on every successful answer (`check_fields`)."""

    def __init__(
        self,
        base_url: str,
        *,
        account_key: str,
        headers: dict[str, str] | None = None,
        policy: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.account_key = account_key
        self.policy = policy or RetryPolicy()
        self.stats = ClientStats()
        self._sleep_fn = sleep
        self._http = httpx.Client(
            headers=headers or {},
            timeout=httpx.Timeout(self.policy.timeout),
            transport=transport,
            follow_redirects=False,
        )

    # -- platform dialect -------------------------------------------------------------
    def classify_error(self, response: httpx.Response, body: Any) -> ApiError:
        kind = AuthError if response.status_code in (401, 403) else ApiError
        return kind(f"HTTP {response.status_code}", status=response.status_code, transient=response.status_code >= 500)

    def throttle_delay(self, response: httpx.Response, body: Any) -> float | None:
        """Seconds to wait when this response is a throttle, else None."""
        if response.status_code == 429:
            return _retry_after(response) or 0.0
        return None

    def pace_delay(self, response: httpx.Response) -> float:
        """Seconds to pause after a successful response, from usage headers."""
        return 0.0

    # -- machinery ----------------------------------------------------------------------
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def renew_hint(self) -> str:
        """Where the token of this account lives, so the person renewing it knows what to update."""
        platform, key = self.platform.upper(), self.account_key.upper()
        return (
            f" [token source: Airflow Connection {connection_id(self.platform, self.account_key)!r} "
            f"(password field), else SOCIALPULSE_{platform}_TOKEN_{key} or SOCIALPULSE_{platform}_TOKEN]"
        )

    def check_fields(self, url: str, body: Any) -> None:
        """Schema drift fails loudly, naming the field, rather than landing rows without it."""
        path = urlsplit(url).path
        for pattern, (items_key, fields) in self.required_fields.items():
            if not re.search(pattern, path):
                continue
            items = body if not items_key else (body.get(items_key) if isinstance(body, dict) else None)
            for item in items if isinstance(items, list) else []:
                missing = next((name for name in fields if not _has_field(item, name)), None)
                if missing is not None:
                    raise SchemaDriftError(
                        f"{self._where(url)}: an item lacks the field {missing!r} the connector needs "
                        f"(schema drift: the platform renamed or removed it). Check the platform's API "
                        f"changelog and update socialpulse/connectors/{self.platform}.py; nothing was "
                        "written for this account.",
                        code="schema_drift",
                    )

    def _where(self, url: str) -> str:
        return f"{self.platform}/{self.account_key}: GET {urlsplit(redact_url(url)).path}"

    def _sleep(self, seconds: float, *, paced: bool = False) -> None:
        if seconds <= 0:
            return
        self.stats.slept_seconds += seconds
        if paced:
            self.stats.paced_seconds += seconds
        self._sleep_fn(seconds)

    def _backoff(self, attempt: int) -> float:
        delay = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + random.random() / 2)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        url = strip_secret_params(self.url(path))
        failures = 0
        throttle_waited = 0.0
        while True:
            self.stats.requests += 1
            try:
                response = self._http.get(url, params=params)
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                problem = type(exc).__name__
            else:
                self.stats.statuses[response.status_code] = self.stats.statuses.get(response.status_code, 0) + 1
                body = _json_or_none(response)
                wait = None if response.is_success else self.throttle_delay(response, body)
                if response.is_success and body is not None:
                    self.check_fields(url, body)
                    self._sleep(self.pace_delay(response), paced=True)
                    return body
                if response.is_success:
                    problem = "malformed JSON body"
                elif wait is not None:  # a throttle is not a failed attempt: wait as told
                    self.stats.throttled += 1
                    wait = max(wait, self._backoff(1))
                    throttle_waited += wait
                    if throttle_waited > self.policy.max_throttle_wait:
                        raise TransientApiError(
                            f"{self._where(url)}: still throttled after waiting {throttle_waited:.0f} s; "
                            "the task will be retried by Airflow",
                            status=response.status_code,
                            transient=True,
                        )
                    log.warning("%s: throttled (HTTP %d), waiting %.1f s", self._where(url), response.status_code, wait)
                    self._sleep(wait)
                    continue
                else:
                    error = self.classify_error(response, body)
                    if not error.transient:
                        message = f"{self._where(url)}: {error}"
                        if isinstance(error, AuthError):
                            message += self.renew_hint()
                        raise type(error)(message, status=error.status, code=error.code)
                    problem = str(error)
            failures += 1
            if failures >= self.policy.max_attempts:
                raise TransientApiError(
                    f"{self._where(url)}: still failing after {failures} attempts ({problem}); "
                    "the platform may be down: the task will be retried by Airflow",
                    transient=True,
                )
            self.stats.retries += 1
            log.warning("%s: %s, retry %d", self._where(url), problem, failures)
            self._sleep(self._backoff(failures))


def _has_field(item: Any, dotted: str) -> bool:
    for name in dotted.split("."):
        if not isinstance(item, dict) or name not in item:
            return False
        item = item[name]
    return True


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
