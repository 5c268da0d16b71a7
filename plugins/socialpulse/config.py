"""The accounts configuration (config/accounts.yml), parsed into plain dataclasses.

Read at DAG parse time to generate one extract DAG per platform and one mapped task
per account: it is a small local file, not queried data, so this stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


class ConfigError(ValueError):
    """The accounts file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class Account:
    key: str
    platform: str
    account_id: str
    name: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "platform": self.platform, "account_id": self.account_id, "name": self.name}


@dataclass(frozen=True)
class PlatformConfig:
    name: str
    api_version: str | None = None
    lookback_days: int = 3
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AccountsConfig:
    region: str
    timezone: str
    platforms: dict[str, PlatformConfig]
    accounts: list[Account]

    def for_platform(self, platform: str) -> list[Account]:
        return [a for a in self.accounts if a.platform == platform]

    def account(self, key: str) -> Account:
        for a in self.accounts:
            if a.key == key:
                return a
        raise ConfigError(f"no account with key {key!r}")


def load_accounts(path: Path) -> AccountsConfig:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read accounts configuration: {exc}") from exc

    platforms = {}
    for name, opts in (doc.get("platforms") or {}).items():
        opts = dict(opts or {})
        platforms[name] = PlatformConfig(
            name=name,
            api_version=opts.pop("api_version", None),
            lookback_days=int(opts.pop("lookback_days", 3)),
            options=opts,
        )

    accounts: list[Account] = []
    seen: set[str] = set()
    for i, raw in enumerate(doc.get("accounts") or []):
        where = f"{path}: accounts[{i}]"
        for required in ("key", "platform", "account_id"):
            if not raw or not raw.get(required):
                raise ConfigError(f"{where}: missing field {required!r}")
        key = str(raw["key"])
        if not key.replace("_", "").isalnum() or key.lower() != key:
            raise ConfigError(f"{where}: key {key!r} must be lowercase letters, digits and _")
        if key in seen:
            raise ConfigError(f"{where}: duplicate key {key!r}")
        if raw["platform"] not in platforms:
            raise ConfigError(f"{where}: platform {raw['platform']!r} is not configured under 'platforms'")
        seen.add(key)
        accounts.append(
            Account(
                key=key, platform=raw["platform"], account_id=str(raw["account_id"]), name=str(raw.get("name", key))
            )
        )
    return AccountsConfig(
        region=str(doc.get("region", "")),
        timezone=str(doc.get("timezone", "Europe/Paris")),
        platforms=platforms,
        accounts=accounts,
    )
