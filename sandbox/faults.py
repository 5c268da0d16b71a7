"""Injectable faults: make a platform misbehave on purpose, a fixed number of times.

A fault *rule* says which requests it hits (platform, URL path substring, how
many, after skipping how many) and what happens (its *kind*). Rules come from
the CLI (`--fault facebook:http_500:count=2:path=/insights`) or from the
control API (`POST /__sandbox__/faults`).

Kinds are registered with a *stage* that tells the server where the fault
acts, so new kinds slot in without touching the matching logic:

* ``delay``     before answering (``slow``);
* ``respond``   replaces the platform's answer with one the platform formats in
  its own error dialect (``http_429``, ``http_500``, ``expired_token``);
* ``transform`` rewrites a finished response (future: malformed JSON, renamed
  field, dropped connection);
* ``platform``  handed to the platform, which applies it while building the
  answer (future: duplicate items across pages, looping cursor, late corrections).

Only the first matching ``respond`` rule of a request is used (and spent); all
matching rules of the other stages apply.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sandbox.platforms.base import Response

Stage = Literal["delay", "respond", "transform", "platform"]


@dataclass(frozen=True)
class FaultKind:
    name: str
    stage: Stage
    summary: str
    transform: Callable[[Response, FaultRule], Response] | None = None
    """For `transform` kinds: rewrites the finished response (platform-neutral)."""


KINDS: dict[str, FaultKind] = {}


def register_kind(kind: FaultKind) -> FaultKind:
    """Make a fault kind available to rules (platforms implement what it means)."""
    KINDS[kind.name] = kind
    return kind


register_kind(FaultKind("http_429", "respond", "throttle answer with Retry-After (seconds, default 1)"))
register_kind(FaultKind("http_500", "respond", "transient server error"))
register_kind(FaultKind("expired_token", "respond", "the access token is reported expired"))
register_kind(FaultKind("slow", "delay", "sleep `seconds` (default 1) before answering"))

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
            "spent": self.spent,
        }


@dataclass
class FaultPlan:
    """What the faults registry decided for one request."""

    delays: list[FaultRule] = field(default_factory=list)
    respond: FaultRule | None = None
    transforms: list[FaultRule] = field(default_factory=list)
    platform: list[FaultRule] = field(default_factory=list)

    @property
    def served_kinds(self) -> list[str]:
        rules = [*self.delays, *([self.respond] if self.respond else []), *self.transforms, *self.platform]
        return [r.kind for r in rules]


class FaultRegistry:
    """Thread-safe list of rules; `take` matches a request and spends counts."""

    def __init__(self, rules: Iterable[FaultRule] = ()):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self.add(rules)

    def add(self, rules: Iterable[FaultRule]) -> list[FaultRule]:
        added = []
        with self._lock:
            for rule in rules:
                rule.id = self._next_id
                self._next_id += 1
                self._rules.append(rule)
                added.append(rule)
        return added

    def clear(self, platform: str | None = None) -> int:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if platform is not None and r.platform != platform]
            return before - len(self._rules)

    def rules(self) -> list[dict[str, Any]]:
        with self._lock:
            return [r.to_dict() for r in self._rules]

    def take(self, platform: str, path: str) -> FaultPlan:
        """Match one incoming request against the rules, in insertion order."""
        plan = FaultPlan()
        with self._lock:
            for rule in self._rules:
                if not rule.matches(platform, path) or (rule.stage == "respond" and plan.respond):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                if rule.stage == "respond":
                    plan.respond = rule
                else:
                    {"delay": plan.delays, "transform": plan.transforms, "platform": plan.platform}[rule.stage].append(
                        rule
                    )
                rule.served += 1
        return plan
