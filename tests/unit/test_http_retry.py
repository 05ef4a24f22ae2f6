"""The one retry policy (lesson 8, docs/architecture.md): 429 Retry-After, 5xx backoff + jitter, bounded, no secrets."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from resources.http import (
    AuthError,
    HttpSource,
    RetryPolicy,
    SourceError,
    parse_retry_after,
    redact_headers,
    redact_params,
    redact_url,
)

SECRET = "s3cr3t-KEY-42"
URL = "https://api.example.test/v1/stats"


def scripted(responses):
    """A MockTransport answering from a list (Response or Exception), recording each request."""
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def source(responses, policy=RetryPolicy(), rng=None, name="bdl"):
    client, seen = scripted(responses)
    slept: list[float] = []
    return HttpSource(client, policy, sleep=slept.append, rng=rng or random.Random(1), name=name), seen, slept


def test_429_retry_after_seconds_is_honoured_then_success():
    http, seen, slept = source(
        [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json={"ok": 1})]
    )
    resp = http.get(URL, params={"dates[]": "2025-01-20"})
    assert resp.json() == {"ok": 1}
    assert slept == [3.0]
    assert len(seen) == 2


def test_429_retry_after_http_date_and_cap():
    now = datetime(2025, 1, 20, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=7), usegmt=True), now) == 0.0
    assert parse_retry_after("garbage") is None
    assert parse_retry_after(None) is None
    http, _, slept = source(
        [httpx.Response(429, headers={"Retry-After": "9999"}), httpx.Response(200)],
        policy=RetryPolicy(max_retry_after=120.0),
    )
    http.get(URL)
    assert slept == [120.0]


def test_429_without_retry_after_backs_off_within_bounds():
    http, _, slept = source([httpx.Response(429), httpx.Response(200)], policy=RetryPolicy(base_delay=2.0))
    http.get(URL)
    assert len(slept) == 1 and 0.0 <= slept[0] <= 2.0


class FixedRng(random.Random):
    """uniform(a, b) -> a + f*(b-a): makes the jittered delay predictable."""

    def __init__(self, f: float):
        super().__init__(0)
        self.f = f

    def uniform(self, a, b):
        return a + self.f * (b - a)


def test_503_backoff_grows_and_is_jittered_within_bounds():
    policy = RetryPolicy(base_delay=0.5, max_delay=30.0)
    # The cap doubles per retry: 0.5, 1.0; with a fixed jitter fraction the delays grow.
    http, seen, slept = source(
        [httpx.Response(503), httpx.Response(503), httpx.Response(200)], policy=policy, rng=FixedRng(0.8)
    )
    assert http.get(URL).status_code == 200
    assert slept == pytest.approx([0.4, 0.8])
    assert len(seen) == 3
    # Full jitter: over many seeds every delay stays in [0, cap] and the delays are not constant.
    firsts, seconds = [], []
    for seed in range(40):
        h, _, s = source(
            [httpx.Response(503), httpx.Response(502), httpx.Response(200)],
            policy=policy,
            rng=random.Random(seed),
        )
        h.get(URL)
        firsts.append(s[0])
        seconds.append(s[1])
    assert all(0.0 <= d <= 0.5 for d in firsts)
    assert all(0.0 <= d <= 1.0 for d in seconds)
    assert len(set(firsts)) > 30
    assert max(seconds) > 0.5  # the second cap is really larger than the first


def test_backoff_is_capped_by_max_delay():
    policy = RetryPolicy(max_attempts=8, base_delay=1.0, max_delay=3.0)
    assert [policy.backoff_cap(n) for n in range(1, 6)] == [1.0, 2.0, 3.0, 3.0, 3.0]
    responses = [httpx.Response(500)] * 7 + [httpx.Response(200)]
    http, _, slept = source(responses, policy=policy, rng=FixedRng(1.0))
    http.get(URL)
    assert slept == [1.0, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0]


def test_max_attempts_raises_source_error_naming_endpoint_without_key(caplog):
    caplog.set_level(logging.DEBUG)
    http, seen, slept = source([httpx.Response(503)] * 5, policy=RetryPolicy(max_attempts=5), name="oddsapi")
    with pytest.raises(SourceError) as info:
        http.get(
            "https://api.the-odds-api.com/v4/historical/sports/basketball_nba/events",
            params={"apiKey": SECRET, "date": "2025-01-20T17:00:00Z"},
        )
    err = info.value
    msg = str(err)
    assert "oddsapi" in msg
    assert "/v4/historical/sports/basketball_nba/events" in msg
    assert "5 attempts" in msg and "503" in msg
    assert "2025-01-20T17:00:00Z" in msg  # the non-secret params help debugging
    assert SECRET not in msg and SECRET not in repr(err.params)
    assert err.attempts == 5 and err.last_status == 503
    assert len(seen) == 5 and len(slept) == 4  # no pointless sleep after the last attempt
    assert caplog.records, "retries are logged"
    assert SECRET not in caplog.text
    # The key really was sent: redaction is for messages, not for the request.
    assert seen[0].url.params["apiKey"] == SECRET


def test_401_fails_immediately_with_clear_message_and_no_key(caplog):
    http, seen, slept = source([httpx.Response(401, text=f"bad key {SECRET}")], name="bdl")
    with pytest.raises(AuthError) as info:
        http.get(URL, headers={"Authorization": SECRET})
    assert "missing or invalid API key for bdl" in str(info.value)
    assert SECRET not in str(info.value)
    assert len(seen) == 1 and slept == []
    assert SECRET not in caplog.text


def test_other_4xx_fail_at_once_and_scrub_echoed_secret():
    http, seen, slept = source([httpx.Response(422, text=f"Invalid date; apiKey={SECRET}")], name="oddsapi")
    with pytest.raises(SourceError) as info:
        http.get(URL, params={"apiKey": SECRET, "date": "x"})
    assert "422" in str(info.value) and "Invalid date" in str(info.value)
    assert SECRET not in str(info.value)
    assert len(seen) == 1 and slept == []


def test_timeout_and_connection_error_are_retried():
    http, seen, slept = source(
        [
            httpx.ReadTimeout("slow"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=[1]),
        ],
        rng=FixedRng(1.0),
    )
    assert http.get(URL).json() == [1]
    assert slept == [0.5, 1.0]
    assert len(seen) == 3


def test_timeouts_until_max_attempts_name_the_error():
    http, _, _ = source([httpx.ConnectTimeout("t")] * 3, policy=RetryPolicy(max_attempts=3))
    with pytest.raises(SourceError) as info:
        http.get(URL)
    assert "ConnectTimeout" in str(info.value) and info.value.last_status is None


def test_per_request_timeout_is_the_policy_timeout():
    got = {}

    def handler(request: httpx.Request) -> httpx.Response:
        got.update(request.extensions["timeout"])
        return httpx.Response(200)

    http = HttpSource(httpx.Client(transport=httpx.MockTransport(handler)), RetryPolicy(timeout=7.5))
    http.get(URL)
    assert got["read"] == 7.5 and got["connect"] == 7.5


def test_redaction_helpers():
    assert redact_params({"apiKey": SECRET, "api_key": SECRET, "KEY": SECRET, "date": "d"}) == {
        "apiKey": "***",
        "api_key": "***",
        "KEY": "***",
        "date": "d",
    }
    assert redact_headers({"Authorization": SECRET, "Accept": "json"}) == {
        "Authorization": "***",
        "Accept": "json",
    }
    red = redact_url(f"https://user:{SECRET}@h.test/v4/x?apiKey={SECRET}&date=2025-01-01")
    assert SECRET not in red and "date=2025-01-01" in red and "/v4/x" in red


def test_secret_in_url_query_is_redacted_from_error():
    http, _, _ = source([httpx.Response(500)] * 2, policy=RetryPolicy(max_attempts=2))
    with pytest.raises(SourceError) as info:
        http.get(f"{URL}?api_key={SECRET}")
    assert SECRET not in str(info.value)
