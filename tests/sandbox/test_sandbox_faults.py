"""Injected faults, rate limits and the control API."""

from __future__ import annotations

import json
import time
from datetime import date

import httpx
import pytest

from sandbox import region
from sandbox.faults import FaultRegistry, FaultRule
from sandbox.platforms import PLATFORMS
from sandbox.server import redact, serve_in_thread

MAIN = region.accounts("facebook")[0].account_id


def control(handle, method: str, path: str, payload: dict | None = None) -> httpx.Response:
    return httpx.request(method, f"{handle.url}/__sandbox__/{path}", json=payload)


def test_rule_specs() -> None:
    rule = FaultRule.from_spec("facebook:http_500:count=2:path=/insights")
    assert (rule.platform, rule.kind, rule.count, rule.path, rule.skip) == ("facebook", "http_500", 2, "/insights", 0)
    assert FaultRule.from_spec("facebook:slow:seconds=0.5").seconds == 0.5
    assert FaultRule.from_spec("facebook:http_429:code=4").options == {"code": "4"}
    for bad in ("facebook", "facebook:explode", "facebook:http_500:count", "facebook:http_500:count=0"):
        with pytest.raises(ValueError):
            FaultRule.from_spec(bad)


def test_registry_matching_counts_and_skip() -> None:
    registry = FaultRegistry([FaultRule.from_spec("facebook:http_500:count=2:skip=1:path=/posts")])
    assert registry.take("facebook", "/facebook/v25.0/1/insights").respond is None  # path filter
    assert registry.take("instagram", "/instagram/posts").respond is None  # platform filter
    served = [registry.take("facebook", "/facebook/v25.0/1/posts").respond is not None for _ in range(4)]
    assert served == [False, True, True, False]  # skip 1, then 2 hits, then spent
    (rule,) = registry.rules()
    assert rule["spent"] and rule["served"] == 2


def test_http_429_fault_with_retry_after(own_sandbox, graph_client) -> None:
    fb = graph_client(own_sandbox)
    control(own_sandbox, "POST", "faults", {"rules": [{"platform": "facebook", "kind": "http_429", "count": 1}]})
    throttled = fb.get(f"/{MAIN}")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    error = throttled.json()["error"]
    assert (error["code"], error["is_transient"], error["type"]) == (80001, True, "OAuthException")
    buc = json.loads(throttled.headers["X-Business-Use-Case-Usage"])
    assert buc[MAIN][0]["estimated_time_to_regain_access"] >= 1
    assert fb.get(f"/{MAIN}").status_code == 200  # count spent
    assert control(own_sandbox, "GET", "stats").json()["by_fault"] == {"http_429": 1}


def test_http_500_then_recovery_with_path_filter(graph_client) -> None:
    with serve_in_thread(today=date(2026, 11, 26), faults=["facebook:http_500:count=2:path=/insights"]) as handle:
        fb = graph_client(handle)
        params = {"metric": "page_follows", "since": "2026-11-01", "until": "2026-11-05"}
        assert fb.get(f"/{MAIN}/posts").status_code == 200  # not matched: no count spent
        for _ in range(2):
            failed = fb.get(f"/{MAIN}/insights", params=params)
            assert failed.status_code == 500
            error = failed.json()["error"]
            assert error["code"] == 2 and error["is_transient"] is True
            assert error["message"] == "An unexpected error has occurred. Please retry your request later."
        assert fb.get(f"/{MAIN}/insights", params=params).status_code == 200
        stats = control(handle, "GET", "stats").json()
        assert stats["by_fault"] == {"http_500": 2}
        assert stats["by_status"] == {"200": 2, "500": 2} and stats["by_platform"] == {"facebook": 4}


def test_slow_and_expired_token_faults(own_sandbox, graph_client) -> None:
    fb = graph_client(own_sandbox)
    rules = [
        {"platform": "facebook", "kind": "slow", "seconds": 0.3, "count": 1},
        {"platform": "facebook", "kind": "expired_token", "count": 2},
    ]
    assert len(control(own_sandbox, "POST", "faults", {"rules": rules}).json()["added"]) == 2
    started = time.perf_counter()
    first = fb.get(f"/{MAIN}")
    assert time.perf_counter() - started >= 0.3
    assert [first.json()["error"]["error_subcode"], fb.get(f"/{MAIN}").json()["error"]["error_subcode"]] == [463, 463]
    assert fb.get(f"/{MAIN}").status_code == 200
    listed = control(own_sandbox, "GET", "faults").json()["rules"]
    assert [r["spent"] for r in listed] == [True, True]
    assert control(own_sandbox, "DELETE", "faults").json() == {"cleared": 2}
    assert control(own_sandbox, "GET", "faults").json() == {"rules": []}


def test_bad_fault_rules_are_rejected(own_sandbox) -> None:
    for rule in (
        {"platform": "facebook", "kind": "meteor"},
        {"platform": "myspace", "kind": "http_500"},
        {"kind": "slow"},
    ):
        response = control(own_sandbox, "POST", "faults", {"rules": [rule]})
        assert response.status_code == 400 and "error" in response.json()


def test_rate_limit_budget(own_sandbox, graph_client) -> None:
    fb = graph_client(own_sandbox)
    settings = control(own_sandbox, "POST", "ratelimit", {"platform": "facebook", "budget": 3, "window_seconds": 60})
    assert settings.json()["budget"] == 3
    usage = [json.loads(fb.get(f"/{MAIN}").headers["X-Business-Use-Case-Usage"])[MAIN][0] for _ in range(3)]
    assert [u["call_count"] for u in usage] == [33, 66, 100]
    throttled = fb.get(f"/{MAIN}")
    assert throttled.status_code == 429 and throttled.json()["error"]["code"] == 80001
    assert 55 <= int(throttled.headers["Retry-After"]) <= 60
    assert json.loads(throttled.headers["X-Business-Use-Case-Usage"])[MAIN][0]["estimated_time_to_regain_access"] == 1
    other_page = region.accounts("facebook")[1].account_id
    assert fb.get(f"/{other_page}").status_code == 200  # budgets are per Page
    control(own_sandbox, "POST", "ratelimit", {"platform": "facebook", "reset": True})
    assert fb.get(f"/{MAIN}").status_code == 200


def test_health_clock_and_unknown_routes(own_sandbox, graph_client) -> None:
    assert control(own_sandbox, "GET", "health").json() == {
        "status": "ok",
        "seed": 42,
        "today": "2026-11-26",
        "platforms": sorted(PLATFORMS),
    }
    fb = graph_client(own_sandbox)
    before = fb.get(f"/{MAIN}", params={"fields": "followers_count"}).json()["followers_count"]
    assert control(own_sandbox, "POST", "clock", {"today": "2026-12-26"}).json() == {"today": "2026-12-26"}
    after = fb.get(f"/{MAIN}", params={"fields": "followers_count"}).json()["followers_count"]
    assert after != before
    assert control(own_sandbox, "POST", "clock", {"today": "soon"}).status_code == 400
    assert control(own_sandbox, "GET", "nothing").status_code == 404
    assert httpx.get(f"{own_sandbox.url}/myspace/v1/me").status_code == 404


def test_log_redacts_tokens() -> None:
    assert redact("/facebook/v25.0/1?fields=id&access_token=EAAsecret&x=1") == (
        "/facebook/v25.0/1?fields=id&access_token=REDACTED&x=1"
    )


def test_request_log_never_contains_tokens(capfd) -> None:
    with serve_in_thread(today=date(2026, 11, 26), quiet=False) as handle:
        httpx.get(f"{handle.url}/facebook/v25.0/{MAIN}?access_token=sandbox-token")
        httpx.get(f"{handle.url}/facebook/v25.0/{MAIN}", headers={"Authorization": "Bearer sandbox-token"})
    err = capfd.readouterr().err
    assert err.count("\n") == 2 and "sandbox-token" not in err and "REDACTED" in err
