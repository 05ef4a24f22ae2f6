"""Alerts that reach a person, and the heartbeat an outside monitor watches.

Sinks are chosen by environment variables (read by `alerts_from_env`, never hard-coded):

| variable | sink |
|---|---|
| `SLACK_BOT_TOKEN` (+ `NBA_LAKE_SLACK_CHANNEL`) | Slack `chat.postMessage` through dagster-slack's `SlackResource` |
| `NBA_LAKE_ALERT_WEBHOOK` | a generic JSON POST (PagerDuty / Opsgenie / Teams bridges, or anything) |
| neither | the log (the daemon's, and whatever forwards it) |

`NBA_LAKE_SLACK_API_URL` moves Slack's API base URL (a proxy, or the local receiver the tests start);
`NBA_LAKE_HEARTBEAT_URL` is pinged after every successful game-day run (healthchecks.io convention:
a GET to the URL; the monitor alerts when pings stop). `NBA_LAKE_UI_URL` is the Dagster UI the alert
links point at.

Secrets (the Slack token, the webhook and heartbeat URLs, which usually embed a key, the API keys)
never enter a payload or a log line: `scrub` removes every configured secret value and `key=...`
query parameters from all text before it is sent or logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import dagster as dg
import httpx
from dagster_slack import SlackResource
from pydantic import Field
from slack_sdk.web.client import WebClient

LOG = logging.getLogger("nba_lake.alerts")
REDACTED = "[redacted]"
DEFAULT_CHANNEL = "#nba-lake-alerts"
DEFAULT_SLACK_API = "https://slack.com/api/"
DEFAULT_UI = "http://127.0.0.1:3000"
SEND_TIMEOUT_S = 10.0
# Environment variables whose values are secrets wherever they appear.
SECRET_ENV = ("SLACK_BOT_TOKEN", "NBA_LAKE_ALERT_WEBHOOK", "NBA_LAKE_HEARTBEAT_URL", "BDL_API_KEY", "ODDS_API_KEY")
_KEY_IN_TEXT = re.compile(r"(?i)\b(apikey|api_key|key|token)=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer|xox[abpr]-)[\w\-.]+")

FIRING = "firing"
RESOLVED = "resolved"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret value and every key=/token= parameter replaced by [redacted]."""
    values = {s for s in secrets if s and len(s) >= 4}
    values |= {os.environ[v] for v in SECRET_ENV if len(os.environ.get(v, "")) >= 4}
    for v in sorted(values, key=len, reverse=True):
        text = text.replace(v, REDACTED)
    text = _KEY_IN_TEXT.sub(r"\1=" + REDACTED, text)
    return _BEARER.sub(REDACTED, text)


@dataclass(frozen=True)
class Alert:
    """One message about one incident. `key` identifies the incident (dedup and resolve use it)."""

    key: str
    kind: str  # run_failure | check_failed | stale | tick_error | source_outage | quota
    status: str  # firing | resolved
    title: str  # one line a person reads first
    severity: str = "error"  # error | warning
    fields: dict[str, str] = field(default_factory=dict)  # what to act on (check, table, day, keys ...)
    link: str | None = None  # the UI page
    at: str = ""  # ISO time (the source clock) the incident was seen / resolved

    def scrubbed(self, secrets: Iterable[str] = ()) -> Alert:
        secrets = list(secrets)
        return Alert(
            key=self.key,
            kind=self.kind,
            status=self.status,
            title=scrub(self.title, secrets),
            severity=self.severity,
            fields={k: scrub(str(v), secrets) for k, v in self.fields.items()},
            link=self.link,
            at=self.at,
        )

    def resolved(self, at: str, why: str) -> Alert:
        return Alert(
            key=self.key, kind=self.kind, status=RESOLVED, title=f"RESOLVED: {self.title}",
            severity=self.severity, fields={"resolution": why}, link=self.link, at=at,
        )

    def payload(self) -> dict[str, Any]:
        """The generic webhook body (also what the log sink prints)."""
        return {"source": "nba-lake", "event": self.status, **asdict(self)}

    def text(self) -> str:
        """Slack mrkdwn: a status line, the fields, the link."""
        icon = ":white_check_mark:" if self.status == RESOLVED else (
            ":rotating_light:" if self.severity == "error" else ":warning:"
        )
        lines = [f"{icon} *{self.title}*"]
        lines += [f"• *{k}*: {v}" for k, v in self.fields.items()]
        if self.link:
            lines.append(f"<{self.link}|open in Dagster>")
        lines.append(f"_incident `{self.key}` · {self.at}_")
        return "\n".join(lines)


class SendError(RuntimeError):
    """A sink could not deliver; the message names the sink and host, never the secret URL or token."""


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}{':' + str(parts.port) if parts.port else ''}"


class SlackSink(SlackResource):
    """dagster-slack's resource with a configurable API base URL (a proxy, or a local receiver)."""

    channel: str = Field(default=DEFAULT_CHANNEL, description="the channel alerts are posted to")
    base_url: str = Field(default=DEFAULT_SLACK_API, description="Slack Web API base URL")

    def get_client(self) -> WebClient:
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        return WebClient(token=self.token, base_url=base, timeout=int(SEND_TIMEOUT_S))

    def send(self, alert: Alert) -> None:
        try:
            resp = self.get_client().chat_postMessage(
                channel=self.channel, text=alert.text(), unfurl_links=False, metadata=None
            )
        except Exception as exc:  # slack_sdk raises SlackApiError / URLError; the token is never in them
            raise SendError(f"slack ({_host(self.base_url)}): {type(exc).__name__}: {scrub(str(exc), [self.token])}") from None
        if not resp.get("ok", False):
            raise SendError(f"slack ({_host(self.base_url)}): error {resp.get('error')!r}")

    @property
    def label(self) -> str:
        return f"slack {self.channel}"


@dataclass(frozen=True)
class WebhookSink:
    url: str

    def send(self, alert: Alert) -> None:
        try:
            r = httpx.post(self.url, json=alert.payload(), timeout=SEND_TIMEOUT_S)
        except httpx.HTTPError as exc:
            raise SendError(f"webhook ({_host(self.url)}): {type(exc).__name__}") from None
        if r.status_code >= 300:
            raise SendError(f"webhook ({_host(self.url)}): HTTP {r.status_code}")

    @property
    def label(self) -> str:
        return f"webhook {_host(self.url)}"


@dataclass(frozen=True)
class LogSink:
    def send(self, alert: Alert) -> None:
        level = logging.INFO if alert.status == RESOLVED else logging.ERROR
        LOG.log(level, "ALERT %s", json.dumps(alert.payload(), sort_keys=True))

    @property
    def label(self) -> str:
        return "log"


class AlertsResource(dg.ConfigurableResource):
    """Where alerts and heartbeats go. Build it with `alerts_from_env()`; every field may be empty."""

    slack_token: str | None = None
    slack_channel: str = DEFAULT_CHANNEL
    slack_api_url: str = DEFAULT_SLACK_API
    webhook_url: str | None = None
    heartbeat_url: str | None = None
    ui_url: str = DEFAULT_UI

    def _secrets(self) -> list[str]:
        return [s for s in (self.slack_token, self.webhook_url, self.heartbeat_url) if s]

    def sinks(self) -> list[SlackSink | WebhookSink | LogSink]:
        out: list[SlackSink | WebhookSink | LogSink] = []
        if self.slack_token:
            out.append(SlackSink(token=self.slack_token, channel=self.slack_channel, base_url=self.slack_api_url))
        if self.webhook_url:
            out.append(WebhookSink(self.webhook_url))
        return out or [LogSink()]

    def send(self, alert: Alert) -> list[str]:
        """Deliver to every sink; returns the sinks that failed (names only). Never raises."""
        clean = alert.scrubbed(self._secrets())
        failed = []
        for sink in self.sinks():
            try:
                sink.send(clean)
            except SendError as exc:
                LOG.error("alert %s not delivered: %s", clean.key, exc)
                failed.append(sink.label)
        return failed

    def heartbeat(self, what: str) -> bool:
        """Ping the heartbeat URL (GET, healthchecks.io style). True when sent and accepted."""
        if not self.heartbeat_url:
            return False
        try:
            r = httpx.get(self.heartbeat_url, params={"rid": what}, timeout=SEND_TIMEOUT_S)
        except httpx.HTTPError as exc:
            LOG.error("heartbeat not delivered to %s: %s", _host(self.heartbeat_url), type(exc).__name__)
            return False
        if r.status_code >= 300:
            LOG.error("heartbeat to %s answered HTTP %s", _host(self.heartbeat_url), r.status_code)
        return r.status_code < 300

    def asset_link(self, asset_path: list[str], check: str | None = None, partition: str | None = None) -> str:
        url = f"{self.ui_url.rstrip('/')}/assets/{'/'.join(quote(p) for p in asset_path)}"
        if check:
            url += f"?view=checks&checkDetail={quote(check)}"
        elif partition:
            url += f"?view=partitions&partition={quote(partition)}"
        return url

    def run_link(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"


def alerts_from_env() -> AlertsResource:
    """The resource as the environment configures it (secrets stay EnvVars: resolved at run time)."""
    env = os.environ
    return AlertsResource(
        slack_token=dg.EnvVar("SLACK_BOT_TOKEN") if env.get("SLACK_BOT_TOKEN") else None,
        slack_channel=env.get("NBA_LAKE_SLACK_CHANNEL", DEFAULT_CHANNEL),
        slack_api_url=env.get("NBA_LAKE_SLACK_API_URL", DEFAULT_SLACK_API),
        webhook_url=dg.EnvVar("NBA_LAKE_ALERT_WEBHOOK") if env.get("NBA_LAKE_ALERT_WEBHOOK") else None,
        heartbeat_url=dg.EnvVar("NBA_LAKE_HEARTBEAT_URL") if env.get("NBA_LAKE_HEARTBEAT_URL") else None,
        ui_url=env.get("NBA_LAKE_UI_URL", DEFAULT_UI),
    )


def now_iso(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds")
