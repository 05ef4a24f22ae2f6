"""The exports' pure core on hand-made frames: each document, the best-bets rule, the bytes, the checks'
rules, the JSON Schemas (checks/export_schemas/*.schema.json) and the store's layout and cache headers."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import polars as pl
import pytest

from checks import exports as rules
from io_managers.exports import ExportStore, cache_control
from nba_assets import tables
from nba_assets.logic.exports import encode, fields, paths, players, record, selection, slate
from resources.exports import exports_dir
from resources.settings import ConfigError

SCHEMAS = Path(__file__).resolve().parents[2] / "checks" / "export_schemas"
D = dt.date(2025, 12, 10)
TIP = dt.datetime(2025, 12, 11, 0, 30, tzinfo=dt.UTC)
MADE = dt.datetime(2025, 12, 10, 15, 0, tzinfo=dt.UTC)
SYSTEMS = ("alpha", "beta")


def preds(rows: list[dict]) -> pl.DataFrame:
    """player_prop_predictions rows (the contract's columns), defaults for what a row does not give."""
    base = {
        "game_id": "0022500001", "game_date": D, "player_lookup": "anna", "system_id": "alpha",
        "model_version": "m", "predicted_points": 24.0, "line": 20.5, "line_source": "CONSENSUS", "n_books": 4,
        "pick_book": "bookA", "pick_line": 21.0, "pick_price": -105,
        "edge": 3.5, "p_over": 0.6, "recommendation": "OVER", "pass_reason": None, "confidence": 50.0,
        "feature_quality_score": 90.0, "injury_status": None, "injury_report_ts": None, "line_snapshot_ts": MADE,
        "refresh": "morning", "tipoff_utc": TIP, "created_at": MADE,
    }  # fmt: skip
    frame = [{**base, **r} for r in rows]
    return pl.DataFrame(frame, schema=tables.PLAYER_PROP_PREDICTIONS.empty().schema)


def grades(rows: list[dict]) -> pl.DataFrame:
    base = {
        "game_id": "0022500001", "game_date": D, "player_lookup": "anna", "system_id": "alpha",
        "predicted_points": 24.0, "line": 20.5, "recommendation": "OVER", "p_over": 0.6, "pick_book": "bookA",
        "pick_line": 20.5, "pick_price": -110, "profit_units": None, "closing_line": 21.0, "clv": None, "actual_points": 25,
        "actual_minutes": 30.0, "outcome": "WIN", "absolute_error": 1.0, "signed_error": -1.0, "refresh": "T-10m",
        "created_at": MADE,
    }  # fmt: skip
    return pl.DataFrame([{**base, **r} for r in rows], schema=tables.PREDICTION_GRADES.empty().schema)


GAMES = pl.DataFrame(
    {"game_id": ["0022500001", "0022500002"], "home_team": ["BOS", "LAL"], "away_team": ["NYK", "GSW"],
     "tipoff_utc": [TIP, TIP + dt.timedelta(hours=3)], "status": [3, 3]},
    schema_overrides={"tipoff_utc": pl.Datetime("us", "UTC")},
)  # fmt: skip


def valid(doc: dict) -> dict:
    plain = json.loads(encode.encode(doc))
    schema = json.loads((SCHEMAS / f"{plain['document']}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(plain)
    return plain


# ------------------------------------------------------------------------------------------ encode
def test_the_same_document_gives_the_same_bytes_and_times_are_utc_z():
    doc = {"b": 1.23456789, "a": dt.datetime(2025, 12, 10, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
           "d": D, "n": float("nan"), "z": -0.0}  # fmt: skip
    out = encode.encode(doc)
    assert out == encode.encode(dict(doc))
    assert json.loads(out) == {"b": 1.2346, "a": "2025-12-10T15:00:00Z", "d": "2025-12-10", "n": None, "z": 0.0}
    assert out.endswith(b"\n")


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="naive datetime"):
        encode.encode({"at": dt.datetime(2025, 12, 10, 10, 0)})


# ------------------------------------------------------------------------------------------ fields
def test_the_pick_and_the_consensus_come_from_the_prediction_never_an_invented_price():
    out = fields.priced(preds([{}]))
    assert out.select(fields.CONSENSUS_LINE, fields.BOOK_COUNT, fields.PICK_LINE, fields.PICK_PRICE).row(0) == (
        20.5, 4, 21.0, -105)
    unpriced = fields.priced(preds([{}]).drop(fields.PICK_PRICE, fields.PICK_BOOK))  # a lake before the pick
    assert unpriced[fields.PICK_PRICE][0] is None and unpriced[fields.PICK_BOOK][0] is None


def test_profit_at_110_by_outcome():
    g = fields.graded(grades([{"outcome": o} for o in ("WIN", "LOSS", "PUSH", "VOID")]))
    assert g["profit_at_110"].to_list() == [pytest.approx(100 / 110), -1.0, 0.0, None]


def test_the_champion_of_a_day_is_grading_champions_row_for_it_or_the_latest_before():
    table = pl.DataFrame({"game_date": [D - dt.timedelta(days=3), D], "champion": ["beta", "alpha"]})
    assert fields.champion_of(table, D) == "alpha"
    assert fields.champion_of(table, D - dt.timedelta(days=1)) == "beta"  # the day's row not written yet
    assert fields.champion_of(table, D - dt.timedelta(days=5)) is None
    assert fields.champion_of(None, D) is None


# ------------------------------------------------------------------------------------- selection
def test_best_bets_rule_edge_probability_one_per_game_and_at_most_n():
    rows = [
        {"player_lookup": "small", "predicted_points": 21.5},  # edge 1.0 < MIN_EDGE
        {"player_lookup": "unsure", "predicted_points": 30.0, "p_over": 0.5},  # below break-even
        {"player_lookup": "passed", "recommendation": "PASS", "predicted_points": 30.0},
        {"player_lookup": "under", "recommendation": "UNDER", "predicted_points": 15.0, "p_over": 0.3},  # edge 5.5
        {"player_lookup": "over", "predicted_points": 30.0, "p_over": 0.7},  # edge 9.5, same game as under
    ] + [
        {"player_lookup": f"g{i}", "game_id": f"00225001{i:02d}", "predicted_points": 23.0 + i * 0.1}
        for i in range(selection.MAX_PER_DAY + 2)
    ]
    chosen = selection.best_bets(fields.priced(preds(rows)))
    assert chosen.height == selection.MAX_PER_DAY
    assert chosen["player_lookup"][0] == "over"  # the largest edge first; "under" shares its game
    assert not {"small", "unsure", "passed", "under"} & set(chosen["player_lookup"].to_list())
    assert chosen["rank"].to_list() == list(range(1, selection.MAX_PER_DAY + 1))
    assert selection.candidates(fields.priced(preds([rows[3]])))["probability"][0] == pytest.approx(0.7)


# ---------------------------------------------------------------------------------------- tonight
class _Reader:
    """A LakeReader's rows/has over frames in memory (game_date bounds, columns)."""

    def __init__(self, frames: dict):
        self.frames = frames

    def has(self, table) -> bool:
        return table.key in self.frames

    def rows(self, table, *, since=None, before=None, columns=None) -> pl.DataFrame:
        frame = self.frames[table.key]
        day = pl.col("game_date")
        frame = frame.filter((day >= since) if since else pl.lit(True), (day < before) if before else pl.lit(True))
        return frame.select(columns) if columns else frame


def test_a_ranges_history_names_each_days_champion_as_champion_of_does():
    from nba_assets.exports import History

    days = [D + dt.timedelta(days=i) for i in range(-4, 3)]
    champions = pl.DataFrame({"game_date": [D - dt.timedelta(days=3), D], "champion": ["beta", "alpha"]})
    g = grades([{"game_date": d, "system_id": s} for d in days[:-1] for s in ("alpha", "beta")])
    history = History(_Reader({tables.PREDICTION_GRADES.key: g, tables.CHAMPION.key: champions}), days[3:])  # graded days before the range too
    for day in [D - dt.timedelta(days=9), *days, D + dt.timedelta(days=5)]:  # in the range and not
        assert history.champion(day) == fields.champion_of(champions, day), day
        graded = [d for d in days[:-1] if d < day]
        assert history.champions_before(day) == fields.champions_by_day(champions, graded)
    assert history.champion(days[0]) is None and history.champion(D) == "alpha"
    for day in days:  # the best bets' pool: each earlier graded day's rows of that day's champion
        pool = history.champion_picks(day)
        wanted = {(d, fields.champion_of(champions, d)) for d in days[:-1] if d < day}
        assert sorted(pool.select("game_date", "system_id").iter_rows()) == sorted(
            (d, s) for d in days[:-1] for s in ("alpha", "beta") if (d, s) in wanted)
        assert pool["game_date"].is_sorted()
    assert list(history.champions_before(D + dt.timedelta(days=2), since=D)) == [D, D + dt.timedelta(days=1)]


def test_tonight_lists_each_game_its_lined_players_every_system_and_the_champions_side():
    frame = preds([
        {}, {"system_id": "beta", "recommendation": "UNDER", "predicted_points": 18.0, "p_over": 0.4, "pick_book": "bookB",
             "pick_price": -115},
        {"player_lookup": "nolines", "line": None, "line_source": "NO_LINE", "recommendation": "NO_LINE", "edge": None,
         "pick_book": None, "pick_line": None, "pick_price": None,
         "created_at": MADE + dt.timedelta(hours=2), "line_snapshot_ts": None},
        {"player_lookup": "benched", "injury_status": "OUT", "recommendation": "PASS"},
    ])  # fmt: skip
    doc = valid(slate.tonight(D, frame, GAMES, "beta"))
    assert [g["game_id"] for g in doc["games"]] == ["0022500001", "0022500002"]  # by tip-off; no players: listed
    first = doc["games"][0]
    assert first["home_team"] == "BOS" and first["last_refreshed"] == "2025-12-10T17:00:00Z"  # the unlined row's
    by_player = {p["player_lookup"]: p for p in first["players"]}
    assert set(by_player) == {"anna", "benched"}  # no line, nothing to bet
    anna = by_player["anna"]
    assert anna["pick"] == {"pick_id": "0022500001:anna:beta", "side": "UNDER", "system_id": "beta", "line": 21.0,
                            "book": "bookB", "price": -115, "edge": 3.5, "p_over": 0.4}  # fmt: skip
    assert anna["line"]["best"] == {"book": "bookB", "line": 21.0, "price": -115}  # the champion's offer
    assert anna["line"]["consensus"] == 20.5 and anna["line"]["book_count"] == 4
    assert [p["system_id"] for p in anna["predictions"]] == ["alpha", "beta"]
    assert by_player["benched"]["pick"] is None and by_player["benched"]["injury_status"] == "OUT"
    assert doc["as_of"] == "2025-12-10T17:00:00Z"


def test_tonight_orders_players_and_systems_whatever_the_rows_order():
    later = MADE + dt.timedelta(minutes=30)
    frame = preds([
        {"player_lookup": "zed", "system_id": "gamma", "created_at": later, "pick_book": "bookG"},
        {"player_lookup": "zed", "system_id": "alpha", "pick_book": "bookA"},
        {"player_lookup": "anna", "system_id": "gamma", "recommendation": "PASS"},
        {"game_id": "0022500003", "player_lookup": "cyd", "tipoff_utc": TIP + dt.timedelta(hours=3)},
    ])  # fmt: skip
    doc = valid(slate.tonight(D, frame, GAMES, "gamma"))
    players = {p["player_lookup"]: p for g in doc["games"] for p in g["players"]}
    assert [p["player_lookup"] for p in doc["games"][0]["players"]] == ["anna", "zed"]
    assert [p["system_id"] for p in players["zed"]["predictions"]] == ["alpha", "gamma"]
    assert players["zed"]["last_refreshed"] == "2025-12-10T15:30:00Z" and players["zed"]["line"]["best"]["book"] == "bookG"
    assert players["anna"]["pick"] is None  # the champion passed
    assert players["cyd"]["pick"] is None and players["cyd"]["line"]["best"]["book"] == "bookA"  # no champion row
    # a game with lined players but no schedule row: its tip-off from the predictions, listed last
    assert doc["games"][-1]["game_id"] == "0022500003" and doc["games"][-1]["tipoff_utc"] == "2025-12-11T03:30:00Z"


def test_an_empty_slate_is_a_valid_document():
    doc = valid(slate.tonight(D, preds([]).clear(), GAMES.clear(), None))
    assert doc["games"] == [] and doc["as_of"] is None


# -------------------------------------------------------------------------------- results, record
def test_results_grade_every_sided_pick_and_say_when_complete():
    g = grades([
        {}, {"player_lookup": "bob", "outcome": "LOSS"}, {"player_lookup": "cyd", "outcome": "PUSH", "actual_points": 20},
        {"player_lookup": "dan", "recommendation": "PASS", "outcome": "PASS"},
        {"player_lookup": "bob", "system_id": "beta", "outcome": "WIN", "game_id": "0022500002"},
    ])  # fmt: skip
    doc = valid(record.results(D, g, GAMES, "alpha", {"0022500001:anna:alpha"}))
    assert [p["pick_id"] for p in doc["picks"]] == [
        "0022500001:anna:alpha", "0022500001:bob:alpha", "0022500001:cyd:alpha", "0022500002:bob:beta"]
    assert doc["complete"] and doc["graded_games"] == 2
    alpha = doc["by_system"]["alpha"]
    assert (alpha["picks"], alpha["wins"], alpha["losses"], alpha["pushes"]) == (3, 1, 1, 1)
    assert alpha["hit_rate"] == 0.5 and alpha["roi_at_110"] == pytest.approx((100 / 110 - 1) / 2, abs=1e-4)
    assert doc["best_bets"]["picks"] == 1 and doc["picks"][0]["best_bet"] and doc["picks"][0]["champion_pick"]
    assert alpha["roi_at_price"] is None  # no profit at the price taken on these rows: never an invented -110
    assert doc["picks"][0]["book"] == "bookA" and doc["picks"][0]["closing_line"] == 21.0
    pending = record.results(D, g.filter(pl.col("game_id") == "0022500001"), GAMES, "alpha", set())
    assert not pending["complete"] and pending["graded_games"] == 1


def test_record_at_the_price_taken_and_clv_when_the_lake_has_them():
    g = grades([{"outcome": "WIN"}, {"player_lookup": "bob", "outcome": "LOSS"}]).with_columns(
        profit_units=pl.Series([1.5, -1.0]), clv=pl.Series([0.5, -1.5]))
    rec = record.graded_record(fields.graded(g))
    assert rec["roi_at_price"] == pytest.approx(0.25) and rec["units_at_price"] == pytest.approx(0.5)
    assert rec["clv"] == pytest.approx(-0.5)


def test_leaderboard_windows_count_only_days_before_the_slate_and_the_champions_running_record():
    rows = []
    for days_ago, outcome in ((1, "WIN"), (3, "LOSS"), (10, "WIN"), (40, "WIN"), (0, "LOSS")):
        rows.append({"game_date": D - dt.timedelta(days=days_ago), "outcome": outcome, "player_lookup": f"p{days_ago}"})
    rows.append({"game_date": dt.date(2025, 5, 1), "outcome": "WIN", "player_lookup": "lastseason"})
    g = grades(rows)
    by_day = {D - dt.timedelta(days=n): "alpha" for n in (40, 10, 3, 1)}
    doc = valid(record.leaderboard(D, g, "alpha", by_day, fields.graded(g.head(0))))
    alpha = doc["systems"][0]
    assert alpha["champion"] and doc["champion"] == "alpha"
    assert [alpha[w]["picks"] for w in ("last_7_days", "last_30_days", "season")] == [2, 3, 4]
    assert [p["wins"] for p in doc["champion_record"]] == [1, 2, 2, 3]
    assert doc["champion_record"][-1]["losses"] == 1 and doc["latest_graded_day"] == "2025-12-09"
    assert record.season_start(dt.date(2026, 3, 1)) == dt.date(2025, 8, 1)


def test_each_leaderboard_window_is_the_record_of_its_own_rows():
    rows = [{"game_date": D - dt.timedelta(days=n), "outcome": o, "player_lookup": f"p{n}", "absolute_error": e,
             "actual_points": a, "p_over": p, "profit_units": u}
            for n, o, e, a, p, u in ((40, "WIN", 1.0, 25, 0.6, 0.9), (20, "LOSS", 3.0, 19, 0.7, -1.0),
                                     (9, "PUSH", 2.0, 20, 0.5, None), (8, "WIN", 5.5, 30, 0.8, 0.95))]  # fmt: skip
    g = fields.graded(grades(rows))
    doc = record.leaderboard(D, g, "alpha", {}, g.head(0))
    alpha = doc["systems"][0]
    empty = {**record.graded_record(g.head(0)), "mae": None, "brier": None}
    assert alpha["last_7_days"] == empty  # no row in the last 7 days
    for window, days in (("last_30_days", 30), ("season", 400)):
        mine = g.filter(pl.col("game_date") >= D - dt.timedelta(days=days))
        lined = mine.filter(pl.col("actual_points").cast(pl.Float64) != pl.col("line"))
        brier = ((lined["p_over"] - (lined["actual_points"] > lined["line"]).cast(pl.Float64)) ** 2).mean()
        assert alpha[window] == {**record.graded_record(mine), "mae": mine["absolute_error"].mean(), "brier": brier}
    assert alpha["last_30_days"]["picks"] == 3 and alpha["season"]["pushes"] == 1


def test_a_range_reads_each_days_season_as_a_slice_of_rows_sorted_once_with_the_same_documents():
    rows = [{"game_date": D - dt.timedelta(days=n), "outcome": o, "player_lookup": f"p{n}", "system_id": sid}
            for n, o, sid in ((0, "LOSS", "alpha"), (40, "WIN", "beta"), (1, "WIN", "alpha"), (3, "LOSS", "beta"),
                              (10, "WIN", "alpha"), (2, "PUSH", "beta"))]  # out of date order, both systems
    g = grades(rows)
    index = record.GradedByDay(g)
    assert index.rows["game_date"].is_sorted() and set(index.systems) == {"alpha", "beta"}
    assert index.between(index.rows, D, D).height == 0  # an empty window
    assert index.between(index.rows, D + dt.timedelta(days=1), D + dt.timedelta(days=9)).height == 0  # after every row
    assert index.between(index.system("beta"), D - dt.timedelta(days=40), D).height == 3
    assert index.system("gamma").height == 0  # a system with no graded rows
    for lo, hi in ((D - dt.timedelta(days=40), D), (D - dt.timedelta(days=3), D + dt.timedelta(days=1)), (D, D)):
        for s in ("alpha", "beta", "gamma"):  # a window by bisection is the same rows as between
            assert index.system_between(s, lo, hi).equals(index.between(index.system(s), lo, hi))
    assert index.system_between("beta", D - dt.timedelta(days=3), D)["game_date"].to_list() == \
        [D - dt.timedelta(days=3), D - dt.timedelta(days=2)]
    by_day = {D - dt.timedelta(days=n): "alpha" for n in (10, 3, 2, 1)}
    for day in (D, D - dt.timedelta(days=2), D + dt.timedelta(days=30)):
        assert encode.encode(record.leaderboard(day, index, "alpha", by_day, fields.graded(g.head(0)))) == \
            encode.encode(record.leaderboard(day, g, "alpha", by_day, fields.graded(g.head(0))))


# ---------------------------------------------------------------------------------------- players
def test_a_players_document_is_written_by_the_day_of_their_latest_game():
    summaries = pl.DataFrame({
        "game_date": [D - dt.timedelta(days=2), D], "game_id": ["0022499999", "0022500001"],
        "player_lookup": ["anna", "anna"], "team": ["BOS", "BOS"], "dnp": [False, False],
        "minutes": [30.0, 31.0], "points": [22, 25],
    })  # fmt: skip
    p = preds([{}])
    latest = players.latest_day(pl.concat([summaries.select("player_lookup", "game_date"),
                                           p.select("player_lookup", "game_date")]))  # fmt: skip
    assert players.players_of_day(D, p, summaries, latest) == ["anna"]
    assert players.players_of_day(D - dt.timedelta(days=2), p, summaries, latest) == []  # a later day owns it
    doc = valid(players.player("anna", D, summaries, p, grades([{}])))
    assert [g["points"] for g in doc["games"]] == [25, 22]
    assert doc["predictions"][0]["result"] == "WIN" and doc["lines"][0]["consensus"] == 20.5


# ----------------------------------------------------------------------------------- check rules
def test_fresh_before_tipoff_fails_for_a_game_whose_export_is_older_than_its_latest_recommendation():
    doc = valid(slate.tonight(D, preds([{}]), GAMES, "alpha"))
    latest = pl.DataFrame({"game_id": ["0022500001"], "created_at": [MADE]},
                          schema_overrides={"created_at": pl.Datetime("us", "UTC")})  # fmt: skip
    assert rules.fresh_before_tipoff(D, doc, latest).passed
    newer = latest.with_columns(created_at=pl.lit(MADE + dt.timedelta(minutes=5)).dt.replace_time_zone("UTC"))
    failed = rules.fresh_before_tipoff(D, doc, newer)
    assert not failed.passed and failed.offending["game_id"].to_list() == ["0022500001"]
    assert not rules.fresh_before_tipoff(D, None, latest).passed  # no document at all


def test_lined_players_missing_from_tonight_are_named():
    doc = valid(slate.tonight(D, preds([{}]), GAMES, "alpha"))
    lined = pl.DataFrame({"player_lookup": ["anna", "zed"]})
    out = rules.lined_players_in_tonight(D, doc, lined)
    assert not out.passed and out.offending["player_lookup"].to_list() == ["zed"] and out.extra["coverage"] == 0.5
    assert rules.lined_players_in_tonight(D, doc, lined.head(1)).passed


def test_documents_valid_names_the_path_and_the_field():
    doc = json.loads(encode.encode(slate.tonight(D, preds([{}]), GAMES, "alpha")))
    assert rules.documents_valid(D, {"v1/tonight.json": doc}).passed
    doc["games"][0]["players"][0]["pick"]["side"] = "SIDEWAYS"
    del doc["as_of"]
    out = rules.documents_valid(D, {"v1/tonight.json": doc, "v1/results/x.json": None})
    assert not out.passed
    errors = out.offending["error"].to_list()
    assert "missing" in errors and any("'as_of' is a required property" in e for e in errors)
    assert any(e.startswith("games/0/players/0/pick") for e in errors)


def _mutations(doc: dict) -> list[dict]:
    """Copies of a valid tonight document, each broken (or not) in one way the schema may care about."""
    def changed(fn) -> dict:
        copy = json.loads(json.dumps(doc))
        fn(copy)
        return copy
    player = lambda d: d["games"][0]["players"][0]  # noqa: E731
    return [changed(fn) for fn in (
        lambda d: d.pop("as_of"),
        lambda d: d.update(game_date="2025-13-40"),
        lambda d: d.update(game_date="２０２５-12-10"),  # full-width digits: Python's \d takes them
        lambda d: d.update(as_of="2025-12-10 18:00:00"),
        lambda d: d.update(as_of="2025-12-10T25:61:00Z"),
        lambda d: d.update(schema_version=True),
        lambda d: d.update(unexpected=1),
        lambda d: player(d)["pick"].update(side="SIDEWAYS"),
        lambda d: player(d).update(player_lookup="Anna Smith"),
        lambda d: d["games"][0].update(players="none"),
        lambda d: None,  # unchanged: valid
    )]  # fmt: skip


def test_compiled_validator_passes_only_what_jsonschema_passes():
    # the schema check trusts the compiled validator's "valid" and asks jsonschema for the errors otherwise:
    # identical results need every document jsonschema rejects to be rejected by the compiled one too.
    doc = json.loads(encode.encode(slate.tonight(D, preds([{}]), GAMES, "alpha")))
    docs = _mutations(doc)
    slow = [not list(rules.validator("tonight").iter_errors(d)) for d in docs]
    fast = [rules.fast_validator("tonight").is_valid(d) for d in docs]
    assert slow[-1] and fast[-1] and sum(slow) < len(docs) - 5  # the mutations do break the document
    assert all(s for s, f in zip(slow, fast, strict=True) if f), list(zip(slow, fast, strict=True))
    assert [bool(rules.schema_errors(d)) for d in docs] == [not s for s in slow]


def test_results_complete_the_morning_after():
    doc = record.results(D, grades([{}]), GAMES, "alpha", set())
    assert not rules.results_complete(D, json.loads(encode.encode(doc)), 1).passed  # game 2 final, not graded
    whole = record.results(D, grades([{}, {"game_id": "0022500002", "player_lookup": "bob"}]), GAMES, "alpha", set())
    assert rules.results_complete(D, json.loads(encode.encode(whole)), 2).passed
    assert not rules.results_complete(D, json.loads(encode.encode(whole)), 3).passed  # a graded pick not exported
    assert not rules.results_complete(D, None, 0).passed
    upcoming = record.results(D, grades([]).clear(), GAMES.with_columns(status=pl.lit(1)), None, set())
    assert rules.results_complete(D, json.loads(encode.encode(upcoming)), 0).passed  # not the morning after yet


# ---------------------------------------------------------------------------------- store, layout
def test_layout_cache_headers_and_whole_writes(tmp_path):
    assert paths.latest("tonight") == "v1/tonight.json" and paths.results(D) == "v1/results/2025-12-10.json"
    assert paths.slate("best_bets", D) == "v1/slates/2025-12-10/best_bets.json"
    assert cache_control("v1/tonight.json").startswith("public, max-age=60")
    assert cache_control(paths.results(D)).startswith("public, max-age=300")
    assert cache_control(paths.player("anna")).startswith("public, max-age=300")
    store = ExportStore(str(tmp_path))
    w = store.write(paths.player("anna"), b'{"a":1}\n')
    assert store.read(paths.player("anna")) == b'{"a":1}\n' and w.bytes == 8
    assert store.read("v1/none.json") is None
    assert [p.name for p in (tmp_path / "v1" / "players").iterdir()] == ["anna.json"]  # no temp file left


def test_the_exports_never_go_to_the_lakes_bucket():
    assert exports_dir("/data") == "/data/exports"
    assert exports_dir("gs://lake/nba", {}) == ""  # unset: the export assets fail naming the variable
    assert exports_dir("gs://lake/nba", {"NBA_LAKE_EXPORTS_DIR": "gs://public-exports/"}) == "gs://public-exports"
    with pytest.raises(ConfigError, match="stays private"):
        exports_dir("gs://lake/nba", {"NBA_LAKE_EXPORTS_DIR": "gs://lake/exports"})
