"""Airflow notifiers of socialpulse: a topic spiking (the veille), a token dying (the extract DAGs).

`SpikeAlertNotifier` is an Airflow `BaseNotifier`: called with a task context, it
writes one alert line to the task log and, when the HTTP connection
`socialpulse_alerts_webhook` exists, POSTs the alert as JSON to it (a Slack, Teams,
Mattermost or home-made endpoint). Which spikes are new is not its business: the
veille's `alert` task (socialpulse.veille.alert_new_spikes) calls it once per spike
never alerted before. `TokenAlertNotifier` does the same for a token that expires
within 14 days or is refused (socialpulse.token_health decides which, once each).

The connection, HTTP-provider style: `host` (with or without `https://`), `port`,
`schema` as the URL scheme (`http` or `https`, default `https`), extra `endpoint`
(the path), optional extra `headers`, and a password sent as a Bearer token. Webhook
URLs often carry their secret in the path, so only the connection id and host are
ever logged; never the path, the password or the headers.

Imported at DAG parse time by nothing: DAG files import it inside their tasks.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from airflow.sdk import BaseNotifier

from socialpulse.veille import describe, jsonable

if TYPE_CHECKING:
    from airflow.sdk import Context

WEBHOOK_CONN_ID = "socialpulse_alerts_webhook"
EVENT = "socialpulse.topic_spike"

# httpx logs every request with its full URL at INFO: a webhook's secret path would leak.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)


class AlertDeliveryError(RuntimeError):
    """The webhook refused or did not answer; names the connection and host, never the URL."""


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    host: str
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # never print the URL or headers (secrets)
        return f"WebhookTarget(host={self.host!r})"


def webhook_target(conn_id: str = WEBHOOK_CONN_ID) -> WebhookTarget | None:
    """The webhook of an Airflow connection, or None when it is not configured."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # noqa: BLE001 - "not defined" has several types across Airflow versions and contexts
        return None
    host = (conn.host or "").strip()
    if not host:
        return None
    extra = conn.extra_dejson or {}
    if "://" in host:
        base = host.rstrip("/")
    else:
        scheme = conn.schema if conn.schema in ("http", "https") else "https"
        base = f"{scheme}://{host}" + (f":{conn.port}" if conn.port else "")
    endpoint = str(extra.get("endpoint") or "")
    url = base + ("/" + endpoint.lstrip("/") if endpoint else "")
    headers = {"Content-Type": "application/json", **{str(k): str(v) for k, v in (extra.get("headers") or {}).items()}}
    if conn.password:
        headers["Authorization"] = f"Bearer {conn.password}"
    return WebhookTarget(url=url, host=httpx.URL(url).host, headers=headers)


class _WebhookNotifier(BaseNotifier):
    """A line in the task log, then a JSON POST to the webhook connection when it exists."""

    template_fields = ("conn_id",)  # never the alert: its values are data, not templates

    def __init__(self, *, conn_id: str = WEBHOOK_CONN_ID, timeout: float = 10.0):
        super().__init__()
        self.conn_id = conn_id
        self.timeout = timeout
        self.delivered_to: str | None = None

    def deliver(self, body: dict[str, Any]) -> None:
        target = webhook_target(self.conn_id)
        if target is None:
            self.log.info("No connection %r: the alert is in this log only", self.conn_id)
            return
        try:
            response = httpx.post(
                target.url,
                content=json.dumps(body, ensure_ascii=False).encode(),
                headers=target.headers,
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise AlertDeliveryError(
                f"webhook {self.conn_id!r} (host {target.host}) unreachable: {type(exc).__name__}"
            ) from None
        if response.status_code >= 300:
            raise AlertDeliveryError(
                f"webhook {self.conn_id!r} (host {target.host}) answered HTTP {response.status_code}; "
                "check the connection's endpoint and token"
            )
        self.delivered_to = target.host
        self.log.info("Alert sent to %r (host %s): HTTP %d", self.conn_id, target.host, response.status_code)


class SpikeAlertNotifier(_WebhookNotifier):
    """One topic spike: a line in the task log, and a JSON POST to the webhook when configured.

    :param spike: the `rpt_topic_spikes` row (column -> value); it carries no comment
        text or commenter, only the topic, bucket and volumes.
    :param conn_id: the HTTP connection of the webhook (default `socialpulse_alerts_webhook`);
        missing = log only.
    :param timeout: seconds for the POST.

    Raises `AlertDeliveryError` when the webhook answers an error or is unreachable: the
    caller must not record the spike as alerted, so that a retry sends it.
    """

    def __init__(self, *, spike: dict[str, Any], conn_id: str = WEBHOOK_CONN_ID, timeout: float = 10.0):
        super().__init__(conn_id=conn_id, timeout=timeout)
        self.spike = spike

    def payload(self, context: Context | dict) -> dict[str, Any]:
        dag = context.get("dag")
        return {
            "event": EVENT,
            "text": f"socialpulse veille: {describe(self.spike)}",
            "spike": jsonable(self.spike),
            "dag_id": getattr(dag, "dag_id", None),
            "run_id": context.get("run_id"),
        }

    def notify(self, context: Context | dict) -> None:
        body = self.payload(context)
        self.log.warning("Topic spike alert: %s", describe(self.spike))
        self.deliver(body)


class TokenAlertNotifier(_WebhookNotifier):
    """One token alert (expiring soon, or an authentication failure): log line and webhook POST.

    :param alert: the alert as `socialpulse.token_health` builds it: event, platform,
        account, text, token expiry; never the token itself.
    :param conn_id: the HTTP connection of the webhook (default `socialpulse_alerts_webhook`).

    Raises `AlertDeliveryError` like `SpikeAlertNotifier`: the caller then does not
    remember the alert, so that the next run sends it.
    """

    def __init__(self, *, alert: dict[str, Any], conn_id: str = WEBHOOK_CONN_ID, timeout: float = 10.0):
        super().__init__(conn_id=conn_id, timeout=timeout)
        self.alert = alert

    def payload(self, context: Context | dict) -> dict[str, Any]:
        dag = context.get("dag")
        return {
            **self.alert,
            "dag_id": getattr(dag, "dag_id", None),
            "run_id": context.get("run_id"),
        }

    def notify(self, context: Context | dict) -> None:
        body = self.payload(context)
        self.log.warning("Token alert: %s", self.alert.get("text"))
        self.deliver(body)
