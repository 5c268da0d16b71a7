"""LinkedIn Pages, as the Community Management API serves them (path prefix `/linkedin`).

Point a client at `http://127.0.0.1:PORT/linkedin/rest/` instead of
`https://api.linkedin.com/rest/` (and at `/linkedin/oauth/v2/introspectToken`
instead of `https://www.linkedin.com/oauth/v2/introspectToken`). Every `/rest/`
call needs `Authorization: Bearer`, `Linkedin-Version: YYYYMM` and
`X-Restli-Protocol-Version: 2.0.0`; query parameters use Rest.li 2.0 syntax
(`List(a,b)`, `(key:value,...)`). Served resources:

* `GET organizations/{id}`: id, localizedName, vanityName, localizedWebsite
* `GET networkSizes/urn:li:organization:{id}?edgeType=COMPANY_FOLLOWED_BY_MEMBER` -> firstDegreeSize
* `GET organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=...
  &timeIntervals=(timeRange:(start:ms,end:ms),timeGranularityType:DAY)` -> daily followerGains
* `GET organizationalEntityShareStatistics?q=organizationalEntity&...&timeIntervals=(...)`
  -> daily totalShareStatistics (organic, rolling 12 months); with
  `shares=List(urn:li:share:..)` / `ugcPosts=List(urn:li:ugcPost:..)` and no
  timeIntervals -> lifetime statistics per post
* `GET posts?q=author&author=urn:li:organization:{id}&sortBy=CREATED&start=&count=` newest first
* `GET socialMetadata/{encoded post urn}` -> reactionSummaries, commentSummary
* `GET socialActions/{encoded post or comment urn}/comments?start=&count=` -> comments (or replies)
* `POST /oauth/v2/introspectToken` (form `token=`) -> active, status, authorized_at, expires_at

World -> API mapping (the world is platform-neutral, see `sandbox.world`):

* followers -> `firstDegreeSize`; follows - unfollows -> organicFollowerGain +
  paidFollowerGain, the paid part being the day's follows times its paid share of
  views (`follower_gains`);
* share statistics are organic only: impressionCount = views - views_paid,
  uniqueImpressionsCount = viewers scaled by the organic share of views. The
  world does not split interactions into paid and organic, so clickCount = clicks,
  likeCount = reactions_total, commentCount = comments (replies included),
  shareCount = shares (reposts); engagement = (clicks + likes + comments + shares)
  / impressionCount (`share_statistics_day`, `post_share_statistics`);
* reactions like/love/wow/haha/sorry/anger -> LIKE/EMPATHY/PRAISE/ENTERTAINMENT/
  APPRECIATION/INTEREST (LinkedIn has no negative reaction: the world's anger
  lands in the least enthusiastic type, "insightful");
* formats photo/video/link/text -> image media, video media, article, no content;
  video posts are `urn:li:ugcPost:`, the others `urn:li:share:`;
* commenters are members `urn:li:person:{code}`, the Page's own replies are made
  as `urn:li:organization:{id}`.

Rate limits are LinkedIn's daily quotas per member and resource (429, no rate
headers, reset 00:00 UTC); a version past its sunset answers 426.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from sandbox import region
from sandbox.determinism import rng
from sandbox.faults import FaultRule
from sandbox.platforms.base import ApiError, Call, Request, Response, WindowedPlatform
from sandbox.region import Account
from sandbox.timeutil import DAY, EPOCH, day_start
from sandbox.world import Comment, Post, World

if TYPE_CHECKING:
    from sandbox.state import SandboxState

DEFAULT_DAILY_BUDGET = 100_000
"""Calls per member, resource and day (LinkedIn does not publish its numbers)."""
DAY_SECONDS = 86_400.0
MAX_COUNT = 100
DEFAULT_COUNT = 10
MAX_POSTS_PER_STATS_CALL = 20
TOKEN_TTL = timedelta(days=60)

VALID_TOKEN = "sandbox-token"
EXPIRED_PREFIX = "sandbox-expired"
REVOKED_TOKEN = "sandbox-revoked"

REACTION_TYPES: dict[str, str] = {
    "like": "LIKE",
    "love": "EMPATHY",
    "wow": "PRAISE",
    "haha": "ENTERTAINMENT",
    "sorry": "APPRECIATION",
    "anger": "INTEREST",
}

ORG_URN = "urn:li:organization:"


class LinkedInError(ApiError):
    """A LinkedIn REST error, rendered as `{"status", "serviceErrorCode", "code", "message"}`."""

    def __init__(self, status: int, message: str, *, code: str, service_code: int | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.service_code = service_code

    def response(self) -> Response:
        body: dict[str, Any] = {"status": self.status}
        if self.service_code is not None:
            body["serviceErrorCode"] = self.service_code
        body["code"] = self.code
        body["message"] = self.message
        return Response.json(body, status=self.status)


def _bad_request(message: str, code: str = "ILLEGAL_ARGUMENT") -> LinkedInError:
    return LinkedInError(400, message, code=code, service_code=100)


def _not_found(what: str) -> LinkedInError:
    return LinkedInError(404, f"Not found: {what}", code="NOT_FOUND", service_code=100)


def _throttled() -> LinkedInError:
    return LinkedInError(
        429,
        "Resource level throttle 1 DAY limit for calls to this resource is reached.",
        code="TOO_MANY_REQUESTS",
        service_code=101,
    )


def _server_error() -> LinkedInError:
    return LinkedInError(500, "Internal Server Error", code="INTERNAL_SERVER_ERROR")


def _expired() -> LinkedInError:
    return LinkedInError(
        401, "The token used in the request has expired", code="EXPIRED_ACCESS_TOKEN", service_code=65601
    )


def _revoked() -> LinkedInError:
    return LinkedInError(
        401,
        "The token used in the request has been revoked by the user",
        code="REVOKED_ACCESS_TOKEN",
        service_code=65602,
    )


def _invalid_token() -> LinkedInError:
    return LinkedInError(401, "Invalid access token", code="INVALID_ACCESS_TOKEN", service_code=65600)


# -- versions ----------------------------------------------------------------------


def version_sunset(version: str) -> date:
    """LinkedIn supports each monthly version for a year; it sunsets mid-month a year later."""
    return date(int(version[:4]) + 1, int(version[4:]), 15)


def check_version(value: str | None, today: date) -> str:
    """The `Linkedin-Version` header, or the error LinkedIn answers for it."""
    if not value:
        raise LinkedInError(
            400,
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            code="VERSION_MISSING",
        )
    text = value.strip()
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12:
        raise LinkedInError(400, f"Invalid version format {text}, expected YYYYMM", code="INVALID_VERSION")
    if date(int(text[:4]), int(text[4:]), 1) > today:
        raise LinkedInError(426, f"Requested version {text} is not active", code="NONEXISTENT_VERSION")
    if today >= version_sunset(text):
        raise LinkedInError(
            426,
            f"Requested version {text} is not active: it was sunset on {version_sunset(text)}",
            code="NONEXISTENT_VERSION",
        )
    return text


# -- Rest.li 2.0 query values ---------------------------------------------------------


def parse_restli(text: str) -> Any:
    """Decode a (URL-decoded) Rest.li 2.0 value: `List(a,b)` -> list, `(k:v,...)` -> dict, else str.

    Structural characters are `(`, `)`, `,` and the first `:` of an object entry;
    URN leaves keep their colons because a leaf ends only at `,` or `)`.
    """
    value, rest = _parse_value(text, 0, top=True)
    if rest != len(text):
        raise ValueError(f"unexpected {text[rest:]!r} in Rest.li value")
    return value


def _parse_value(text: str, pos: int, top: bool = False) -> tuple[Any, int]:
    if text.startswith("List(", pos):
        items: list[Any] = []
        pos += 5
        if text.startswith(")", pos):
            return items, pos + 1
        while True:
            item, pos = _parse_value(text, pos)
            items.append(item)
            closed, pos = _after_entry(text, pos, "List(")
            if closed:
                return items, pos
    if text.startswith("(", pos):
        obj: dict[str, Any] = {}
        pos += 1
        if text.startswith(")", pos):
            return obj, pos + 1
        while True:
            colon = text.find(":", pos)
            if colon < 0:
                raise ValueError("object entry without ':'")
            key = text[pos:colon]
            value, pos = _parse_value(text, colon + 1)
            obj[key] = value
            closed, pos = _after_entry(text, pos, "(")
            if closed:
                return obj, pos
    if top:
        return text[pos:], len(text)
    end = pos
    while end < len(text) and text[end] not in ",)":
        end += 1
    return text[pos:end], end


def _after_entry(text: str, pos: int, opener: str) -> tuple[bool, int]:
    """After a List or object entry: (whether `)` closed it, where parsing goes on)."""
    if pos >= len(text):
        raise ValueError(f"unclosed {opener}")
    if text[pos] == ")":
        return True, pos + 1
    if text[pos] != ",":
        raise ValueError(f"expected , or ) at {pos}")
    return False, pos + 1


# -- ids ---------------------------------------------------------------------------------

_ALPHABET = string.digits + string.ascii_letters + "-_"


def member_urn(author_id: str) -> str:
    """A member's person URN: LinkedIn member ids are opaque ~10-character codes."""
    number, code = int(author_id), ""
    while number:
        number, digit = divmod(number, len(_ALPHABET))
        code = _ALPHABET[digit] + code
    return f"urn:li:person:{code or '0'}"


def post_urn(post: Post) -> str:
    kind = "ugcPost" if post.format == "video" else "share"
    return f"urn:li:{kind}:{post.serial}"


def organization_urn(account: Account) -> str:
    return f"{ORG_URN}{account.account_id}"


# -- world -> API (pure functions, also the tests' truth) ------------------------------------


def follower_gains(world: World, account: Account, day: date) -> tuple[int, int]:
    """(organicFollowerGain, paidFollowerGain) of a day; their sum is the day's net follows."""
    row = world.account_day(account, day)
    paid = row.follows * row.views_paid // row.views if row.views else 0
    return row.follows - row.unfollows - paid, paid


def _engagement(clicks: int, likes: int, comments: int, shares: int, impressions: int) -> float:
    return (clicks + likes + comments + shares) / impressions if impressions else 0.0


def _stats(impressions: int, unique: int, clicks: int, likes: int, comments: int, shares: int) -> dict[str, Any]:
    return {
        "impressionCount": impressions,
        "uniqueImpressionsCount": unique,
        "clickCount": clicks,
        "likeCount": likes,
        "commentCount": comments,
        "shareCount": shares,
        "engagement": _engagement(clicks, likes, comments, shares, impressions),
    }


def share_statistics_day(world: World, account: Account, day: date) -> dict[str, Any]:
    """The organization's organic `totalShareStatistics` for one UTC day."""
    row = world.account_day(account, day)
    organic = row.views - row.views_paid
    unique = row.viewers * organic // row.views if row.views else 0
    clicks = likes = comments = shares = 0
    for post in world.posts_between(account, day - 3 * DAY, day):
        now, before = world.post_metrics(post, day), world.post_metrics(post, day - DAY)
        clicks += now.clicks - before.clicks
        likes += now.reactions_total - before.reactions_total
        comments += now.comments - before.comments
        shares += now.shares - before.shares
    return _stats(organic, unique, clicks, likes, comments, shares)


def post_share_statistics(world: World, post: Post, as_of: date) -> dict[str, Any]:
    """A post's lifetime organic `totalShareStatistics` as of the end of `as_of`."""
    m = world.post_metrics(post, as_of)
    organic = m.views - m.views_paid
    unique = m.viewers * organic // m.views if m.views else 0
    return _stats(organic, unique, m.clicks, m.reactions_total, m.comments, m.shares)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(value: Any) -> datetime:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError):
        raise _bad_request(f"Invalid epoch milliseconds {value!r} in timeRange") from None


@dataclass(frozen=True)
class _Call(Call):
    version: str
    token: str

    @property
    def query(self) -> dict[str, str]:
        return self.request.query


class LinkedInPlatform(WindowedPlatform):
    """The Community Management API for the region's LinkedIn Pages.

    `limits` counts calls per member (token) and resource, a day by default.
    """

    name = "linkedin"
    default_budget = DEFAULT_DAILY_BUDGET
    default_window_seconds = DAY_SECONDS

    def __init__(self, state: SandboxState):
        super().__init__(state)
        self._post_counts: dict[tuple[str, date], int] = {}

    # -- ids ---------------------------------------------------------------------------

    @staticmethod
    def post_id(post: Post) -> str:
        return post_urn(post)

    @staticmethod
    def post_permalink(post: Post) -> str:
        return f"https://www.linkedin.com/feed/update/{post_urn(post)}/"

    @staticmethod
    def comment_id(post: Post, comment_serial: int) -> str:
        return f"urn:li:comment:({post_urn(post)},{comment_serial})"

    # -- entry points ------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            if request.path.rstrip("/") == "/oauth/v2/introspectToken":
                return self._introspect(request)
            segments = [unquote(s) for s in request.path.split("/") if s]
            if not segments or segments[0] != "rest":
                raise _not_found(request.path)
            token = self._token(request)
            call = _Call(
                request,
                self.state.today,
                version=check_version(request.headers.get("Linkedin-Version"), self.state.today),
                token=token,
            )
            if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
                raise _bad_request("This sandbox speaks Rest.li 2.0 only: send X-Restli-Protocol-Version: 2.0.0")
            if request.method != "GET":
                raise LinkedInError(405, f"Method {request.method} is not allowed", code="METHOD_NOT_ALLOWED")
            resource = segments[1] if len(segments) > 1 else ""
            if not self.limits.hit(f"{token}|{resource}").allowed:
                raise _throttled()
            response = Response.json(self._dispatch(call, resource, segments[2:]))
            response.headers["x-restli-protocol-version"] = "2.0.0"
            return response
        except LinkedInError as error:
            return error.response()

    def fault_response(self, rule: FaultRule, request: Request) -> Response:
        if rule.kind == "http_429":
            return _throttled().response()
        if rule.kind == "http_500":
            return _server_error().response()
        if rule.kind == "expired_token":
            if request.path.rstrip("/") == "/oauth/v2/introspectToken":
                return Response.json({"active": False, "status": "expired"})
            return _expired().response()
        if rule.kind == "revoked_token":
            if request.path.rstrip("/") == "/oauth/v2/introspectToken":
                return Response.json({"active": False, "status": "revoked"})
            return _revoked().response()
        raise ValueError(f"fault kind {rule.kind!r} is not implemented for linkedin")

    # -- auth --------------------------------------------------------------------------

    @staticmethod
    def _check_token(token: str | None) -> str:
        if not token:
            raise _invalid_token()
        if token.startswith(EXPIRED_PREFIX):
            raise _expired()
        if token == REVOKED_TOKEN:
            raise _revoked()
        if token != VALID_TOKEN:
            raise _invalid_token()
        return token

    def _token(self, request: Request) -> str:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        return self._check_token(value.strip() if scheme.lower() == "bearer" else None)

    def token_times(self, today: date) -> tuple[datetime, datetime]:
        """(authorized_at, expires_at) of the valid sandbox token: granted 20 days before today, 60-day TTL."""
        authorized = day_start(today - timedelta(days=20)) + timedelta(hours=9)
        return authorized, authorized + TOKEN_TTL

    def _introspect(self, request: Request) -> Response:
        """LinkedIn's token introspection: 200 with `active` false for dead tokens, never 401."""
        if request.method != "POST":
            return LinkedInError(405, "Use POST with a form body token=...", code="METHOD_NOT_ALLOWED").response()
        form = dict(parse_qsl(request.body.decode("utf-8", "replace")))
        token = form.get("token")
        if not token:
            return Response.json(
                {"error": "invalid_request", "error_description": 'A required parameter "token" is missing'}, status=400
            )
        authorized, expires = self.token_times(self.state.today)
        if token == VALID_TOKEN:
            return Response.json(
                {
                    "active": True,
                    "client_id": "sandbox-client",
                    "authorized_at": int(authorized.timestamp()),
                    "created_at": int(authorized.timestamp()),
                    "expires_at": int(expires.timestamp()),
                    "status": "active",
                    "scope": "r_organization_social,rw_organization_admin,r_organization_social_feed",
                    "auth_type": "3L",
                }
            )
        if token.startswith(EXPIRED_PREFIX):
            return Response.json({"active": False, "status": "expired"})
        if token == REVOKED_TOKEN:
            return Response.json({"active": False, "status": "revoked"})
        return Response.json({"active": False, "status": "invalid"})

    # -- routing -----------------------------------------------------------------------

    def _dispatch(self, call: _Call, resource: str, rest: list[str]) -> dict[str, Any]:
        if resource == "organizations" and len(rest) == 1:
            return self._organization(self._account(rest[0]))
        if resource == "networkSizes" and len(rest) == 1:
            return self._network_size(call, rest[0])
        if resource == "organizationalEntityFollowerStatistics" and not rest:
            return self._follower_statistics(call)
        if resource == "organizationalEntityShareStatistics" and not rest:
            return self._share_statistics(call)
        if resource == "posts" and not rest:
            return self._posts(call)
        if resource == "socialMetadata" and len(rest) == 1:
            return self._social_metadata(call, rest[0])
        if resource == "socialActions" and len(rest) == 2 and rest[1] == "comments":
            return self._comments(call, rest[0])
        raise _not_found(f"/rest/{'/'.join([resource, *rest])}")

    def _account(self, organization: str) -> Account:
        org_id = organization[len(ORG_URN) :] if organization.startswith(ORG_URN) else organization
        account = region.account_by_id(self.name, org_id)
        if account is None:
            raise LinkedInError(
                403, f"Not enough permissions to access: organization {org_id}", code="ACCESS_DENIED", service_code=100
            )
        return account

    def _post(self, call: _Call, urn: str) -> Post:
        kind, _, serial = urn.removeprefix("urn:li:").partition(":")
        if kind not in ("share", "ugcPost") or not serial.isdigit():
            raise _bad_request(f"Invalid post URN {urn}")
        for account in region.accounts(self.name):
            post = self.world.find_post(account, int(serial))
            if post is not None and post.created_at < call.now and post_urn(post) == urn:
                return post
        raise _not_found(urn)

    @staticmethod
    def _restli(call: _Call, name: str, required: bool = True) -> Any:
        raw = call.query.get(name)
        if raw is None or raw == "":
            if required:
                raise _bad_request(f"Missing required parameter {name}", code="PARAM_MISSING")
            return None
        try:
            return parse_restli(raw)
        except ValueError as error:
            raise _bad_request(f"Invalid Rest.li value for {name}: {error}") from None

    @staticmethod
    def _paging_params(call: _Call) -> tuple[int, int]:
        try:
            start = int(call.query.get("start", "0"))
            count = int(call.query.get("count", str(DEFAULT_COUNT)))
        except ValueError:
            raise _bad_request("start and count must be integers") from None
        if start < 0 or count < 0:
            raise _bad_request("start and count must be >= 0")
        return start, min(count, MAX_COUNT)

    @staticmethod
    def _paging(call: _Call, start: int, count: int, total: int) -> dict[str, Any]:
        links = []
        if start + count < total:
            links.append(
                {"rel": "next", "type": "application/json", "href": call.request.url_with(start=str(start + count))}
            )
        return {"start": start, "count": count, "total": total, "links": links}

    # -- organization ------------------------------------------------------------------

    def _organization(self, account: Account) -> dict[str, Any]:
        return {
            "id": int(account.account_id),
            "$URN": organization_urn(account),
            "localizedName": account.name,
            "vanityName": account.username,
            "localizedWebsite": "https://www.valdargent.example",
            "primaryOrganizationType": "GOVERNMENT" if "Government" in account.category else "NONE",
        }

    def _network_size(self, call: _Call, urn: str) -> dict[str, Any]:
        edge = call.query.get("edgeType")
        if edge not in ("COMPANY_FOLLOWED_BY_MEMBER", "CompanyFollowedByMember"):
            raise _bad_request(f"Invalid edgeType {edge!r}: expected COMPANY_FOLLOWED_BY_MEMBER")
        if not urn.startswith(ORG_URN):
            raise _bad_request(f"Invalid organization URN {urn}")
        return {"firstDegreeSize": self.world.followers(self._account(urn), call.as_of)}

    def _interval_days(self, call: _Call, floor: date) -> tuple[list[tuple[date, datetime, datetime]], bool]:
        """Whole UTC days inside `timeIntervals`, up to yesterday and from `floor`; (days, given)."""
        intervals = self._restli(call, "timeIntervals", required=False)
        if intervals is None:
            return [], False
        if not isinstance(intervals, dict) or not isinstance(intervals.get("timeRange"), dict):
            raise _bad_request("timeIntervals must look like (timeRange:(start:ms,end:ms),timeGranularityType:DAY)")
        granularity = intervals.get("timeGranularityType", "DAY")
        if granularity != "DAY":
            raise _bad_request(f"The sandbox serves timeGranularityType DAY only (got {granularity})")
        time_range = intervals["timeRange"]
        start = _from_ms(time_range.get("start"))
        end = _from_ms(time_range["end"]) if time_range.get("end") not in (None, "") else call.now
        if start >= end:
            raise _bad_request("timeRange.start must be before timeRange.end")
        first = max((start + DAY - timedelta(microseconds=1)).date(), EPOCH, floor)  # whole days only
        last = min((end.date() - DAY), call.as_of)
        days = []
        day = first
        while day <= last:
            days.append((day, day_start(day), day_start(day + DAY)))
            day += DAY
        return days, True

    def _entity(self, call: _Call) -> Account:
        if call.query.get("q") != "organizationalEntity":
            raise _bad_request("Unsupported finder: use q=organizationalEntity")
        entity = call.query.get("organizationalEntity") or ""
        if not entity.startswith(ORG_URN):
            raise _bad_request(
                f"Invalid organizationalEntity {entity!r}", code="PARAM_MISSING" if not entity else "ILLEGAL_ARGUMENT"
            )
        return self._account(entity)

    def _follower_statistics(self, call: _Call) -> dict[str, Any]:
        account = self._entity(call)
        urn = organization_urn(account)
        days, given = self._interval_days(call, EPOCH)
        if not given:  # lifetime demographics; the sandbox does not simulate member facets
            empty: list[Any] = []
            element = {
                "organizationalEntity": urn,
                "followerCountsByAssociationType": empty,
                "followerCountsBySeniority": empty,
                "followerCountsByFunction": empty,
                "followerCountsByIndustryV2": empty,
                "followerCountsByStaffCountRange": empty,
                "followerCountsByGeoCountry": empty,
            }
            return {"elements": [element], "paging": {"start": 0, "count": 10, "links": []}}
        elements = []
        for day, start, end in days:
            organic, paid = follower_gains(self.world, account, day)
            elements.append(
                {
                    "organizationalEntity": urn,
                    "timeRange": {"start": _ms(start), "end": _ms(end)},
                    "followerGains": {"organicFollowerGain": organic, "paidFollowerGain": paid},
                }
            )
        return {"elements": elements, "paging": {"start": 0, "count": len(elements), "links": []}}

    def _share_statistics(self, call: _Call) -> dict[str, Any]:
        account = self._entity(call)
        urn = organization_urn(account)
        try:
            window_floor = call.today.replace(year=call.today.year - 1)
        except ValueError:
            window_floor = call.today.replace(year=call.today.year - 1, day=28)
        days, given = self._interval_days(call, window_floor)
        shares = self._restli(call, "shares", required=False) or []
        ugc_posts = self._restli(call, "ugcPosts", required=False) or []
        if not isinstance(shares, list) or not isinstance(ugc_posts, list):
            raise _bad_request("shares and ugcPosts must be Rest.li lists: List(urn:li:share:...)")
        requested = [("share", u) for u in shares] + [("ugcPost", u) for u in ugc_posts]
        if len(requested) > MAX_POSTS_PER_STATS_CALL:
            raise _bad_request(f"At most {MAX_POSTS_PER_STATS_CALL} shares and ugcPosts per request")
        if requested and given:
            raise _bad_request("The sandbox serves per-post statistics as lifetime values only (omit timeIntervals)")
        elements: list[dict[str, Any]] = []
        if requested:
            for field, post_ref in requested:
                if not str(post_ref).startswith(f"urn:li:{field}:"):
                    raise _bad_request(f"{post_ref} is not a {field} URN")
                post = self._post(call, post_ref)
                if post.account != account:
                    raise _bad_request(f"{post_ref} was not posted by {urn}")
                if post.day < window_floor:  # outside the rolling 12 months: nothing is returned
                    continue
                elements.append(
                    {
                        "organizationalEntity": urn,
                        field: post_ref,
                        "totalShareStatistics": post_share_statistics(self.world, post, call.as_of),
                    }
                )
        elif given:
            for day, start, end in days:
                elements.append(
                    {
                        "organizationalEntity": urn,
                        "timeRange": {"start": _ms(start), "end": _ms(end)},
                        "totalShareStatistics": share_statistics_day(self.world, account, day),
                    }
                )
        else:  # lifetime organization totals over the rolling window
            totals = {"impressionCount": 0, "uniqueImpressionsCount": 0, "clickCount": 0, "likeCount": 0}
            totals |= {"commentCount": 0, "shareCount": 0}
            day = max(window_floor, EPOCH)
            while day <= call.as_of:
                stats = share_statistics_day(self.world, account, day)
                for key in totals:
                    totals[key] += stats[key]
                day += DAY
            stats = _stats(
                totals["impressionCount"],
                totals["uniqueImpressionsCount"],
                totals["clickCount"],
                totals["likeCount"],
                totals["commentCount"],
                totals["shareCount"],
            )
            elements.append({"organizationalEntity": urn, "totalShareStatistics": stats})
        return {"elements": elements, "paging": {"start": 0, "count": len(elements), "links": []}}

    # -- posts ---------------------------------------------------------------------------

    def _post_count(self, account: Account, as_of: date) -> int:
        key = (account.key, as_of)
        if key not in self._post_counts:
            self._post_counts[key] = sum(1 for _ in self.world.posts_between(account, EPOCH, as_of))
        return self._post_counts[key]

    def _post_element(self, post: Post) -> dict[str, Any]:
        created = _ms(post.created_at)
        element: dict[str, Any] = {
            "id": post_urn(post),
            "author": organization_urn(post.account),
            "visibility": "PUBLIC",
            "lifecycleState": "PUBLISHED",
            "createdAt": created,
            "publishedAt": created,
            "lastModifiedAt": created,
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "isReshareDisabledByAuthor": False,
            "lifecycleStateInfo": {"isEditedByAuthor": False},
        }
        if post.message is not None:
            element["commentary"] = post.message
        gen = rng(self.state.seed, "linkedin-media", post.serial)
        asset = "".join(gen.choice(_ALPHABET[:62]) for _ in range(16))
        if post.format == "photo":
            element["content"] = {"media": {"id": f"urn:li:image:D4E{asset}", "altText": ""}}
        elif post.format == "video":
            element["content"] = {"media": {"id": f"urn:li:video:D4E{asset}", "title": ""}}
        elif post.format == "link":
            element["content"] = {
                "article": {
                    "source": f"https://www.valdargent.example/actualites/{post.serial}",
                    "title": (post.message or "Actualité")[:80],
                }
            }
        return element

    def _posts(self, call: _Call) -> dict[str, Any]:
        """The author's posts, newest first, start/count paged (sortBy CREATED or LAST_MODIFIED)."""
        if call.query.get("q") != "author":
            raise _bad_request("Unsupported finder: use q=author")
        author = call.query.get("author") or ""
        if not author.startswith(ORG_URN):
            raise _bad_request(f"Invalid author {author!r}: expected urn:li:organization:{{id}}")
        account = self._account(author)
        sort_by = call.query.get("sortBy", "LAST_MODIFIED")
        if sort_by not in ("CREATED", "LAST_MODIFIED"):
            raise _bad_request(f"Invalid sortBy {sort_by}: CREATED or LAST_MODIFIED")
        start, count = self._paging_params(call)
        total = self._post_count(account, call.as_of)
        wanted: list[Post] = []
        day = call.as_of
        while day >= EPOCH and len(wanted) < start + count:
            wanted.extend(
                sorted(self.world.posts_on(account, day), key=lambda p: (p.created_at, p.serial), reverse=True)
            )
            day -= DAY
        page = wanted[start : start + count]
        return {"elements": [self._post_element(p) for p in page], "paging": self._paging(call, start, count, total)}

    # -- social actions ------------------------------------------------------------------------

    def _social_metadata(self, call: _Call, urn: str) -> dict[str, Any]:
        post = self._post(call, urn)
        metrics = self.world.post_metrics(post, call.as_of)
        summaries: dict[str, Any] = {}
        for world_type, count in metrics.reactions.items():
            if count:
                api_type = REACTION_TYPES[world_type]
                summaries[api_type] = {"reactionType": api_type, "count": count}
        comments = self.world.comments_before(post, call.now)
        top_level = sum(1 for c in comments if c.parent_serial is None)
        return {
            "entity": urn,
            "reactionSummaries": summaries,
            "commentSummary": {"count": len(comments), "topLevelCount": top_level},
            "commentsState": "OPEN",
        }

    def _comment_element(self, comment: Comment) -> dict[str, Any]:
        post = comment.post
        urn = self.comment_id(post, comment.serial)
        actor = organization_urn(post.account) if comment.is_from_page else member_urn(comment.author_id)
        created = {"actor": actor, "time": _ms(comment.created_at)}
        element: dict[str, Any] = {
            "id": str(comment.serial),
            "$URN": urn,
            "actor": actor,
            "object": post_urn(post),
            "message": {"text": comment.message, "attributes": []},
            "created": created,
            "lastModified": created,
            "likesSummary": {
                "totalLikes": comment.like_count,
                "likedByCurrentUser": False,
                "aggregatedTotalLikes": comment.like_count,
            },
            "commentsSummary": {
                "aggregatedTotalComments": comment.reply_count,
                "totalFirstLevelComments": comment.reply_count,
            },
        }
        if comment.is_from_page:
            element["agent"] = "urn:li:person:sandboxCommunityManager"
        if comment.parent_serial is not None:
            element["parentComment"] = self.comment_id(post, comment.parent_serial)
        return element

    def _comments(self, call: _Call, target: str) -> dict[str, Any]:
        """Top-level comments of a post, or replies of a comment URN; oldest first, start/count paged."""
        if target.startswith("urn:li:comment:("):
            inner = target[len("urn:li:comment:(") : -1]
            parent_post, _, serial = inner.rpartition(",")
            post = self._post(call, parent_post)
            if not serial.isdigit():
                raise _bad_request(f"Invalid comment URN {target}")
            comments = [c for c in self.world.comments_before(post, call.now) if c.parent_serial == int(serial)]
            if not any(c.serial == int(serial) for c in self.world.comments_before(post, call.now)):
                raise _not_found(target)
        else:
            post = self._post(call, target)
            comments = [c for c in self.world.comments_before(post, call.now) if c.parent_serial is None]
        start, count = self._paging_params(call)
        page = comments[start : start + count]
        return {
            "elements": [self._comment_element(c) for c in page],
            "paging": self._paging(call, start, count, len(comments)),
        }
