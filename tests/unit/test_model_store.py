"""The model store: stable paths, atomic text + sidecar, round trips, fallback to the previous week."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import replace

import numpy as np
import pytest

from io_managers.model_store import ModelStore, ModelStoreError
from nba_assets.logic import modeling as m
from nba_assets.logic import training as tr
from tests.unit.test_modeling import synthetic_league, tipped

WEEK = "2024-12-16"
CUTOFF = dt.date.fromisoformat(WEEK)


@pytest.fixture(scope="module")
def league():
    # small: the store only needs a real booster, not a good one
    return synthetic_league(days=50, players=40, seed=1)


@pytest.fixture(scope="module")
def model(league):
    feats, actuals = league
    params = tr.ModelParams(num_boost_round=60)
    return tr.train_points_model(tr.training_frame(feats, actuals, CUTOFF, 28), params, CUTOFF)


def test_path_is_stable_per_week(tmp_path):
    store = ModelStore(str(tmp_path))
    assert str(store.path_for(WEEK)) == str(tmp_path / "models" / "points_model" / f"{WEEK}.txt")
    assert str(ModelStore(str(tmp_path)).path_for(WEEK)) == str(store.path_for(WEEK))


def test_round_trip_gives_identical_predictions(tmp_path, league, model):
    feats, _ = league
    store = ModelStore(str(tmp_path))
    path = store.save(WEEK, model)
    assert path.read_text() == model.booster.model_to_string()
    loaded = store.load(WEEK)
    assert loaded is not None
    assert loaded.model_version == model.model_version and loaded.cutoff == model.cutoff
    assert loaded.features == model.features
    assert loaded.metrics == model.metrics
    assert np.array_equal(loaded.residuals, model.residuals)
    day = tipped(feats.filter(feats["game_date"] >= CUTOFF))
    assert m.predict_points(loaded, day).equals(m.predict_points(model, day))
    created = dt.datetime(2024, 12, 16, 15, tzinfo=dt.UTC)
    assert m.build_predictions(day, loaded, created).equals(m.build_predictions(day, model, created))


def test_save_leaves_no_temp_files_and_overwrites_in_place(tmp_path, model):
    store = ModelStore(str(tmp_path))
    store.save(WEEK, model)
    store.save(WEEK, model)
    names = sorted(p.name for p in (tmp_path / "models" / "points_model").iterdir())
    assert names == [f"{WEEK}.json", f"{WEEK}.txt"]


def test_missing_week_loads_as_none(tmp_path):
    assert ModelStore(str(tmp_path)).load(WEEK) is None
    assert ModelStore(str(tmp_path)).latest_before(WEEK) is None


def test_latest_before_falls_back_to_the_newest_earlier_week(tmp_path, model):
    store = ModelStore(str(tmp_path))
    for week in ["2024-12-02", "2024-12-09", "2024-12-23"]:
        store.save(week, replace(model, model_version=f"lgbm_points_v1@{week}"))
    assert store.weeks() == ["2024-12-02", "2024-12-09", "2024-12-23"]
    # 12-09, never 12-23: a later week's model has seen the days it would predict
    assert store.latest_before(WEEK).model_version == "lgbm_points_v1@2024-12-09"
    assert store.latest_before("2024-12-09").model_version == "lgbm_points_v1@2024-12-02"
    assert store.latest_before("2024-12-02") is None


def test_an_incomplete_save_is_not_a_model(tmp_path, model):
    store = ModelStore(str(tmp_path))
    store.save("2024-12-02", replace(model, model_version="lgbm_points_v1@2024-12-02"))
    store.save("2024-12-09", model)
    (tmp_path / "models" / "points_model" / "2024-12-09.json").unlink()  # crash before the sidecar
    assert store.load("2024-12-09") is None
    assert store.weeks() == ["2024-12-02"]
    assert store.latest_before(WEEK).model_version == "lgbm_points_v1@2024-12-02"


def test_a_text_file_that_does_not_match_its_sidecar_is_rejected(tmp_path, model):
    store = ModelStore(str(tmp_path))
    path = store.save(WEEK, model)
    path.write_text(path.read_text().replace("tree_sizes", "tree_sizes ", 1))
    with pytest.raises(ModelStoreError, match="does not match"):
        store.load(WEEK)


def test_week_keys_must_be_iso_dates(tmp_path):
    with pytest.raises(ValueError):
        ModelStore(str(tmp_path)).path_for("week-51")


def test_object_store_paths_work_through_fsspec(league, model):
    # memory:// stands in for gs://: the non-local branch (one put per object, no rename)
    store = ModelStore(f"memory://lake-{uuid.uuid4().hex}")
    store.save(WEEK, model)
    loaded = store.load(WEEK)
    assert loaded is not None
    day = league[0].filter(league[0]["game_date"] >= CUTOFF)
    assert m.predict_points(loaded, day).equals(m.predict_points(model, day))
