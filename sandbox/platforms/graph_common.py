"""Meta Graph API conventions shared by the Facebook (and later Instagram) simulators.

Errors, tokens, versions, cursors, field lists and usage headers look the same
on every Graph node type; keeping them here lets each platform module focus on
its own nodes and metrics.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sandbox.platforms.base import Response
from sandbox.ratelimit import Usage

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(f"v{n}.0" for n in range(23, 28))
DEFAULT_VERSION = "v25.0"

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format: `2026-11-25T09:30:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _pacific(moment: datetime) -> str:
    """`Tuesday, 24-Nov-26 01:00:00 PST`, as token errors print times (locale-free)."""
    local = moment.astimezone(UTC) - timedelta(hours=8)
    return f"{_DAYS[local.weekday()]}, {local.day:02d}-{_MONTHS[local.month - 1]}-{local:%y %H:%M:%S} PST"


class GraphError(Exception):
    """A Graph API error; `response()` renders Graph's error envelope."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        status: int = 400,
        error_type: str = "OAuthException",
        subcode: int | None = None,
        transient: bool = False,
        user_title: str = "",
        user_msg: str = "",
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.error_type = error_type
        self.subcode = subcode
        self.transient = transient
        self.user_title = user_title
        self.user_msg = user_msg
        self.headers = headers or {}

    def response(self) -> Response:
        error: dict[str, Any] = {"message": self.message, "type": self.error_type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.transient
        error["error_user_title"] = self.user_title
        error["error_user_msg"] = self.user_msg
        error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)[:22]
        return graph_response({"error": error}, status=self.status, headers=dict(self.headers))


def graph_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON the way Graph writes it: compact, ASCII-escaped, with `\\/` for slashes."""
    response = Response.json(payload, status=status, headers=headers)
    response.body = response.body.replace(b"/", b"\\/")
    return response


def invalid_parameter(message: str) -> GraphError:
    return GraphError(f"(#100) {message}", code=100, user_title="Invalid parameter", user_msg=message)


def nonexisting_field(field: str, node_type: str) -> GraphError:
    return invalid_parameter(f"Tried accessing nonexisting field ({field}) on node type ({node_type})")


def unsupported_get(object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
        "missing permissions, or does not support this operation. Please read the Graph API documentation "
        "at https://developers.facebook.com/docs/graph-api",
        code=100,
        subcode=33,
        error_type="GraphMethodException",
        user_title="Object not found",
        user_msg=f"The object {object_id} cannot be read with this access token.",
    )


def unsupported_method(method: str, object_id: str) -> GraphError:
    return GraphError(
        f"Unsupported {method.lower()} request. Object with ID '{object_id}' does not support this operation.",
        code=100,
        subcode=33,
        error_type="GraphMethodException",
        user_title="Unsupported request",
        user_msg="The sandbox simulates read-only Graph endpoints.",
    )


def invalid_metric(name: str) -> GraphError:
    return GraphError(
        f"(#100) The value must be a valid insights metric: {name}",
        code=100,
        user_title="Invalid insights metric",
        user_msg=f"The metric {name} does not exist or has been deprecated.",
    )


def no_metric() -> GraphError:
    return GraphError(
        "(#3001) No metric was specified",
        code=3001,
        subcode=1504028,
        user_title="No metric specified",
        user_msg="Add a metric parameter to the insights request.",
    )


def deprecated_version(version: str) -> GraphError:
    return GraphError(
        f"(#2635) You are calling a deprecated version of the Graph API ({version}). "
        f"Please update to the latest version: {DEFAULT_VERSION}.",
        code=2635,
        user_title="Deprecated API version",
        user_msg=f"Graph API {version} is no longer available.",
    )


def unexpected_error() -> GraphError:
    return GraphError(
        "An unexpected error has occurred. Please retry your request later.",
        code=2,
        status=500,
        transient=True,
        user_title="Temporary error",
        user_msg="Please retry your request later.",
    )


THROTTLE_MESSAGES: dict[int, str] = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again. "
    "For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}


def throttled(code: int, retry_after_seconds: int, headers: dict[str, str]) -> GraphError:
    """A throttle answer. Graph uses HTTP 400/403; the sandbox uses 429 so throttles stand out."""
    return GraphError(
        THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limit reached"),
        code=code,
        status=429,
        transient=True,
        user_title="Too many calls",
        user_msg="Wait a bit and try again.",
        headers={**headers, "Retry-After": str(max(1, retry_after_seconds))},
    )


# -- tokens ---------------------------------------------------------------------

VALID_TOKEN = "sandbox-token"
EXPIRED_PREFIX = "sandbox-expired"
REVOKED_TOKEN = "sandbox-revoked"
PAGE_TOKEN_PREFIX = "sandbox-page-"


def expired_token(today: date) -> GraphError:
    expired_at = datetime.combine(today - timedelta(days=1), time(9), tzinfo=UTC)
    now = datetime.combine(today, time(0), tzinfo=UTC)
    return GraphError(
        f"Error validating access token: Session has expired on {_pacific(expired_at)}. "
        f"The current time is {_pacific(now)}.",
        code=190,
        subcode=463,
        user_title="Session expired",
        user_msg="Your session has expired. Please log in again.",
    )


def revoked_token() -> GraphError:
    return GraphError(
        "Error validating access token: The session has been invalidated because the user changed their "
        "password or Facebook has changed the session for security reasons.",
        code=190,
        subcode=460,
        user_title="Session invalidated",
        user_msg="Please log in again.",
    )


def invalid_token() -> GraphError:
    return GraphError(
        "Invalid OAuth access token - Cannot parse access token",
        code=190,
        user_title="Invalid access token",
        user_msg="The access token could not be decrypted.",
    )


class TokenRegistry:
    """Which tokens the sandbox accepts, and for which Page ids.

    * `sandbox-token` (and any registered token with pages=None): every Page;
    * `sandbox-page-<page id>`: that Page only (a Page access token);
    * `sandbox-expired…`: error 190/463; `sandbox-revoked`: 190/460;
    * anything else, or no token: 190 "Cannot parse access token".
    """

    def __init__(self) -> None:
        self._tokens: dict[str, frozenset[str] | None] = {VALID_TOKEN: None}

    def register(self, token: str, pages: frozenset[str] | None = None) -> None:
        self._tokens[token] = pages

    def check(self, token: str | None, today: date) -> frozenset[str] | None:
        """The Page ids this token may read (None = all), or raise the token's GraphError."""
        if not token:
            raise invalid_token()
        if token.startswith(EXPIRED_PREFIX):
            raise expired_token(today)
        if token == REVOKED_TOKEN:
            raise revoked_token()
        if token in self._tokens:
            return self._tokens[token]
        if token.startswith(PAGE_TOKEN_PREFIX) and token[len(PAGE_TOKEN_PREFIX) :].isdigit():
            return frozenset({token[len(PAGE_TOKEN_PREFIX) :]})
        raise invalid_token()


# -- request helpers --------------------------------------------------------------


def parse_fields(value: str | None, default: tuple[str, ...]) -> list[str]:
    """Top-level field names of a `fields=` list, sub-selections ignored.

    `from{id,name},comments.summary(true)` gives ["from", "comments"]: commas
    inside braces or parentheses belong to the sub-selection.
    """
    if not value:
        return list(default)
    names, depth, current = [], 0, ""
    for char in value + ",":
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        if char == "," and depth == 0:
            name = current.strip()
            for stop in "{.(":
                name = name.split(stop, 1)[0]
            if name:
                names.append(name)
            current = ""
        else:
            current += char
    return list(dict.fromkeys(names))


def encode_cursor(*parts: object) -> str:
    """An opaque cursor (base64 like Graph's), carrying the position it resumes from."""
    raw = ":".join(str(p) for p in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, size: int) -> list[str]:
    """The parts of a cursor made by `encode_cursor(kind, ...)`, or an Invalid cursor error."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raw = ""
    parts = raw.split(":")
    if len(parts) != size + 1 or parts[0] != kind:
        raise invalid_parameter("Invalid cursor")
    return parts[1:]


def parse_limit(value: str | None, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        limit = int(value)
    except ValueError:
        raise invalid_parameter("Param limit must be a number") from None
    if limit < 1:
        raise invalid_parameter("Param limit must be a positive number")
    return min(limit, maximum)


def is_true(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "total_count")


def usage_headers(app: Usage, page_id: str | None, page: Usage | None, buc_type: str = "pages") -> dict[str, str]:
    """`X-App-Usage` and `X-Business-Use-Case-Usage` in Graph's percent format.

    Only call counts are simulated; CPU and time percentages are derived from
    them so that clients see all three fields move (call_count stays the maximum).
    """

    def percents(usage: Usage) -> dict[str, int]:
        pct = usage.percent
        return {"call_count": pct, "total_cputime": pct * 2 // 5, "total_time": pct * 3 // 5}

    buc: dict[str, Any] = {}
    if page_id is not None and page is not None:
        regain = 0 if page.allowed else max(1, -(-page.retry_after_seconds // 60))
        buc[page_id] = [{"type": buc_type, **percents(page), "estimated_time_to_regain_access": regain}]
    return {
        "X-App-Usage": json.dumps(percents(app), separators=(",", ":")),
        "X-Business-Use-Case-Usage": json.dumps(buc, separators=(",", ":")),
    }
