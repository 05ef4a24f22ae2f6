"""`nba-lake trace` on a prediction made by the real pipeline on the simulated league.

One lake per module: raw -> analytics -> features for 2025-12-01..10 in one range run, then the
recommendation history and predictions of 2025-12-10 (no model week has enough history yet, so the moving-average baseline is
the system). Every part of the trace is compared with the lake and the landing zone directly. The
season report's window-by-window reads are compared on the same lake with reading everything at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from nba_assets import tables
from nba_assets.cli.trace import (
    LakeFiles,
    TraceError,
    model_info,
    parse_row_id,
    trace_prediction,
    trace_summary,
)
from nba_assets.definitions import build_definitions
from resources.lake import LakeReader
from tests.conftest import SIM_NOW, lake_instance_for_test, range_tags

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "docs" / "trace.schema.json").read_text())
DAY = dt.date(2025, 12, 10)
SYSTEM = "moving_avg_l10"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    data = tmp_path_factory.mktemp("trace") / "data"
    with pytest.MonkeyPatch.context() as mp, lake_instance_for_test() as instance:
        mp.setenv("NBA_LAKE_DATA_DIR", str(data))
        mp.setenv("NBA_LAKE_SOURCE", "sim")
        mp.setenv("NBA_LAKE_SIM_NOW", SIM_NOW.isoformat())
        defs = build_definitions()
        ingest = defs.resolve_job_def("ingest_and_features").execute_in_process(
            instance=instance, tags=range_tags("2025-12-01", str(DAY))
        )
        assert ingest.success
        preds = defs.resolve_job_def("predict_and_grade").execute_in_process(
            instance=instance, tags=range_tags(str(DAY - dt.timedelta(days=1)), str(DAY)),
            asset_selection=[tables.RECOMMENDATION_HISTORY.key, tables.PLAYER_PROP_PREDICTIONS.key],
        )  # fmt: skip
        assert preds.success
        RANGE_EVENTS[:] = preds.get_asset_materialization_events()
        yield data


RANGE_EVENTS: list = []  # the materializations of the fixture's two-day predictions run


def test_each_day_of_a_range_says_what_made_its_history(lake):
    """The history's per-day facts (model, rows, new rows) sit on that day's own event, not a map over
    the range's days copied onto every day's event (which grew each event with the range)."""
    reader = LakeReader(str(lake))
    events = [e for e in RANGE_EVENTS if e.asset_key == tables.RECOMMENDATION_HISTORY.key]
    assert sorted(e.partition for e in events) == [str(DAY - dt.timedelta(days=1)), str(DAY)]
    for e in events:
        meta = e.materialization.metadata
        rows = reader.partition(tables.RECOMMENDATION_HISTORY, dt.date.fromisoformat(e.partition)).height
        assert rows > 0 and meta["rows"].value == meta["new_rows"].value == rows, e.partition
        assert meta["model_version"].value == "baseline only (no model yet)"
        assert "model_versions" not in meta and "rows_by_day" not in meta


def test_the_season_report_reads_window_by_window_what_it_reads_all_at_once(lake, tmp_path):
    from checks.coverage import load_daily_coverage
    from nba_assets import grading
    from nba_assets.logic.grading import final_games, grade_predictions
    from nba_assets.logic.report import BY_REFRESH_COLUMNS

    reader = LakeReader(str(lake))
    history = reader.rows(tables.RECOMMENDATION_HISTORY)
    final = final_games(reader.rows(tables.GAMES))
    whole = grade_predictions(
        history.join(final, on="game_id", how="semi"), reader.rows(tables.PLAYER_GAME_SUMMARY)
    ).select(BY_REFRESH_COLUMNS)
    assert whole.height > 0 and whole["outcome"].is_in(["WIN", "LOSS", "PUSH"]).any()
    coverage = load_daily_coverage(reader)
    assert coverage.height >= 10 and coverage["lined_predicted"].sum() > 0
    for window_days in (1, 3, grading.REPORT_WINDOW_DAYS):  # two history days: one window or two
        assert grading.graded_history(reader, window_days).equals(whole), window_days
        assert grading.daily_coverage(reader, window_days).equals(coverage), window_days
    empty = LakeReader(str(tmp_path))
    assert grading.graded_history(empty).columns == BY_REFRESH_COLUMNS and grading.graded_history(empty).height == 0
    assert grading.daily_coverage(empty).equals(load_daily_coverage(empty))


@pytest.fixture(scope="module")
def target(lake) -> dict:
    """A lined baseline prediction of a player with at least 3 games in the lake before DAY."""
    reader = LakeReader(str(lake))
    got = reader.query(f"""
        select p.game_id, p.player_lookup from predictions.player_prop_predictions p
        join features.player_features f using (game_date, player_lookup)
        where p.game_date = DATE '{DAY}' and p.system_id = '{SYSTEM}' and p.line is not null
          and f.pts_l3 is not null order by f.games_played_season desc, p.player_lookup limit 1""")  # fmt: skip
    assert got.height == 1
    return got.row(0, named=True)


def _sha(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_trace_of_a_prediction_is_exactly_the_lake(lake, target):
    t = trace_prediction(str(lake), target["game_id"], target["player_lookup"], SYSTEM)
    reader = LakeReader(str(lake))
    player = pl.col("player_lookup") == target["player_lookup"]
    pred = reader.partition(tables.PLAYER_PROP_PREDICTIONS, DAY).filter(
        player & (pl.col("game_id") == target["game_id"]) & (pl.col("system_id") == SYSTEM)
    )
    assert t["prediction"]["row"]["predicted_points"] == pytest.approx(pred["predicted_points"][0])
    assert t["prediction"]["row"]["created_at"] == pred["created_at"][0].isoformat()
    feat = reader.partition(tables.PLAYER_FEATURES, DAY).filter(player).row(0, named=True)
    assert t["features"]["row"]["pts_l10"] == pytest.approx(feat["pts_l10"])
    assert t["features"]["row"]["data_as_of"] == str(feat["data_as_of"])
    # the summary rows: every row of the player this season before DAY, newest first
    summ = reader.query(
        f"select game_date, game_id, points from analytics.player_game_summary where player_lookup = "
        f"'{target['player_lookup']}' and game_date < DATE '{DAY}' order by game_date desc"
    )
    assert [(s["game_date"], s["game_id"], s["points"]) for s in t["summary_rows"]] == [
        (str(r["game_date"]), r["game_id"], r["points"]) for r in summ.iter_rows(named=True)
    ]
    assert t["summary_rows"][0]["game_date"] == str(feat["data_as_of"])
    assert t["summary_rows"][0]["windows"][:1] == ["l3"]
    assert all(c["matches"] for c in t["features"]["window_check"].values()), t["features"]["window_check"]
    # the raw rows behind each summary row, with their landing files
    for s in t["summary_rows"]:
        for source, table in (("bdl", tables.BDL_BOXSCORES), ("nbacom", tables.NBACOM_BOXSCORES)):
            lake_rows = reader.partition(table, s["game_date"]).filter(
                player & (pl.col("team") == s["team"])
            )
            got = [r for r in s["raw"] if r["source"] == source]
            assert sorted((r["player_id"], r["points"], r["landing_file"]) for r in got) == sorted(
                lake_rows.select("player_id", "points", "landing_file").iter_rows()
            )
            for r in got:
                landing = r["landing"]
                assert landing["exists"] and landing["path"].endswith(f"/{s['game_date']}/{r['landing_file']}")
                assert landing["sha256"] == _sha(landing["path"]) and landing["content_address_ok"]
                assert landing["fetched_at"] and landing["url"].startswith("https://")
        assert any(r["used"] for r in s["raw"])
    # the snapshots behind the consensus line
    props = reader.partition(tables.PROP_LINES, DAY).filter(player)
    snaps = t["prop_lines"]["snapshots"]
    assert sorted((s["bookmaker"], s["snapshot_ts"]) for s in snaps) == sorted(
        (b, ts.isoformat()) for b, ts in props.select("bookmaker", "snapshot_ts").iter_rows()
    )
    assert t["prop_lines"]["consensus_line"] == pytest.approx(feat["consensus_line"])
    assert t["prop_lines"]["matches"] is True
    used = [s for s in snaps if s["used_in_consensus"]]
    assert len(used) == feat["n_books"] and all(s["pre_tip"] for s in used)
    assert t["model"]["kind"] == "baseline" and t["notes"] == []


def test_secrets_never_reach_the_trace(lake, target):
    text = json.dumps(trace_prediction(str(lake), target["game_id"], target["player_lookup"], SYSTEM))
    assert '"apiKey": "***"' in text  # the Odds API key parameter is there, redacted
    assert "apiKey=" not in text.replace("apiKey=***", "")


def test_a_missing_landing_file_is_a_note_not_a_failure(lake, target, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(lake, copy)
    before = trace_prediction(str(copy), target["game_id"], target["player_lookup"], SYSTEM)
    victim = next(r for r in before["summary_rows"][0]["raw"] if r["used"])
    Path(victim["landing"]["path"].replace(str(lake), str(copy))).unlink()
    after = trace_prediction(str(copy), target["game_id"], target["player_lookup"], SYSTEM)
    raw = next(r for r in after["summary_rows"][0]["raw"] if r["used"])
    assert raw["landing"]["exists"] is False and raw["landing"]["sha256"] is None
    assert victim["landing_file"] in raw["landing"]["note"] and "missing" in raw["landing"]["note"]
    assert any(victim["landing_file"] in n for n in after["notes"])
    # everything else is unchanged
    assert after["summary_rows"][1:] == before["summary_rows"][1:]
    jsonschema.validate(after, SCHEMA)


def test_json_validates_against_the_documented_shape(lake, target):
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    t = json.loads(json.dumps(trace_prediction(str(lake), target["game_id"], target["player_lookup"], SYSTEM)))
    jsonschema.validate(t, SCHEMA)
    s = json.loads(json.dumps(trace_summary(str(lake), t["summary_rows"][0]["game_id"], target["player_lookup"])))
    jsonschema.validate(s, SCHEMA)
    assert s["summary"]["raw"] == t["summary_rows"][0]["raw"]
    # the schema bites: a trace without its landing hash or with a made-up kind is rejected
    broken = json.loads(json.dumps(t))
    del broken["summary_rows"][0]["raw"][0]["landing"]["sha256"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**t, "kind": "guess"}, SCHEMA)


def test_cli_json_and_tree(lake, target, monkeypatch, capsys):
    from nba_assets.cli import commands as cli

    monkeypatch.setenv("NBA_LAKE_DATA_DIR", str(lake))
    row_id = f"{target['game_id']}:{target['player_lookup']}:{SYSTEM}"
    assert cli.entry(["trace", row_id, "--json"]) == 0
    jsonschema.validate(json.loads(capsys.readouterr().out), SCHEMA)
    assert cli.entry(["trace", "--game", target["game_id"], "--player", target["player_lookup"],
                      "--system", SYSTEM]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert f"prediction {row_id}" in out and "recomputed from the summary rows" in out and "✗" not in out
    assert cli.entry(["trace", "0099999999:nobody:moving_avg_l10"]) == 1
    assert "game '0099999999' is not in analytics/games" in capsys.readouterr().err


def test_unknown_rows_say_what_exists(lake, target):
    with pytest.raises(TraceError, match="systems there: moving_avg_l10"):
        trace_prediction(str(lake), target["game_id"], target["player_lookup"], "lgbm_points_v1")
    with pytest.raises(TraceError, match="no summary row for nobody"):
        trace_summary(str(lake), target["game_id"], "Nobody")
    with pytest.raises(TraceError, match="is not <game_id>"):
        parse_row_id("justonepart")
    assert parse_row_id("0022500352:Bogdan Musić") == ("0022500352", "bogdanmusic", None)


def test_model_info_reads_the_weeks_sidecar(tmp_path):
    folder = tmp_path / "models" / "points_model"
    folder.mkdir(parents=True)
    metrics = {"train_rows": 5978, "train_start": "2025-11-03", "train_end": "2025-12-07", "val_rows": 2546,
               "val_start": "2025-11-23", "val_mae_model": 3.8767, "val_mae_baseline": 4.1077}  # fmt: skip
    (folder / "2025-12-08.json").write_text(json.dumps({"cutoff": "2025-12-08", "metrics": metrics}))
    pred = {"system_id": "lgbm_points_v1", "model_version": "lgbm_points_v1@2025-12-08"}
    info = model_info(LakeFiles(str(tmp_path)), pred)
    assert info["week"] == "2025-12-08" and info["metrics"]["train_rows"] == 5978
    assert info["file"].endswith("models/points_model/2025-12-08.txt") and info["note"] is None
    missing = model_info(LakeFiles(str(tmp_path)), {**pred, "model_version": "lgbm_points_v1@2025-12-15"})
    assert missing["metrics"] is None and "model sidecar missing" in missing["note"]
