"""The one retry policy every source client shares (lesson 8, docs/architecture.md).

The system this replaces ran three retry/circuit layers that ignored each other and treated 429s as
failures. Here every HTTP call of every source goes through `HttpSource.get`: timeouts, connection errors
and 5xx back off exponentially with full jitter, 429 waits what the server asks (Retry-After), other 4xx
fail at once, and attempts are bounded. Secrets (API keys in query params or headers) never reach a log
line or an exception message.
"""

from __future__ import annotations

import functools
import logging
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

log = logging.getLogger(__name__)

REDACTED = "***"
# Lower-cased names: the Odds API uses `apiKey`, other APIs `api_key`/`key`.
SECRET_PARAMS = frozenset({"apikey", "api_key", "key"})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "proxy-authorization"})
_SECRET_IN_TEXT = re.compile(r"(?i)\b(apikey|api_key|key)=([^&\s\"']+)")


class RedactSecretsFilter(logging.Filter):
    """Rewrites `apiKey=...` in a log record to `apiKey=***`.

    httpx logs every request URL at INFO, query string included, so without this the Odds API key
    would reach Dagster's captured logs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return True
        red = _SECRET_IN_TEXT.sub(r"\1=" + REDACTED, msg)
        if red != msg:
            record.msg, record.args = red, ()
        return True


def install_log_redaction(logger_name: str = "httpx") -> None:
    """Idempotently attach RedactSecretsFilter to a logger (done for httpx at import)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
        logger.addFilter(RedactSecretsFilter())


install_log_redaction()


@dataclass(frozen=True)
class RetryBudget:
    """Every retry of a fetch, in one place: how often a request, a day and a run may try again.

    - per request: `RetryPolicy.max_attempts` HTTP attempts (backoff / Retry-After between them);
    - per day: `day_resumes` more calls of a day's fetch (or of one event's odds history) after a
      request used up its attempts; a paginated fetch resumes at the failed page (the pages before it
      are landed and not fetched again);
    - per run: `step_retries` re-runs of a raw step after the above gave up (Dagster's RetryPolicy),
      `step_delay_s` apart (doubling); a re-run resumes from the landing zone the same way.

    So one request that keeps failing costs at most `requests_per_failing_page` attempts before the run
    fails naming it, instead of the 60 that three independent layers multiplied to before.
    """

    per_request: int = 5
    day_resumes: int = 2
    step_retries: int = 1
    step_delay_s: float = 5.0

    @property
    def requests_per_failing_page(self) -> int:
        return self.per_request * (1 + self.day_resumes) * (1 + self.step_retries)


RETRY_BUDGET = RetryBudget()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = RETRY_BUDGET.per_request
    base_delay: float = 0.5  # exponential backoff base for 5xx / timeouts / connection errors
    max_delay: float = 30.0
    timeout: float = 20.0  # per request (httpx.Timeout)
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")

    def backoff_cap(self, retry: int) -> float:
        """Upper bound of the jittered delay before retry number `retry` (1-based)."""
        return min(self.max_delay, self.base_delay * 2 ** (retry - 1))


class SourceError(RuntimeError):
    """A request that failed for good. The message names source, endpoint, redacted params, attempts."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        endpoint: str,
        params: Mapping[str, Any] | None,
        attempts: int,
        last_status: int | None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.endpoint = endpoint
        self.params = dict(params or {})
        self.attempts = attempts
        self.last_status = last_status


class AuthError(SourceError):
    """401: the key is missing or wrong. Retrying cannot help."""


def redact_params(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Copy of `params` with secret values replaced by ***."""
    return {k: (REDACTED if str(k).lower() in SECRET_PARAMS else v) for k, v in (params or {}).items()}


def redact_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in (headers or {}).items()}


def redact_url(url: str | httpx.URL) -> str:
    """The URL with secret query params (and any userinfo) replaced by ***."""
    return _redact_url(str(url))


@functools.lru_cache(maxsize=1024)
def _redact_url(url: str) -> str:
    # Cached: every landed page records its URL, and an odds history asks the same URL up to 12 times.
    u = httpx.URL(url)
    if u.userinfo:
        u = u.copy_with(username=None, password=None)
    if not u.query:
        return str(u)
    pairs = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in u.params.multi_items()]
    return str(u.copy_with(params=pairs))


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/invalid."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpSource:
    """GET with the shared retry policy, for one named source (bdl, nbacom, oddsapi)."""

    def __init__(
        self,
        client: httpx.Client,
        policy: RetryPolicy = RetryPolicy(),
        *,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        name: str = "source",
    ) -> None:
        self.client = client
        self.policy = policy
        self.name = name
        self._sleep = sleep
        self._rng = rng or random.Random()

    def __repr__(self) -> str:
        return f"HttpSource(name={self.name!r}, policy={self.policy!r})"

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The successful (2xx) response, or SourceError after the policy gives up."""
        p = self.policy
        parsed = httpx.URL(url)
        endpoint = parsed.path
        # Params in the URL itself count too, so a key pasted into a URL is still redacted.
        shown = redact_params({**dict(parsed.params), **dict(params or {})})
        timeout = httpx.Timeout(p.timeout)
        last_status: int | None = None
        last_problem = "no attempt made"
        for attempt in range(1, p.max_attempts + 1):
            try:
                resp = self.client.get(url, params=params, headers=headers, timeout=timeout)
            except httpx.TransportError as exc:
                # Timeouts and connection resets are transient by nature: back off and retry.
                last_status = None
                last_problem = type(exc).__name__
                delay = self._rng.uniform(0.0, p.backoff_cap(attempt))
            else:
                status = resp.status_code
                last_status = status
                if resp.is_success:
                    return resp
                if status == 401:
                    raise AuthError(
                        f"missing or invalid API key for {self.name} (HTTP 401 on GET {endpoint})",
                        source=self.name,
                        endpoint=endpoint,
                        params=shown,
                        attempts=attempt,
                        last_status=status,
                    )
                if status == 429:
                    last_problem = "HTTP 429 (rate limited)"
                    wait = parse_retry_after(resp.headers.get("Retry-After"))
                    if wait is None:
                        delay = self._rng.uniform(0.0, p.backoff_cap(attempt))
                    else:
                        # The server said when; jitter would only make us early or needlessly late.
                        delay = min(wait, p.max_retry_after)
                elif status >= 500:
                    last_problem = f"HTTP {status}"
                    delay = self._rng.uniform(0.0, p.backoff_cap(attempt))
                else:
                    raise SourceError(
                        f"{self.name}: GET {endpoint} failed with HTTP {status} (not retryable); "
                        f"params={shown}; {_snippet(resp, _secrets(url, params, headers))}",
                        source=self.name,
                        endpoint=endpoint,
                        params=shown,
                        attempts=attempt,
                        last_status=status,
                    )
            if attempt == p.max_attempts:
                break
            log.warning(
                "%s: GET %s attempt %d/%d failed (%s); retrying in %.2fs",
                self.name,
                endpoint,
                attempt,
                p.max_attempts,
                last_problem,
                delay,
            )
            self._sleep(delay)
        raise SourceError(
            f"{self.name}: GET {endpoint} failed after {p.max_attempts} attempts "
            f"(last: {last_problem}, last status {last_status}); params={shown}",
            source=self.name,
            endpoint=endpoint,
            params=shown,
            attempts=p.max_attempts,
            last_status=last_status,
        )


def _secrets(
    url: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
) -> set[str]:
    """Secret values of one request, so an error body that echoes them can be scrubbed."""
    found = {str(v) for k, v in httpx.URL(url).params.multi_items() if k.lower() in SECRET_PARAMS}
    found |= {str(v) for k, v in (params or {}).items() if str(k).lower() in SECRET_PARAMS}
    for k, v in (headers or {}).items():
        if k.lower() in SECRET_HEADERS:
            found |= {v, v.removeprefix("Bearer ").strip()}
    return {s for s in found if s}


def _snippet(resp: httpx.Response, secrets: set[str], limit: int = 200) -> str:
    """Start of an error body (the APIs explain 4xx there), with any echoed secret scrubbed."""
    try:
        text = resp.text
    except Exception:  # an undecodable body must not hide the real error
        return "body unreadable"
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = " ".join(text.split())
    return f"body: {text[:limit]!r}" if text else "empty body"
