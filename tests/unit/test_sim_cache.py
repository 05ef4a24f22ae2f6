"""resources/sim/cache.py: a season read from the cache is the generated season, frame for frame and
type for type; the key changes with the configuration; a damaged or missing folder means generating."""

from __future__ import annotations

import polars as pl
import pytest

from resources.settings import sim_cache_root
from resources.sim import FaultConfig, SimConfig, SimLeague, cache
from resources.sim.league import SEASON_FRAMES


@pytest.fixture(scope="module")
def generated():
    league = SimLeague(SimConfig(seed=7), cache_root=None)
    return {name: getattr(league._season(2025), name) for name in SEASON_FRAMES}


def test_a_cached_season_is_the_generated_one(tmp_path, generated):
    first = SimLeague(SimConfig(seed=7), cache_root=tmp_path)
    first.schedule(2025)  # generates and stores
    entries = [p for p in tmp_path.iterdir()]
    assert len(entries) == 1 and entries[0].name.startswith("2025-") and (entries[0] / "complete").exists()
    again = SimLeague(SimConfig(seed=7), cache_root=tmp_path)
    season = again._season(2025)  # reads
    for name in SEASON_FRAMES:
        frame = getattr(season, name)
        assert frame.schema == generated[name].schema, name
        assert frame.equals(generated[name]), name
    assert again.schedule(2025).height > 1000


def test_the_key_follows_the_configuration_and_the_code(tmp_path, monkeypatch):
    seeded = cache.season_dir(tmp_path, SimConfig(seed=7), 2025)
    assert cache.season_dir(tmp_path, SimConfig(seed=8), 2025) != seeded
    assert cache.season_dir(tmp_path, SimConfig(seed=7, faults=FaultConfig.none()), 2025) != seeded
    assert cache.season_dir(tmp_path, SimConfig(seed=7), 2024) != seeded
    monkeypatch.setattr(cache, "code_version", lambda: "another version of the sim")
    assert cache.season_dir(tmp_path, SimConfig(seed=7), 2025) != seeded


def test_an_unusable_cache_means_generating(tmp_path, monkeypatch):
    config = SimConfig(seed=7)
    folder = cache.season_dir(tmp_path, config, 2025)
    folder.mkdir(parents=True)
    (folder / "complete").write_text("")
    (folder / "schedule.parquet").write_text("not parquet")
    assert cache.load(tmp_path, config, 2025, SEASON_FRAMES) is None  # damaged: generate
    assert SimLeague(config, cache_root=tmp_path).schedule(2025).height > 1000
    assert cache.load(tmp_path / "absent", config, 2025, SEASON_FRAMES) is None
    blocked = tmp_path / "file"
    blocked.write_text("")
    cache.store(blocked, config, 2025, {n: pl.DataFrame() for n in SEASON_FRAMES})  # cannot write: no error
    for off in ("off", ""):
        monkeypatch.setenv("NBA_LAKE_SIM_CACHE", off)
        assert sim_cache_root() is None
    monkeypatch.setenv("NBA_LAKE_SIM_CACHE", str(tmp_path))
    assert sim_cache_root() == tmp_path
