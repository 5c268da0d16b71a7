"""Helpers the sandbox tests of several platforms share: Graph errors and paging, the control API."""

from __future__ import annotations

from typing import Any

import httpx

from sandbox.server import SandboxHandle

GRAPH_ERROR_KEYS = {"message", "type", "code", "is_transient", "error_user_title", "error_user_msg", "fbtrace_id"}


def graph_error(response: httpx.Response) -> dict:
    """The `error` object of a failed Graph answer (Facebook, Instagram), checked for Graph's keys."""
    assert response.status_code >= 400, response.text
    error = response.json()["error"]
    assert GRAPH_ERROR_KEYS <= set(error)
    return error


def graph_items(response: httpx.Response) -> list[dict]:
    """Every item of a Graph list, following paging.next to the end as a connector would."""
    items: list[dict] = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        next_url = body.get("paging", {}).get("next")
        if not next_url:
            return items
        response = httpx.get(next_url)


def add_faults(handle: SandboxHandle, *rules: dict[str, Any]) -> None:
    """Append fault rules, in order, through the control API."""
    httpx.post(f"{handle.url}/__sandbox__/faults", json={"rules": list(rules)}).raise_for_status()


def set_ratelimit(handle: SandboxHandle, platform: str, **settings: Any) -> None:
    """Change a platform's call budgets through the control API."""
    httpx.post(f"{handle.url}/__sandbox__/ratelimit", json={"platform": platform, **settings}).raise_for_status()
