"""The sandbox HTTP server: platforms under `/<platform>/...`, control API under `/__sandbox__/`.

`SandboxApp` does the routing without touching sockets (easy to test and to
reuse); the stdlib `ThreadingHTTPServer` around it only moves bytes. Start it
from Python with `serve_in_thread()` or from the shell with `python -m sandbox serve`.

Control API (JSON in, JSON out; not part of any platform):

* `GET /__sandbox__/health`     {"status": "ok", "seed", "today", "platforms"}
* `GET /__sandbox__/stats`      request counts; `DELETE` resets them
* `GET|POST|DELETE /__sandbox__/faults`   list / append {"rules": [...]} / clear
* `GET|POST /__sandbox__/clock` {"today": "YYYY-MM-DD"} moves the simulated date
* `POST /__sandbox__/ratelimit` {"platform", "budget", "window_seconds", ...}
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.faults import KINDS, FaultRule
from sandbox.platforms import PLATFORMS, Platform, Request, Response
from sandbox.state import SandboxState

CONTROL_PREFIX = "/__sandbox__/"

_TOKEN_IN_QUERY = re.compile(r"((?:access_|input_)token=)[^&#\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    """Hide access tokens in a URL or log line."""
    return _TOKEN_IN_QUERY.sub(r"\1REDACTED", text)


class _ControlError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class SandboxApp:
    """Routes one request to the control API or to a platform, applying faults."""

    def __init__(self, state: SandboxState):
        self.state = state
        self.platforms: dict[str, Platform] = {name: cls(state) for name, cls in PLATFORMS.items()}

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes, host: str) -> Response:
        url = urlsplit(target)
        if url.path.startswith(CONTROL_PREFIX):
            return self._control(method, url.path[len(CONTROL_PREFIX) :].strip("/"), body)
        prefix, _, rest = url.path.lstrip("/").partition("/")
        platform = self.platforms.get(prefix)
        if platform is None:
            known = ", ".join(f"/{p}/" for p in self.platforms)
            return Response.json({"error": f"no platform at /{prefix}/ (known: {known})"}, status=404)
        request = Request(
            method=method,
            path="/" + rest,
            query_items=parse_qsl(url.query, keep_blank_values=True),
            headers=headers,
            body=body,
            base_url=f"http://{host}/{prefix}",
        )
        plan = self.state.faults.take(prefix, url.path)
        for rule in plan.delays:
            time.sleep(rule.seconds if rule.seconds is not None else 1.0)
        request.faults = plan.platform
        if plan.respond is not None and plan.respond.kind == "http_5xx":
            # The platform's own server error, under the status drawn for this request.
            response = platform.fault_response(replace(plan.respond, kind="http_500"), request)
            response.status = plan.status or 500
        elif plan.respond is not None:
            response = platform.fault_response(plan.respond, request)
        else:
            response = platform.handle(request)
        for rule in plan.transforms:
            transform = KINDS[rule.kind].transform
            if transform is not None:
                response = transform(response, rule, request)
        self.state.stats.record(prefix, response.status, plan.served_kinds)
        return response

    # -- control API ---------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Response:
        try:
            payload = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict):
                raise _ControlError(400, "the request body must be a JSON object")
            handler = {
                ("GET", "health"): self._health,
                ("GET", "stats"): lambda _: self.state.stats.snapshot(),
                ("DELETE", "stats"): self._reset_stats,
                ("GET", "faults"): lambda _: {"rules": self.state.faults.rules()},
                ("POST", "faults"): self._add_faults,
                ("DELETE", "faults"): lambda p: {"cleared": self.state.faults.clear(p.get("platform"))},
                ("GET", "clock"): lambda _: {"today": self.state.today.isoformat()},
                ("POST", "clock"): self._set_clock,
                ("POST", "ratelimit"): self._ratelimit,
            }.get((method, path))
            if handler is None:
                raise _ControlError(404, f"no control endpoint {method} {CONTROL_PREFIX}{path}")
            return Response.json(handler(payload))
        except json.JSONDecodeError as error:
            return Response.json({"error": f"invalid JSON: {error}"}, status=400)
        except (_ControlError, ValueError, TypeError) as error:
            return Response.json({"error": str(error)}, status=getattr(error, "status", 400))

    def _health(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": "ok",
            "seed": self.state.seed,
            "today": self.state.today.isoformat(),
            "platforms": sorted(self.platforms),
        }

    def _reset_stats(self, _: dict[str, Any]) -> dict[str, Any]:
        self.state.stats.reset()
        return self.state.stats.snapshot()

    def _add_faults(self, payload: dict[str, Any]) -> dict[str, Any]:
        rules = [FaultRule.from_dict(r) for r in payload.get("rules", [])]
        for rule in rules:
            if rule.platform not in self.platforms:
                raise ValueError(f"unknown platform {rule.platform!r}")
        added = self.state.faults.add(rules)
        return {"added": [r.to_dict() for r in added], "rules": self.state.faults.rules()}

    def _set_clock(self, payload: dict[str, Any]) -> dict[str, Any]:
        if "today" not in payload:
            raise ValueError('expected {"today": "YYYY-MM-DD"}')
        self.state.today = date.fromisoformat(str(payload["today"]))
        return {"today": self.state.today.isoformat()}

    def _ratelimit(self, payload: dict[str, Any]) -> dict[str, Any]:
        platform = self.platforms.get(str(payload.get("platform")))
        if platform is None:
            raise ValueError(f"unknown platform {payload.get('platform')!r}")
        return platform.configure_ratelimit(payload)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: an extraction makes hundreds of calls
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms delayed-ACK stalls
    server_version = "socialpulse-sandbox"
    sys_version = ""
    server: SandboxHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def _serve(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        try:
            response = self.server.app.handle(self.command, self.path, self.headers, body, host)
        except Exception as error:  # noqa: BLE001 - a bug must answer 500, not kill the connection
            response = Response.json({"error": f"sandbox internal error: {error!r}"}, status=500)
            self.server.log(f"internal error on {self.command} {redact(self.path)}: {error!r}")
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if response.cut_after is not None:  # fault `drop_connection`: part of the body, then hang up
            self.wfile.write(response.body[: response.cut_after])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif self.command != "HEAD":
            self.wfile.write(response.body)
        elapsed = (time.perf_counter() - started) * 1000
        self.server.log(f"{self.command} {redact(self.path)} {response.status} {elapsed:.1f}ms")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _serve

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # `_serve` logs one redacted line itself

    def log_message(self, format: str, *args: Any) -> None:
        self.server.log(redact(format % args))


class SandboxHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its app and can drop open keep-alive connections."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], app: SandboxApp, quiet: bool = False):
        self.app = app
        self.quiet = quiet
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, add: bool) -> None:
        with self._connections_lock:
            (self._connections.add if add else self._connections.discard)(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up first (it timed out on a `slow` fault) is not a sandbox error."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            self.log(f"client {client_address[0]}:{client_address[1]} closed the connection first")
            return
        super().handle_error(request, client_address)

    def log(self, line: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"[sandbox] {line}\n")

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def make_server(
    host: str = "127.0.0.1",
    port: int = 8765,
    seed: int = 42,
    today: date | None = None,
    faults: Iterable[FaultRule] = (),
    quiet: bool = False,
) -> SandboxHTTPServer:
    """A bound, not yet serving, sandbox server (port 0 picks a free port)."""
    rules = list(faults)
    for rule in rules:
        if rule.platform not in PLATFORMS:
            raise ValueError(f"fault for unknown platform {rule.platform!r}")
    state = SandboxState(seed=seed, today=today, faults=rules)
    return SandboxHTTPServer((host, port), SandboxApp(state), quiet=quiet)


@dataclass
class SandboxHandle:
    """A sandbox serving in a background thread (see `serve_in_thread`)."""

    server: SandboxHTTPServer
    thread: threading.Thread

    @property
    def host(self) -> str:
        return self.server.server_address[0]

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self) -> SandboxState:
        return self.server.app.state

    def platform_url(self, platform: str) -> str:
        """Base URL a connector uses for `platform`, e.g. `http://127.0.0.1:PORT/facebook`."""
        return f"{self.url}/{platform}"

    def stop(self) -> None:
        """Stop serving, drop keep-alive connections and release the port."""
        self.server.shutdown()
        self.server.close_connections()
        self.server.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> SandboxHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_in_thread(
    port: int = 0,
    seed: int = 42,
    today: date | str | None = None,
    host: str = "127.0.0.1",
    faults: Iterable[FaultRule | str] = (),
    quiet: bool = True,
) -> SandboxHandle:
    """Start a sandbox in a daemon thread; returns once it accepts connections.

    `faults` takes rules or CLI-style specs (`"facebook:http_500:count=2"`).
    """
    if isinstance(today, str):
        today = date.fromisoformat(today)
    rules = [FaultRule.from_spec(f) if isinstance(f, str) else f for f in faults]
    server = make_server(host=host, port=port, seed=seed, today=today, faults=rules, quiet=quiet)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # stop() waits for one poll: keep test teardown quick
        name=f"sandbox:{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return SandboxHandle(server, thread)
