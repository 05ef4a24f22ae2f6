"""Bad and drifting input, each kind through the real parsers and the real raw assets (landing mode).

One landing zone holds one kind per game day, next to good data of the same day; one range run of the
raw assets ingests them all. For every kind: a clear reject (or a quarantined file) naming source,
game, player and field; the good rows of that day land; the day is among the rejects check's failing
dates exactly when it had something to reject.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_assets.raw import FEEDS, REJECTS_CHECK, SOURCE_DUPLICATES_CHECK, bdl_boxscores, prop_lines
from resources.env import resources_for
from resources.landing import QUARANTINE, QUARANTINE_LOG, LandingZone
from resources.settings import settings
from tests.conftest import FIXTURES, lake_instance_for_test, range_tags

OLD_SHAPE = json.loads((FIXTURES / "bdl" / "box_scores_2024-01-15_v2023.json").read_text())
ODDS = json.loads((FIXTURES / "oddsapi" / "event_odds_player_props_fixture.json").read_text())
START = dt.date(2024, 1, 15)
N_PLAYERS = sum(len(g[s]["players"]) for g in OLD_SHAPE["data"] for s in ("home_team", "visitor_team"))
GAME0 = sum(len(OLD_SHAPE["data"][0][s]["players"]) for s in ("home_team", "visitor_team"))


def _day_body(day: dt.date) -> dict:
    body = copy.deepcopy(OLD_SHAPE)
    for g in body["data"]:
        g["date"] = day.isoformat()
    return body


def _line(body: dict) -> dict:
    """The first home player of the first game (Jaylen Brown, played 37 minutes)."""
    return body["data"][0]["home_team"]["players"][0]


def _set(key: str, value) -> Callable[[dict], None]:
    return lambda b: _line(b).__setitem__(key, value)


def _rename(old: str, new: str) -> Callable[[dict], None]:
    return lambda b: _line(b).__setitem__(new, _line(b).pop(old))


def _on_both_teams(b: dict) -> None:
    b["data"][0]["visitor_team"]["players"].append(copy.deepcopy(_line(b)))


def _extra_fields(b: dict) -> None:
    b["data"][0]["arena"] = {"name": "TD Garden"}
    _line(b)["pts_paint"] = 12
    b["meta"] = {"api_version": "v2"}


def _no_players(b: dict) -> None:
    b["data"][0]["home_team"]["players"] = []
    b["data"][0]["visitor_team"]["players"] = []


# kind -> (mutation of the day's body | raw bytes of an extra bad file, expected rows, reject field or
# None, expected repeated records)
BDL_KINDS: dict[str, tuple] = {
    "truncated_json": (b'{"data": [{"date": "2024-01-', N_PLAYERS, "body", 0),
    "html_200": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", N_PLAYERS, "body", 0),
    "missing_data_key": (b'{"error": "maintenance", "meta": {}}', N_PLAYERS, "data", 0),
    "null_stats": (_set("pts", None), N_PLAYERS - 1, "pts", 0),
    "negative_minutes": (_set("min", "-5"), N_PLAYERS - 1, "min", 0),
    "minutes_abc": (_set("min", "abc"), N_PLAYERS - 1, "min", 0),
    "unknown_team_code": (lambda b: b["data"][0]["home_team"].update(abbreviation="XYZ"),
                          N_PLAYERS - GAME0, "home_team.abbreviation", 0),
    "duplicate_player_row": (lambda b: b["data"][0]["home_team"]["players"].append(copy.deepcopy(_line(b))),
                             N_PLAYERS, None, 1),
    "player_on_both_teams": (_on_both_teams, N_PLAYERS - 1, "team", 0),
    "game_without_players": (_no_players, N_PLAYERS - GAME0, "players", 0),
    "field_renamed_by_new_version": (_rename("pts", "points"), N_PLAYERS - 1, "pts", 0),
    "field_an_older_version_lacks": (lambda b: None, N_PLAYERS, None, 0),
    "unexpected_extra_field": (_extra_fields, N_PLAYERS, None, 0),
    "player_id_missing": (lambda b: _line(b)["player"].pop("id"), N_PLAYERS - 1, "player.id", 0),
    "makes_exceed_attempts": (_set("fgm", 40), N_PLAYERS - 1, "fgm", 0),
}
BDL_DAYS = {kind: START + dt.timedelta(days=i) for i, kind in enumerate(BDL_KINDS)}
ODDS_DAY = dt.date(2025, 1, 20)  # the odds fixture's game: BOS @ LAL, tip-off 2025-01-21 00:30 UTC


def _land_bdl(data: Path) -> None:
    for kind, (bad, *_rest) in BDL_KINDS.items():
        day = BDL_DAYS[kind]
        folder = data / "landing" / "bdl" / "box_scores" / day.isoformat()
        folder.mkdir(parents=True)
        body = _day_body(day)
        if isinstance(bad, bytes):
            (folder / "bad_response.json").write_bytes(bad)
        else:
            bad(body)
        (folder / "response.json").write_text(json.dumps(body))


def _land_odds(data: Path) -> None:
    folder = data / "landing" / "oddsapi" / "event_odds" / ODDS_DAY.isoformat()
    folder.mkdir(parents=True)
    null_price = copy.deepcopy(ODDS)
    null_price["bookmakers"][0]["markets"][0]["outcomes"][0]["price"] = None
    after_tip = copy.deepcopy(ODDS)
    for book in after_tip["bookmakers"]:
        book["last_update"] = "2025-01-21T01:10:00Z"
        for m in book["markets"]:
            m["last_update"] = "2025-01-21T01:10:00Z"
    (folder / "a_null_price.json").write_text(json.dumps(null_price))
    (folder / "b_after_tip.json").write_text(json.dumps(after_tip))


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    data = tmp_path_factory.mktemp("bad_input") / "data"
    _land_bdl(data)
    _land_odds(data)
    mp = pytest.MonkeyPatch()
    mp.setenv("NBA_LAKE_DATA_DIR", str(data))
    mp.setenv("NBA_LAKE_SOURCE", "landing")
    try:
        with lake_instance_for_test() as instance:
            first, last = min(BDL_DAYS.values()), max(BDL_DAYS.values())
            box = dg.materialize([bdl_boxscores], resources=resources_for(settings()), instance=instance,
                                 tags=range_tags(str(first), str(last)))
            odds = dg.materialize([prop_lines], resources=resources_for(settings()), instance=instance,
                                  partition_key=str(ODDS_DAY))
            assert box.success and odds.success
            yield data, box, odds
    finally:
        mp.undo()


def _check(result, name: str, partition: str | None = None) -> dg.AssetCheckEvaluation:
    """The step's own record (partition None: the latest day's, the range's failing days beside it), or
    one day's own evaluation logged by the range run."""
    [ev] = [e for e in result.get_asset_check_evaluations() if e.check_name == name and e.partition == partition]
    return ev


def _feed(table: str):
    return next(f for f in FEEDS if f.table.name == table)


def test_bad_and_drifting_input_is_rejected_by_name_and_the_good_rows_land(ingested):
    # One test, not one per kind: xdist would spread them over both workers and each would ingest the
    # landing zone again. Every kind is still checked on its own, and every failing kind reported.
    failed = {}
    for kind in BDL_KINDS:
        try:
            _each_bad_kind_rejects_by_name_and_keeps_the_good_rows(ingested, kind)
        except AssertionError as exc:
            failed[kind] = str(exc) or repr(exc)
    assert not failed, failed
    _the_rejects_check_counts_every_bad_record_of_the_range(ingested)
    _odds_null_price_rejected_and_after_tip_snapshot_kept_flagged(ingested)


def _each_bad_kind_rejects_by_name_and_keeps_the_good_rows(ingested, kind):
    data, box, _ = ingested
    bad, rows, field, repeated = BDL_KINDS[kind]
    day = BDL_DAYS[kind]
    got = pl.read_parquet(data / "lake" / "raw" / "bdl_boxscores" / f"{day}.parquet")
    assert got.height == rows, kind
    failing = _check(box, REJECTS_CHECK).metadata["range_failing_dates"].value.split(", ")
    assert (str(day) in failing) == (field is not None), (kind, failing)
    assert _check(box, REJECTS_CHECK, str(day)).passed == (field is None), kind
    if isinstance(bad, bytes) and field == "body":
        # Quarantined: kept with its reason, out of the folder, so no later run parses it again.
        qdir = data / "landing" / "bdl" / "box_scores" / str(day) / QUARANTINE
        assert (qdir / "bad_response.json").read_bytes() == bad
        assert "bad_response.json" in (qdir / QUARANTINE_LOG).read_text()
        return
    again = _feed("bdl_boxscores").ingest(LandingZone(data), [day])
    assert again.rows.height == rows
    assert again.duplicates.height == repeated
    if field is None:
        assert again.rejects.height == 0, again.rejects
        return
    rej = again.rejects.row(0, named=True)
    assert rej["field"] == field and rej["source"] == "bdl" and rej["game_date"] == day
    if field == "data":  # the whole response: the reject names the file
        assert rej["landing_file"] == "bad_response.json"
        return
    if field != "home_team.abbreviation":  # the game's key needs the team it names
        assert rej["source_game_id"] == f"{day}/TOR@BOS"
    if field != "players":
        assert rej["player"] == "Jaylen Brown"


def _the_rejects_check_counts_every_bad_record_of_the_range(ingested):
    _, box, _ = ingested
    ev = _check(box, REJECTS_CHECK)
    assert ev.severity == dg.AssetCheckSeverity.ERROR
    expected_days = {str(BDL_DAYS[k]) for k, v in BDL_KINDS.items() if v[2] is not None}
    assert set(ev.metadata["range_failing_dates"].value.split(", ")) == expected_days
    assert all(not _check(box, REJECTS_CHECK, d).passed for d in expected_days)
    dupes = [e for e in box.get_asset_check_evaluations()
             if e.check_name == SOURCE_DUPLICATES_CHECK and e.partition is not None]
    assert sum(e.metadata["duplicates_count"].value for e in dupes if "duplicates_count" in e.metadata) == 1


def _odds_null_price_rejected_and_after_tip_snapshot_kept_flagged(ingested):
    data, _, odds = ingested
    lines = pl.read_parquet(data / "lake" / "raw" / "prop_lines" / f"{ODDS_DAY}.parquet")
    ev = _check(odds, REJECTS_CHECK, str(ODDS_DAY))
    assert not ev.passed and "price" in ev.metadata["rejects"].value
    assert "LeBron James" in ev.metadata["rejects"].value
    # The in-game snapshot lands with a negative minutes_before_tip: consumers drop it (leakage rule).
    after = lines.filter(pl.col("minutes_before_tip") < 0)
    assert after.height > 0 and lines.filter(pl.col("minutes_before_tip") > 0).height > 0
