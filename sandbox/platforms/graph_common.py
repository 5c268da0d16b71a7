"""Meta Graph API conventions shared by the Facebook and Instagram simulators.

Errors, tokens, versions, cursors, field lists, insights envelopes and usage
headers look the same on every Graph node type, and both platforms answer a
request the same way (`GraphPlatform`: version, token, node, budgets, usage
headers); keeping that here lets each platform module focus on its own nodes
and metrics.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sandbox.platforms.base import (
    ApiError,
    Call,
    Platform,
    Request,
    Response,
    exhausted,
    fault_retry_seconds,
)
from sandbox.ratelimit import RollingWindow, Usage
from sandbox.timeutil import DAY, EPOCH, day_start, parse_timestamp, two_years_before

if TYPE_CHECKING:
    from sandbox.faults import FaultRule
    from sandbox.region import Account
    from sandbox.state import SandboxState
    from sandbox.world import Comment, Post

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(f"v{n}.0" for n in range(23, 28))
DEFAULT_VERSION = "v25.0"
VERSION_PATTERN = re.compile(r"^v\d+\.\d+$")
"""A path segment that names a version (supported or not)."""

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format: `2026-11-25T09:30:00+0000`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _pacific(moment: datetime) -> str:
    """`Tuesday, 24-Nov-26 01:00:00 PST`, as token errors print times (locale-free)."""
    local = moment.astimezone(UTC) - timedelta(hours=8)
    return f"{_DAYS[local.weekday()]}, {local.day:02d}-{_MONTHS[local.month - 1]}-{local:%y %H:%M:%S} PST"


class GraphError(ApiError):
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


def throttled(code: int, retry_after_seconds: int, headers: dict[str, str], message: str | None = None) -> GraphError:
    """A throttle answer. Graph uses HTTP 400/403; the sandbox uses 429 so throttles stand out."""
    return GraphError(
        message or THROTTLE_MESSAGES.get(code, f"(#{code}) Rate limit reached"),
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
EXPIRING_PREFIX = "sandbox-expiring-"
"""`sandbox-expiring-<days>`: reads every Page; `debug_token` says it expires in <days> days."""
TOKEN_GRANTED_DAYS_AGO = 30
DATA_ACCESS_DAYS = 90
TOKEN_TTL_DAYS = 60
APP_ID = "1234567890123456"


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


def revoked_token(subcode: int = 460) -> GraphError:
    """190/460: the session was invalidated (password change); 190/458: the app was removed."""
    if subcode == 458:
        return GraphError(
            "Error validating access token: The user has not authorized application 1234567890123456.",
            code=190,
            subcode=458,
            user_title="App not authorized",
            user_msg="Please log in again and authorize the app.",
        )
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
    * `sandbox-expiring-<days>`: every Page, and a `debug_token` expiry <days> days ahead;
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
        if expiring_days(token) is not None:
            return None
        raise invalid_token()


def expiring_days(token: str) -> int | None:
    """The <days> of a `sandbox-expiring-<days>` token, else None."""
    rest = token[len(EXPIRING_PREFIX) :] if token.startswith(EXPIRING_PREFIX) else ""
    return int(rest) if rest.isdigit() else None


def debug_token(
    tokens: TokenRegistry, input_token: str | None, today: date, token_type: str, scopes: tuple[str, ...]
) -> dict[str, Any]:
    """`GET /debug_token?input_token=…`: what Meta says of a token, deterministic from the sandbox day.

    A valid token was granted 30 days before today at 09:00 UTC: it never expires
    (`expires_at` 0, a Page token made from a long-lived user token) but its data access
    does, 90 days after the grant. A `sandbox-expiring-<days>` token is a 60-day token
    that expires <days> days after today at 09:00 UTC. A dead token answers 200 with
    `is_valid` false and its error, as Meta does.
    """
    if not input_token:
        raise invalid_parameter("The parameter input_token is required")
    try:
        tokens.check(input_token, today)
    except GraphError as error:
        problem: dict[str, Any] = {"code": error.code, "message": error.message}
        if error.subcode is not None:
            problem["subcode"] = error.subcode
        return {
            "data": {
                "app_id": APP_ID,
                "type": token_type,
                "application": "socialpulse sandbox",
                "is_valid": False,
                "expires_at": 0,
                "data_access_expires_at": 0,
                "error": problem,
                "scopes": [],
            }
        }
    days = expiring_days(input_token)
    nine = timedelta(hours=9)
    if days is None:
        granted = day_start(today - timedelta(days=TOKEN_GRANTED_DAYS_AGO)) + nine
        expires = 0
    else:
        granted = day_start(today + timedelta(days=days - TOKEN_TTL_DAYS)) + nine
        expires = int((granted + timedelta(days=TOKEN_TTL_DAYS)).timestamp())
    return {
        "data": {
            "app_id": APP_ID,
            "type": token_type,
            "application": "socialpulse sandbox",
            "data_access_expires_at": int((granted + timedelta(days=DATA_ACCESS_DAYS)).timestamp()),
            "expires_at": expires,
            "is_valid": True,
            "issued_at": int(granted.timestamp()),
            "scopes": list(scopes),
            "user_id": "10000000000001",
        }
    }


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


def graph_token(request: Request) -> str | None:
    """The access token: `access_token=` first, else an `Authorization: Bearer|OAuth` header."""
    token = request.query.get("access_token")
    if token:
        return token
    scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "oauth") else None


def version_in_path(path: str) -> str:
    """The supported version a path starts with, else the default (for `facebook-api-version`)."""
    first = next((s for s in path.split("/") if s), "")
    return first if first in SUPPORTED_VERSIONS else DEFAULT_VERSION


def node_segments(path: str) -> list[str]:
    """The path's segments without its version: node id, edge, ..."""
    return [s for s in path.split("/") if s and not VERSION_PATTERN.match(s)]


def checked_fields(value: str | None, default: tuple[str, ...], allowed: tuple[str, ...], node_type: str) -> list[str]:
    """`parse_fields`, refusing the first field the node type does not have."""
    fields = parse_fields(value, default)
    for field in fields:
        if field not in allowed:
            raise nonexisting_field(field, node_type)
    return fields


def metric_names(query: Mapping[str, str], path_metric: str | None = None) -> list[str]:
    """Metric names from the path (`/insights/<metric>`) or from `metric=`; error 3001 when none."""
    names = [m.strip() for m in (path_metric or query.get("metric") or "").split(",") if m.strip()]
    if not names:
        raise no_metric()
    return names


def since_until(query: Mapping[str, str]) -> tuple[datetime | None, datetime | None]:
    """The `since` and `until` parameters (unix seconds, dates or ISO times), None when absent."""
    try:
        since = parse_timestamp(query["since"]) if query.get("since") else None
        until = parse_timestamp(query["until"]) if query.get("until") else None
    except ValueError:
        raise invalid_parameter("The parameters since and until must be unix timestamps or dates") from None
    return since, until


def insights_window(query: Mapping[str, str], now: datetime, max_seconds: int) -> tuple[datetime, datetime]:
    """`since` and `until` of day-period insights: by default the two days before now, at most `max_seconds` apart.

    The caller checks their order: Facebook accepts an empty window, Instagram does not.
    """
    since, until = since_until(query)
    until = until or now
    since = since or until - 2 * DAY
    if (until - since).total_seconds() > max_seconds:
        raise invalid_parameter(
            f"There cannot be more than {max_seconds // 86400} days ({max_seconds} s) between since and until"
        )
    return since, until


def since_before_until() -> GraphError:
    return invalid_parameter("The since parameter must be before the until parameter")


def insight_days(today: date, since: datetime, last: date) -> list[date]:
    """UTC days from `since` to `last` that insights still keep (since EPOCH, two years at most)."""
    first = max(since.date(), EPOCH, two_years_before(today))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def window_paging(request: Request, since: datetime, until: datetime) -> dict[str, str]:
    """`previous` and `next` links of an insights window: the same span before and after it."""
    span = until - since
    return {
        "previous": request.url_with(since=str(int((since - span).timestamp())), until=str(int(since.timestamp()))),
        "next": request.url_with(since=str(int(until.timestamp())), until=str(int((until + span).timestamp()))),
    }


def end_time(day: date) -> str:
    """`end_time` of a daily value: 08:00 UTC the next day (Graph's Pacific midnight)."""
    return graph_time(day_start(day + DAY) + timedelta(hours=8))


def insight(node_id: str, name: str, period: str, title: str, description: str, **value: Any) -> dict[str, Any]:
    """One metric of an insights answer in Graph's key order; `value` is `values=[...]` or `total_value={...}`."""
    return {
        "name": name,
        "period": period,
        **value,
        "title": title,
        "description": description,
        "id": f"{node_id}/insights/{name}/{period}",
    }


def cursor_page(
    request: Request, items: list[Comment], kind: str, max_limit: int
) -> tuple[list[Comment], dict[str, Any] | None]:
    """The page of `items` after the `after` cursor (`limit` long, 25 by default) and its `paging`, if any."""
    query = request.query
    limit = parse_limit(query.get("limit"), 25, max_limit)
    start = 0
    if query.get("after"):
        (serial,) = decode_cursor(query["after"], kind, 1)
        positions = {c.serial: i for i, c in enumerate(items)}
        if int(serial) not in positions:
            raise invalid_parameter("Invalid cursor")
        start = positions[int(serial)] + 1
    page = items[start : start + limit]
    if not page:
        return page, None
    cursors = {"before": encode_cursor(kind, page[0].serial), "after": encode_cursor(kind, page[-1].serial)}
    paging: dict[str, Any] = {"cursors": cursors}
    if start + limit < len(items):
        paging["next"] = request.url_with(after=cursors["after"], before=None)
    return page, paging


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


# -- the platform ---------------------------------------------------------------------

MAX_LIMIT = 100
"""Largest `limit` of a post or media list."""
DEFAULT_ACCOUNT_BUDGET = 4800
"""Calls per Page or IG account and window."""
DEFAULT_APP_BUDGET = 20000
DEFAULT_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class GraphCall(Call):
    """One authenticated Graph request, with the version it asked for."""

    version: str


@dataclass(frozen=True)
class GraphTarget:
    """The node a path starts with, and the edge (and anything after it) asked of it."""

    node_id: str
    account: Account
    """The Page or IG user the node belongs to (the one charged for the call)."""
    edge: str | None
    tail: tuple[str, ...]
    post: Post | None = None
    comment: Comment | None = None


class GraphPlatform(Platform):
    """How a Graph API answers, whatever its nodes: version, token, node, budgets, then the node's answer.

    Every answer carries the usage headers and `facebook-api-version`. Calls are
    counted per account (Page or IG user: `account_limits`) and per app.
    """

    buc_type: ClassVar[str]
    """`type` in `X-Business-Use-Case-Usage`."""
    app_throttle_code: ClassVar[int]
    account_throttle_code: ClassVar[int]
    token_type: ClassVar[str] = "PAGE"
    """`type` of the token in `debug_token`."""
    token_scopes: ClassVar[tuple[str, ...]] = ()
    """`scopes` of a valid token in `debug_token`."""

    def __init__(self, state: SandboxState):
        super().__init__(state)
        self.tokens = TokenRegistry()
        self.account_limits = RollingWindow(DEFAULT_ACCOUNT_BUDGET, DEFAULT_WINDOW_SECONDS)
        self.app_limits = RollingWindow(DEFAULT_APP_BUDGET, DEFAULT_WINDOW_SECONDS)

    # -- what each Graph platform says -----------------------------------------------

    @abstractmethod
    def _find_node(self, call: GraphCall, node_id: str) -> tuple[Account | None, Post | None, Comment | None]:
        """The account, post and comment a node id names (account None: no such node now)."""

    @abstractmethod
    def _dispatch(self, call: GraphCall, target: GraphTarget) -> dict[str, Any]:
        """The JSON answer for the node and edge."""

    @abstractmethod
    def _account_id_in_path(self, path: str) -> str | None:
        """The account a path's node belongs to, for a fault's usage headers."""

    def _throttled(self, code: int, retry_after_seconds: int, headers: dict[str, str]) -> GraphError:
        return throttled(code, retry_after_seconds, headers)

    # -- entry points ----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        segments = [s for s in request.path.split("/") if s]
        version = DEFAULT_VERSION
        account_id: str | None = None
        usage: Usage | None = None
        try:
            if segments and VERSION_PATTERN.match(segments[0]):
                version = segments.pop(0)
                if version not in SUPPORTED_VERSIONS:
                    raise deprecated_version(version)
            call = GraphCall(request, self.state.today, version)
            allowed = self.tokens.check(graph_token(request), call.today)
            if not segments:
                raise unsupported_get("")
            if request.method != "GET":
                raise unsupported_method(request.method, segments[0])
            if segments == ["debug_token"]:  # not a node: no account budget is charged
                payload = debug_token(
                    self.tokens, request.query.get("input_token"), call.today, self.token_type, self.token_scopes
                )
                response = graph_response(payload)
            else:
                target = self._target(call, segments, allowed)
                account_id = target.account.account_id
                usage = self._charge(account_id)
                response = graph_response(self._dispatch(call, target))
        except GraphError as error:
            response = error.response()
        for name, value in self._usage_headers(account_id, usage).items():
            response.headers.setdefault(name, value)  # a throttle error brings its own
        response.headers["facebook-api-version"] = version
        return response

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        account_id = self._account_id_in_path(request.path)
        if rule.kind == "http_429":
            seconds = fault_retry_seconds(rule)
            headers = self._usage_headers(account_id, exhausted(self.account_limits, seconds))
            code = int(rule.options.get("code", self.account_throttle_code))
            response = self._throttled(code, seconds, headers).response()
        elif rule.kind == "http_500":
            response = unexpected_error().response()
        elif rule.kind == "expired_token":
            response = expired_token(self.state.today).response()
        elif rule.kind == "revoked_token":
            response = revoked_token(int(rule.options.get("subcode", 460))).response()
        else:
            raise ValueError(f"fault kind {rule.kind!r} is not implemented for {self.name}")
        for name, value in self._usage_headers(None, None).items():
            response.headers.setdefault(name, value)
        response.headers["facebook-api-version"] = version_in_path(request.path)
        return response

    def configure_ratelimit(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """Set `budget` (calls per account), `window_seconds`, `app_budget`; `reset` clears counts."""
        window = float(settings.get("window_seconds", self.account_limits.window_seconds))
        self.account_limits.configure(int(settings.get("budget", self.account_limits.budget)), window)
        self.app_limits.configure(int(settings.get("app_budget", self.app_limits.budget)), window)
        if settings.get("reset"):
            self.account_limits.reset()
            self.app_limits.reset()
        return {
            "platform": self.name,
            "budget": self.account_limits.budget,
            "app_budget": self.app_limits.budget,
            "window_seconds": self.account_limits.window_seconds,
        }

    # -- plumbing --------------------------------------------------------------------

    def _target(self, call: GraphCall, segments: list[str], allowed: frozenset[str] | None) -> GraphTarget:
        """The node the path starts with, if it exists now and the token may read its account."""
        node_id, edge, tail = segments[0], (segments[1] if len(segments) > 1 else None), tuple(segments[2:])
        account, post, comment = self._find_node(call, node_id)
        if account is None or (allowed is not None and account.account_id not in allowed):
            raise unsupported_get(node_id)
        return GraphTarget(node_id, account, edge, tail, post, comment)

    def _charge(self, account_id: str) -> Usage:
        """Count the call against the account and app budgets; throttle when either is exhausted."""
        app = self.app_limits.peek("app")
        if not app.allowed:
            headers = usage_headers(app, account_id, self.account_limits.peek(account_id), self.buc_type)
            raise self._throttled(self.app_throttle_code, app.retry_after_seconds, headers)
        usage = self.account_limits.hit(account_id)
        if not usage.allowed:
            headers = usage_headers(app, account_id, usage, self.buc_type)
            raise self._throttled(self.account_throttle_code, usage.retry_after_seconds, headers)
        self.app_limits.hit("app")
        return usage

    def _usage_headers(self, account_id: str | None, usage: Usage | None) -> dict[str, str]:
        return usage_headers(self.app_limits.peek("app"), account_id, usage, self.buc_type)

    def _posts_page(
        self, call: GraphCall, account: Account, kind: str, render: Callable[[Post], dict[str, Any]]
    ) -> dict[str, Any]:
        """The account's posts newest first, cursor-paged, created in [since, until) and before now."""
        query = call.request.query
        limit = parse_limit(query.get("limit"), 25, MAX_LIMIT)
        since, until = since_until(query)
        upper = min(until, call.now) if until else call.now
        boundary: tuple[int, int] | None = None
        if query.get("after"):
            ts, serial = decode_cursor(query["after"], kind, 2)
            boundary = (int(ts), int(serial))

        def sort_key(post: Post) -> tuple[int, int]:
            return int(post.created_at.timestamp()), post.serial

        found: list[Post] = []
        day = (upper - timedelta(microseconds=1)).date()
        if boundary:
            day = min(day, datetime.fromtimestamp(boundary[0], tz=upper.tzinfo).date())
        floor_day = max(EPOCH, since.date() if since else EPOCH)
        while day >= floor_day and len(found) <= limit:
            for post in sorted(self.world.posts_on(account, day), key=sort_key, reverse=True):
                if post.created_at >= upper or (since and post.created_at < since):
                    continue
                if boundary and sort_key(post) >= boundary:
                    continue
                found.append(post)
            day -= DAY
        page, more = found[:limit], len(found) > limit
        result: dict[str, Any] = {"data": [render(p) for p in page]}
        if page:
            cursors = {
                "before": encode_cursor(kind, *sort_key(page[0])),
                "after": encode_cursor(kind, *sort_key(page[-1])),
            }
            result["paging"] = {"cursors": cursors}
            if more:
                result["paging"]["next"] = call.request.url_with(after=cursors["after"], before=None)
        return result
