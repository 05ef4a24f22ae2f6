"""Settings that drive faults and sources, and the landing zone's poison and secret handling."""

from __future__ import annotations

import datetime as dt

import pytest

from resources.env import resources_for
from resources.landing import QUARANTINE, LandingZone, PoisonBody
from resources.settings import SIM_FAULT_PROFILES, ConfigError, settings
from resources.sim.network import PROFILES


def test_fault_profiles_are_the_sims(monkeypatch):
    assert SIM_FAULT_PROFILES == tuple(PROFILES)
    monkeypatch.setenv("NBA_LAKE_SIM_FAULTS", "storm")
    sources = resources_for(settings())["sources"]
    assert sources.sim_faults == "storm" and sources.sim_network_fault_rate is None


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"NBA_LAKE_SIM_FAULTS": "chaos"}, "NBA_LAKE_SIM_FAULTS='chaos' is not one of"),
        ({"NBA_LAKE_SIM_NETWORK_FAULT_RATE": "1.5"}, "must be a number in [0, 1)"),
        ({"NBA_LAKE_SIM_NETWORK_FAULT_RATE": "lots"}, "must be a number in [0, 1)"),
        ({"NBA_LAKE_BDL_BASE_URL": "http://127.0.0.1:9"}, "base URLs apply to live mode"),
        ({"NBA_LAKE_SOURCE": "live", "NBA_LAKE_ODDS_BASE_URL": "ftp://x"}, "must start with http"),
    ],
)
def test_bad_fault_and_url_settings_fail_naming_the_variable(monkeypatch, env, message):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        settings()


def test_live_base_urls_reach_the_clients(monkeypatch):
    monkeypatch.setenv("NBA_LAKE_SOURCE", "live")
    monkeypatch.setenv("NBA_LAKE_NBACOM_BASE_URL", "http://127.0.0.1:8080/nba/")
    sources = resources_for(settings())["sources"]
    assert sources.nbacom().base_url == "http://127.0.0.1:8080/nba"


def test_landed_bodies_have_known_secrets_redacted(tmp_path):
    zone = LandingZone(tmp_path, secrets=("s3cr3t-key-123", None, "short"))
    [f] = zone.write("bdl", "stats", [dt.date(2025, 12, 1)], b'{"data": [], "echo": "s3cr3t-key-123 short"}',
                     url="https://x/v1/stats", params={"apiKey": "s3cr3t-key-123"})
    assert f.path.read_bytes() == b'{"data": [], "echo": "*** short"}'
    assert "s3cr3t" not in (f.path.parent / "_manifest.jsonl").read_text()


def test_a_poison_body_is_named_and_quarantined(tmp_path):
    zone = LandingZone(tmp_path)
    day = dt.date(2025, 12, 1)
    [f] = zone.write("nbacom", "leaguegamelog", [day], b"<html>Access Denied</html>", url="https://x", params={})
    with pytest.raises(PoisonBody, match=f.name):
        zone.read_json(f)
    moved = zone.quarantine(f, "not JSON")
    assert moved.parent.name == QUARANTINE and moved.read_bytes() == b"<html>Access Denied</html>"
    assert zone.files("nbacom", "leaguegamelog", day) == []
    assert zone.quarantined("nbacom", "leaguegamelog", day) == [f.name]
