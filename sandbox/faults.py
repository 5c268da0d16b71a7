"""Injectable faults: make a platform misbehave on purpose, a fixed number of times.

A fault *rule* says which requests it hits (platform, URL path substring, how
many, after skipping how many) and what happens (its *kind*). Rules come from
the CLI (`--fault facebook:http_500:count=2:path=/insights`) or from the
control API (`POST /__sandbox__/faults`).

Kinds are registered with a *stage* that tells the server where the fault
acts, so new kinds slot in without touching the matching logic:

* ``delay``     before answering (``slow``);
* ``respond``   replaces the platform's answer with one the platform formats in
  its own error dialect (``http_429``, ``http_500``, ``http_5xx``,
  ``expired_token``, ``revoked_token``);
* ``transform`` rewrites a finished response: ``malformed_json``,
  ``drop_connection``, ``rename_field``, ``remove_field``, ``duplicate_items``,
  ``cursor_loop`` (the last two know where each platform keeps its items and its
  next-page cursor: see `_ITEM_KEYS` and `_next_cursor`);
* ``platform``  handed to the platform, which applies it while building the
  answer (kinds that need the world rather than the wire format);
* ``world``     a switch on the world while the rule exists (``late_correction``:
  the truth knows it too, see `late_corrections`); never matched per request.

Only the first matching ``respond`` rule of a request is used (and spent); all
matching rules of the other stages apply. A rule with a ``rate`` option (0..1)
fires on that share of its matching requests, drawn from the seed, the rule's id
and the request's rank among the rule's matches: the same run of requests meets
the same faults.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlsplit

from sandbox.determinism import rng
from sandbox.world import LateCorrection

if TYPE_CHECKING:
    from sandbox.platforms.base import Request, Response

Stage = Literal["delay", "respond", "transform", "platform", "world"]


@dataclass(frozen=True)
class FaultKind:
    name: str
    stage: Stage
    summary: str
    transform: Callable[[Response, FaultRule, Request], Response] | None = None
    """For `transform` kinds: rewrites the finished response (given the rule and the request)."""


KINDS: dict[str, FaultKind] = {}


def register_kind(kind: FaultKind) -> FaultKind:
    """Make a fault kind available to rules (platforms implement what it means)."""
    KINDS[kind.name] = kind
    return kind


register_kind(FaultKind("http_429", "respond", "throttle answer with Retry-After (seconds, default 1)"))
register_kind(FaultKind("http_500", "respond", "transient server error"))
register_kind(FaultKind("http_5xx", "respond", "server errors 500/502/503/504 on a share `rate` of the requests"))
register_kind(FaultKind("expired_token", "respond", "the access token is reported expired"))
register_kind(FaultKind("revoked_token", "respond", "the access token is reported revoked (permanent)"))
register_kind(FaultKind("slow", "delay", "sleep `seconds` (default 1) before answering"))

register_kind(
    FaultKind("late_correction", "world", "settled post counters restated later (share, after_days, percent)")
)

SERVER_ERROR_CODES = (500, 502, 503, 504)

_INT_FIELDS = ("count", "skip")


@dataclass
class FaultRule:
    """One injected fault. `count=None` means every matching request, until cleared."""

    platform: str
    kind: str
    count: int | None = None
    path: str | None = None
    seconds: float | None = None
    skip: int = 0
    """Let this many matching requests through before the fault starts."""
    options: dict[str, str] = field(default_factory=dict)
    """Kind-specific settings, e.g. `code=4` for a platform's app-level throttle."""
    id: int = 0
    matched: int = 0
    served: int = 0
    applied: int = 0
    """Requests a page-level transform actually changed (`duplicate_items`, `cursor_loop`)."""
    memory: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """What a stateful transform remembers between requests (previous page, first cursor)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if not self.platform:
            raise ValueError("a fault rule needs a platform")
        if self.count is not None and self.count < 1:
            raise ValueError("count must be >= 1 (omit it for 'every request')")
        if self.skip < 0:
            raise ValueError("skip must be >= 0")
        if self.seconds is not None and self.seconds < 0:
            raise ValueError("seconds must be >= 0")
        if "rate" in self.options:
            try:
                rate = float(self.options["rate"])
            except ValueError:
                raise ValueError(f"rate must be a number, not {self.options['rate']!r}") from None
            if not 0 < rate <= 1:
                raise ValueError("rate must be in (0, 1]")
        if self.kind == "rename_field" and not (self.options.get("field") and self.options.get("to")):
            raise ValueError("rename_field needs field=<name> and to=<new name>")
        if self.kind == "remove_field" and not self.options.get("field"):
            raise ValueError("remove_field needs field=<name>")
        if self.kind == "late_correction":
            self.late_correction()  # validates the options

    def late_correction(self) -> LateCorrection:
        """The world's correction a `late_correction` rule asks for."""
        try:
            return LateCorrection(
                share=float(self.options.get("share", LateCorrection.share)),
                after_days=int(self.options.get("after_days", LateCorrection.after_days)),
                percent=int(self.options.get("percent", LateCorrection.percent)),
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"late_correction: {error}") from None

    @property
    def rate(self) -> float:
        return float(self.options.get("rate", 1.0))

    @property
    def stage(self) -> Stage:
        return KINDS[self.kind].stage

    @property
    def spent(self) -> bool:
        return self.count is not None and self.served >= self.count

    def matches(self, platform: str, path: str) -> bool:
        return not self.spent and platform == self.platform and (not self.path or self.path in path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        """Build a rule from JSON; unknown keys become kind-specific options."""
        known = {"platform", "kind", "count", "path", "seconds", "skip"}
        options = {str(k): str(v) for k, v in data.items() if k not in known and k != "options"}
        options.update({str(k): str(v) for k, v in (data.get("options") or {}).items()})
        try:
            return cls(
                platform=str(data["platform"]),
                kind=str(data["kind"]),
                count=None if data.get("count") is None else int(data["count"]),
                path=None if data.get("path") is None else str(data["path"]),
                seconds=None if data.get("seconds") is None else float(data["seconds"]),
                skip=int(data.get("skip") or 0),
                options=options,
            )
        except KeyError as missing:
            raise ValueError(f"fault rule is missing {missing}") from None

    @classmethod
    def from_spec(cls, spec: str) -> FaultRule:
        """Parse `platform:kind[:key=value...]`, e.g. `facebook:http_500:count=2:path=/insights`."""
        parts = spec.split(":")
        if len(parts) < 2:
            raise ValueError(f"fault spec {spec!r} must look like platform:kind[:key=value...]")
        data: dict[str, Any] = {"platform": parts[0], "kind": parts[1]}
        for part in parts[2:]:
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault spec {spec!r}: {part!r} is not key=value")
            data[key] = value
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "platform": self.platform,
            "kind": self.kind,
            "stage": self.stage,
            "count": self.count,
            "path": self.path,
            "seconds": self.seconds,
            "skip": self.skip,
            "options": dict(self.options),
            "matched": self.matched,
            "served": self.served,
            "applied": self.applied,
            "spent": self.spent,
        }


@dataclass
class FaultPlan:
    """What the faults registry decided for one request."""

    delays: list[FaultRule] = field(default_factory=list)
    respond: FaultRule | None = None
    status: int | None = None
    """For `http_5xx`: the status drawn for this request."""
    transforms: list[FaultRule] = field(default_factory=list)
    platform: list[FaultRule] = field(default_factory=list)

    @property
    def served_kinds(self) -> list[str]:
        rules = [*self.delays, *([self.respond] if self.respond else []), *self.transforms, *self.platform]
        return [r.kind for r in rules]


class FaultRegistry:
    """Thread-safe list of rules; `take` matches a request and spends counts."""

    def __init__(
        self,
        rules: Iterable[FaultRule] = (),
        seed: int = 0,
        on_change: Callable[[FaultRegistry], None] | None = None,
    ):
        self.seed = seed
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._on_change = on_change
        self.add(rules)

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change(self)

    def late_corrections(self) -> dict[str, LateCorrection]:
        """The world's late corrections per platform (the first rule of a platform wins)."""
        with self._lock:
            rules = [r for r in self._rules if r.kind == "late_correction"]
        return late_corrections(rules)

    def add(self, rules: Iterable[FaultRule]) -> list[FaultRule]:
        added = []
        with self._lock:
            for rule in rules:
                rule.id = self._next_id
                self._next_id += 1
                self._rules.append(rule)
                added.append(rule)
        self._changed()
        return added

    def clear(self, platform: str | None = None) -> int:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if platform is not None and r.platform != platform]
            cleared = before - len(self._rules)
        self._changed()
        return cleared

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def take(self, platform: str, path: str) -> FaultPlan:
        """Match one incoming request against the rules, in insertion order."""
        plan = FaultPlan()
        with self._lock:
            for rule in self._rules:
                if (
                    rule.stage == "world"
                    or not rule.matches(platform, path)
                    or (rule.stage == "respond" and plan.respond)
                ):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                draw = rng(self.seed, "fault", rule.id, rule.kind, rule.matched)
                if "rate" in rule.options and draw.random() >= rule.rate:
                    continue
                if rule.stage == "respond":
                    plan.respond = rule
                    if rule.kind == "http_5xx":
                        plan.status = draw.choice(SERVER_ERROR_CODES)
                else:
                    {"delay": plan.delays, "transform": plan.transforms, "platform": plan.platform}[rule.stage].append(
                        rule
                    )
                rule.served += 1
        return plan


def late_corrections(rules: Iterable[FaultRule | str]) -> dict[str, LateCorrection]:
    """Late corrections per platform from rules or CLI specs (other kinds are ignored)."""
    corrections: dict[str, LateCorrection] = {}
    for rule in rules:
        rule = FaultRule.from_spec(rule) if isinstance(rule, str) else rule
        if rule.kind == "late_correction":
            corrections.setdefault(rule.platform, rule.late_correction())
    return corrections


# -- transforms ---------------------------------------------------------------------------
# Platform-neutral rewrites of a finished response. Only successful JSON answers are
# touched: an error is already a fault of its own.


def _json_body(response: Response) -> Any:
    if not 200 <= response.status < 300 or "json" not in response.headers.get("Content-Type", "json"):
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return None


def _with_body(response: Response, payload: Any) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return replace(response, body=body, headers=dict(response.headers))


def _malformed_json(response: Response, rule: FaultRule, request: Request) -> Response:
    """The page breaks off mid-way (a proxy truncated it): well-formed headers, broken JSON."""
    if not 200 <= response.status < 300 or len(response.body) < 2:
        return response
    return replace(response, body=response.body[: len(response.body) // 2], headers=dict(response.headers))


def _drop_connection(response: Response, rule: FaultRule, request: Request) -> Response:
    """Headers (with the full Content-Length) go out, then half the body, then the socket closes."""
    return replace(response, headers=dict(response.headers), cut_after=len(response.body) // 2)


def _walk_fields(payload: Any, change: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(payload, dict):
        change(payload)
        for value in payload.values():
            _walk_fields(value, change)
    elif isinstance(payload, list):
        for value in payload:
            _walk_fields(value, change)


def _rename_field(response: Response, rule: FaultRule, request: Request) -> Response:
    """Schema drift: every object key `field` (at any depth) is renamed `to`."""
    payload = _json_body(response)
    if payload is None:
        return response
    old, new = rule.options["field"], rule.options["to"]

    def rename(obj: dict[str, Any]) -> None:
        if old in obj:
            obj[new] = obj.pop(old)

    _walk_fields(payload, rename)
    return _with_body(response, payload)


def _remove_field(response: Response, rule: FaultRule, request: Request) -> Response:
    """Schema drift: every object key `field` (at any depth) is gone."""
    payload = _json_body(response)
    if payload is None:
        return response
    _walk_fields(payload, lambda obj: obj.pop(rule.options["field"], None))
    return _with_body(response, payload)


_ITEM_KEYS = ("data", "elements", "feed", "statuses")
"""Where a page keeps its items: Graph and X `data`, LinkedIn `elements`, Bluesky `feed`
(Mastodon answers a bare list)."""

_CONTINUATION_PARAMS = {"after", "pagination_token", "next_token", "cursor", "max_id"}
"""Query parameters that make a request a next page (LinkedIn: `start` > 0)."""


def _items(payload: Any) -> list[Any] | None:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in _ITEM_KEYS:
            if isinstance(payload.get(key), list):
                return payload[key]
    return None


def _is_next_page(request: Request) -> bool:
    query = request.query
    if any(query.get(name) for name in _CONTINUATION_PARAMS):
        return True
    start = query.get("start", "0")
    return start.isdigit() and int(start) > 0


def _duplicate_items(response: Response, rule: FaultRule, request: Request) -> Response:
    """The last item of the previous page shows up again at the top of the next page.

    What a feed does when a new post arrives between two page reads. The page grows
    by one item; nothing is lost.
    """
    payload = _json_body(response)
    items = _items(payload)
    if items is None:
        return response
    previous = rule.memory.get(request.path)
    rule.memory[request.path] = items[-1] if items else None
    if previous is None or not _is_next_page(request):
        return response
    items.insert(0, previous)
    rule.applied += 1
    return _with_body(response, payload)


def _link_next(header: str) -> str | None:
    for part in header.split(","):
        url, _, params = part.partition(";")
        if 'rel="next"' in params:
            return url.strip().strip("<>")
    return None


def _next_cursor(response: Response, payload: Any) -> tuple[str, str] | None:
    """Where this page says the next one is, as (location, value), in the platform's own way."""
    link = response.headers.get("Link")
    if link and _link_next(link):
        return "link", _link_next(link) or ""
    if not isinstance(payload, dict):
        return None
    paging = payload.get("paging")
    if isinstance(paging, dict) and paging.get("next"):
        return "paging.next", paging["next"]
    meta = payload.get("meta")
    if isinstance(meta, dict) and meta.get("next_token"):
        return "meta.next_token", meta["next_token"]
    if isinstance(payload.get("cursor"), str):
        return "cursor", payload["cursor"]
    return None


def _cursor_loop(response: Response, rule: FaultRule, request: Request) -> Response:
    """Every next page says its next page is the second page again: a cursor that loops.

    The first page's cursor (to page 2) is remembered per URL path; each next page
    served afterwards points back to it, even the last one. A client that does not
    track the cursors it followed never stops. LinkedIn pages by `start`/`count`
    that the client computes itself: there is no cursor to loop.
    """
    payload = _json_body(response)
    if payload is None:
        return response
    found = _next_cursor(response, payload)
    if not _is_next_page(request):
        if found is not None:
            rule.memory[request.path] = found
        return response
    if request.path not in rule.memory:
        return response
    where, first = rule.memory[request.path]
    rule.applied += 1
    if where == "link":
        links = [part for part in response.headers.get("Link", "").split(",") if part and 'rel="next"' not in part]
        link = ", ".join([f'<{first}>; rel="next"', *(part.strip() for part in links)])
        return replace(response, headers={**response.headers, "Link": link})
    if where == "paging.next":
        paging = payload.setdefault("paging", {})
        paging["next"] = first
        after = dict(parse_qsl(urlsplit(first).query)).get("after")
        if after is not None:
            paging.setdefault("cursors", {})["after"] = after
    elif where == "meta.next_token":
        payload.setdefault("meta", {})["next_token"] = first
    else:
        payload["cursor"] = first
    return _with_body(response, payload)


register_kind(FaultKind("malformed_json", "transform", "a 2xx body cut in half: invalid JSON", _malformed_json))
register_kind(
    FaultKind("drop_connection", "transform", "headers sent, body cut mid-way, socket closed", _drop_connection)
)
register_kind(FaultKind("rename_field", "transform", "schema drift: key `field` renamed `to`", _rename_field))
register_kind(FaultKind("remove_field", "transform", "schema drift: key `field` removed", _remove_field))
register_kind(
    FaultKind("duplicate_items", "transform", "previous page's last item repeated on the next page", _duplicate_items)
)
register_kind(
    FaultKind("cursor_loop", "transform", "the next-page cursor points back to an earlier page", _cursor_loop)
)
