"""Every check rule: a passing case and at least one failing case on hand-made frames."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import polars as pl
import pytest

from checks.agreement import source_disagreements
from checks.anomaly import counts_by_game, row_count_anomaly, row_count_anomaly_by_day
from checks.availability import prop_availability, prop_availability_by_day
from checks.completeness import final_games_missing_a_source, final_games_without_boxscores, stale_games
from checks.duplicates import duplicate_keys, duplicate_keys_by_day
from checks.orphans import (
    boxscore_games_without_schedule,
    boxscore_games_without_schedule_by_day,
    features_without_slate_game,
    grades_without_prediction,
    orphans,
    predictions_without_features,
    prop_players_not_on_roster,
    prop_players_not_on_roster_by_day,
    summary_without_boxscore,
)
from checks.per_day import ByDay
from checks.quality import constant_feature_columns, contract_violations, low_quality_share
from checks.result import SAMPLE_ROWS, RuleResult, combine, markdown_table, to_check_result
from nba_assets import tables

D1, D2, D3 = dt.date(2026, 1, 8), dt.date(2026, 1, 9), dt.date(2026, 1, 10)
UTC = dt.UTC


# ------------------------------------------------------------------------------------------ result
def test_to_check_result_carries_counts_sample_and_dates():
    res = RuleResult(False, "2 bad", 2, pl.DataFrame({"game_date": [D1, D2], "k": ["a|b", None]}),
                     ["2026-01-08", "2026-01-09"], {"share": 0.5, "by": {"x": 1}})  # fmt: skip
    out = to_check_result(res, severity=dg.AssetCheckSeverity.WARN, check_name="c", dates=["2026-01-08", "2026-01-09"])
    assert out.passed is False and out.severity == dg.AssetCheckSeverity.WARN
    md = out.metadata["offending_sample"].value
    assert "| game_date | k |" in md and "a\\|b" in md
    assert out.metadata["failing_dates"].value == "2026-01-08, 2026-01-09"
    assert out.metadata["n_offending"].value == 2
    assert out.metadata["evaluated_dates"].value == "2026-01-08..2026-01-09 (2 days)"
    assert out.metadata["by"].value == {"x": 1}


def test_to_check_result_passing_has_no_sample():
    out = to_check_result(RuleResult(True, "fine"), severity=dg.AssetCheckSeverity.ERROR)
    assert out.passed and "offending_sample" not in out.metadata
    assert out.metadata["failing_dates"].value == "none"


def test_combine_fails_if_any_rule_fails():
    ok = RuleResult(True, "ok", extra={"a": 1})
    bad = RuleResult(False, "bad", 3, pl.DataFrame({"x": [1]}), ["2026-01-09"], {"b": 2})
    both = combine(ok, bad)
    assert not both.passed and both.n_offending == 3 and both.failing_dates == ["2026-01-09"]
    assert both.extra == {"a": 1, "b": 2} and both.summary == "bad"
    assert combine(ok, ok).passed


def test_markdown_table_truncates():
    md = markdown_table(pl.DataFrame({"a": list(range(30))}), max_rows=5)
    assert md.count("\n|") == 6 and "25 more row(s)" in md


# ------------------------------------------------------------------------------------- duplicates
def test_duplicate_keys_pass_on_unique_rows():
    df = pl.DataFrame({"game_date": [D1, D1, D2], "game_id": ["1", "2", "1"]})
    res = duplicate_keys(df, ["game_id"])
    assert res.passed and res.n_offending == 0  # the same id on two days is a reschedule, not a duplicate


def test_duplicate_keys_fail_lists_keys_and_dates():
    df = pl.DataFrame({"game_date": [D1, D1, D1, D2, D2], "game_id": ["1", "1", "1", "2", "3"]})
    res = duplicate_keys(df, ["game_id"])
    assert not res.passed and res.n_offending == 1 and res.failing_dates == ["2026-01-08"]
    assert res.extra["surplus_rows"] == 2
    assert res.offending.row(0, named=True) == {"game_date": D1, "game_id": "1", "n_rows": 3}


def test_duplicate_keys_null_key_counts_as_a_value():
    # the production MERGE on a NULL line key produced 6,473 duplicates: nulls must collide here
    df = pl.DataFrame({"game_date": [D1, D1], "game_id": ["1", "1"], "player_lookup": ["a", "a"],
                       "system_id": [None, None]})  # fmt: skip
    res = duplicate_keys(df, list(tables.PLAYER_PROP_PREDICTIONS.business_key))
    assert not res.passed and res.extra["rows_with_null_key"] == 2


def test_duplicate_keys_missing_column_raises():
    with pytest.raises(ValueError, match="player_id"):
        duplicate_keys(pl.DataFrame({"game_date": [D1], "source_game_id": ["9"]}), ["source_game_id", "player_id"])


def test_duplicate_keys_sample_is_capped():
    df = pl.DataFrame({"game_date": [D1] * 100, "k": [i // 2 for i in range(100)]})
    res = duplicate_keys(df, ["k"])
    assert res.n_offending == 50 and res.offending.height == SAMPLE_ROWS


def _same(a: RuleResult, b: RuleResult) -> bool:
    return (a.passed, a.summary, a.n_offending, a.failing_dates, a.extra) == (
        b.passed, b.summary, b.n_offending, b.failing_dates, b.extra) and a.offending.equals(b.offending)


@pytest.mark.parametrize("key", [["k"], ["k", "p"], ["game_date", "k"]])
def test_duplicate_keys_by_day_is_each_days_own_result(key):
    """A range's per-day records come from one pass; each equals the rule on that day's rows alone."""
    df = pl.DataFrame({
        "game_date": [D1, D1, D1, D2, D2, D2, None, D1] + [D3] * 60,
        "k": ["a", "a", "b", "a", None, None, "a", None] + [str(i // 2) for i in range(60)],
        "p": [1, 1, 1, 2, 2, 2, 1, None] + [0] * 60,
    })
    days = [str(D1), str(D2), str(D3), "2026-01-11"]  # the last: no rows that day
    got = duplicate_keys_by_day(df, key, days)
    assert list(got) == days
    split = ByDay(df)
    for d in days:
        want = duplicate_keys(split.day(d)[0], key)
        assert _same(got[d], want), (d, got[d], want)
    assert not got[str(D3)].passed and got[str(D3)].offending.height == SAMPLE_ROWS
    assert got["2026-01-11"].passed and got["2026-01-11"].extra["rows"] == 0


def test_duplicate_keys_by_day_without_rows_or_dates():
    empty = pl.DataFrame(schema={"game_date": pl.Date, "k": pl.Utf8})
    got = duplicate_keys_by_day(empty, ["k"], [str(D1)])
    assert _same(got[str(D1)], duplicate_keys(empty, ["k"]))
    undated = pl.DataFrame({"k": ["a", "a"]})  # no game_date: ByDay gives every day no rows
    got = duplicate_keys_by_day(undated, ["k"], [str(D1)])
    assert _same(got[str(D1)], duplicate_keys(undated.head(0), ["k"]))
    with pytest.raises(ValueError, match="business key"):
        duplicate_keys_by_day(pl.DataFrame({"game_date": [D1]}), ["k"], [str(D1)])


# ---------------------------------------------------------------------------------------- orphans
def _box(rows):
    return pl.DataFrame(rows, schema=["game_date", "home_team", "away_team", "source_game_id", "team", "player_lookup"],
                        orient="row")  # fmt: skip


BDL = _box([(D1, "BOS", "NYK", "111", "BOS", "jaysontatum"), (D1, "BOS", "NYK", "111", "NYK", "jalenbrunson")])
NBA = _box([(D1, "BOS", "NYK", "0022500001", "BOS", "jaysontatum")])


def test_orphans_generic_pass_and_fail():
    child = pl.DataFrame({"game_date": [D1, D2], "k": ["a", None]})
    parent = pl.DataFrame({"game_date": [D1, D2], "k": ["a", "b"]})
    assert orphans(child.head(1), parent, ["game_date", "k"], what="rows").passed
    res = orphans(child, parent, ["game_date", "k"], what="rows")
    assert not res.passed and res.failing_dates == ["2026-01-09"]  # a null key is an orphan


def test_summary_rows_need_a_raw_row_in_their_source():
    summary = pl.DataFrame({"game_date": [D1, D1], "game_id": ["0022500001"] * 2, "team": ["BOS", "NYK"],
                            "player_lookup": ["jaysontatum", "jalenbrunson"], "source_used": ["nbacom", "bdl"]})  # fmt: skip
    assert summary_without_boxscore(summary, BDL, NBA).passed
    # claims NBA.com for a player only BDL has: the row cannot be explained by its source
    wrong = summary.with_columns(pl.lit("nbacom").alias("source_used"))
    res = summary_without_boxscore(wrong, BDL, NBA)
    assert not res.passed and res.offending["player_lookup"].to_list() == ["jalenbrunson"]
    ghost = pl.concat([summary, pl.DataFrame({"game_date": [D1], "game_id": ["0022500001"], "team": ["BOS"],
                                              "player_lookup": ["ghost"], "source_used": ["bdl"]})])  # fmt: skip
    assert summary_without_boxscore(ghost, BDL, NBA).n_offending == 1


def test_boxscore_games_without_schedule():
    sched = pl.DataFrame({"game_date": [D1], "home_team": ["BOS"], "away_team": ["NYK"], "game_id": ["0022500001"]})
    assert boxscore_games_without_schedule(BDL, sched).passed
    res = boxscore_games_without_schedule(BDL, sched.with_columns(pl.lit(D2).alias("game_date")))
    assert not res.passed and res.offending["source_game_id"].to_list() == ["111"]


def test_features_predictions_grades_edges():
    games = pl.DataFrame({"game_date": [D1], "game_id": ["g1"]})
    feats = pl.DataFrame({"game_date": [D1, D1], "game_id": ["g1", "g1"], "player_lookup": ["a", "b"],
                          "team": ["BOS", "NYK"]})  # fmt: skip
    assert features_without_slate_game(feats, games).passed
    assert not features_without_slate_game(feats.with_columns(pl.lit("g2").alias("game_id")), games).passed
    preds = pl.DataFrame({"game_date": [D1, D1], "game_id": ["g1", "g1"], "player_lookup": ["a", "a"],
                          "system_id": ["lgbm_points_v1", "moving_avg_l10"]})  # fmt: skip
    assert predictions_without_features(preds, feats).passed
    res = predictions_without_features(preds.with_columns(pl.lit("zz").alias("player_lookup")), feats)
    assert not res.passed and res.n_offending == 2
    assert grades_without_prediction(preds, preds).passed
    res = grades_without_prediction(preds.with_columns(pl.lit("xgb").alias("system_id")), preds)
    assert not res.passed and res.n_offending == 1


def _props(rows):
    return pl.DataFrame(rows, schema=["game_date", "home_team", "away_team", "player_lookup", "player_name",
                                      "bookmaker", "minutes_before_tip"], orient="row")  # fmt: skip


def test_prop_players_not_on_roster():
    props = _props([(D1, "BOS", "NYK", "jaysontatum", "Jayson Tatum", "fd", 60.0),
                    (D2, "MIA", "ORL", "x", "X", "fd", 60.0)])  # fmt: skip
    res = prop_players_not_on_roster(props, BDL, NBA)
    assert res.passed and res.extra["games_without_roster"] == 1  # D2 not played yet: not judged
    bad = pl.concat([props, _props([(D1, "BOS", "NYK", "michaelporter", "Michael Porter", "dk", 30.0)])])
    res = prop_players_not_on_roster(bad, BDL, NBA)
    assert not res.passed and res.offending["player_lookup"].to_list() == ["michaelporter"]



def test_prop_names_of_a_game_without_a_boxscore_are_judged_against_the_known_players():
    props = _props([(D2, "MIA", "ORL", "bamadebayo", "Bam Adebayo", "fd", 60.0),
                    (D2, "MIA", "ORL", "nikolaurisic", "Nikola urisic", "fd", 60.0)])  # fmt: skip
    known = pl.DataFrame({"player_lookup": ["bamadebayo", "nikoladurisic"]})
    res = prop_players_not_on_roster(props, BDL, NBA, known)
    assert not res.passed and res.extra["games_without_roster"] == 1
    assert res.offending.select("player_lookup", "player_name").rows() == [("nikolaurisic", "Nikola urisic")]
    assert prop_players_not_on_roster(props, BDL, NBA, known.head(0)).passed  # nothing known: not judged


@pytest.mark.parametrize("known", [None, pl.DataFrame({"player_lookup": ["bamadebayo"]})])
def test_orphan_checks_by_day_are_each_days_own_result(known):
    """A range's per-day records come from one join; each equals the rule on that day's rows alone."""
    box = pl.concat([BDL, _box([(D2, "MIA", "ORL", "222", "MIA", "bamadebayo"), (D2, None, "ORL", "223", "ORL", "x"),
                                (None, "BOS", "NYK", "111", "BOS", "y")])])  # fmt: skip
    sched = pl.DataFrame({"game_date": [D1, D3], "home_team": ["BOS", "MIA"], "away_team": ["NYK", "ORL"]})
    props = _props([(D1, "BOS", "NYK", "jaysontatum", "Jayson Tatum", "fd", 60.0),
                    (D1, "BOS", "NYK", "michaelporter", "Michael Porter", "dk", 30.0),
                    (D2, "MIA", "ORL", "ghost", "Ghost", "fd", 60.0),
                    (D3, "MIA", "ORL", "bamadebayo", "Bam Adebayo", "fd", 60.0),
                    (D3, "MIA", "ORL", "nikolaurisic", "Nikola urisic", "fd", 60.0)])  # fmt: skip
    days = [str(D1), str(D2), str(D3), "2026-01-11"]  # the last: no rows that day
    by_day = boxscore_games_without_schedule_by_day(box, sched, days)
    split = ByDay(box, sched)
    assert [d for d in days if not by_day[d].passed] == [str(D2)]
    assert all(_same(by_day[d], boxscore_games_without_schedule(*split.day(d))) for d in days)
    by_day = prop_players_not_on_roster_by_day(props, box, NBA, days, known)
    split = ByDay(props, box, NBA)
    assert [d for d in days if not by_day[d].passed] == [str(D1), str(D2), *([str(D3)] if known is not None else [])]
    assert all(_same(by_day[d], prop_players_not_on_roster(*split.day(d), known)) for d in days)


# ----------------------------------------------------------------------------------- availability
SLATE = pl.DataFrame({"game_date": [D1, D1], "home_team": ["BOS", "MIA"], "away_team": ["NYK", "ORL"],
                      "game_id": ["g1", "g2"]})  # fmt: skip


def _full_market(home, away, players=6, books=("fd", "dk")):
    return _props([(D1, home, away, f"p{i}", f"P {i}", b, 90.0) for i in range(players) for b in books])


def test_prop_availability_pass():
    props = pl.concat([_full_market("BOS", "NYK"), _full_market("MIA", "ORL")])
    res = prop_availability(SLATE, props)
    assert res.passed and res.extra["slate_games"] == 2


def test_prop_availability_game_without_lines():
    res = prop_availability(SLATE, _full_market("BOS", "NYK"))
    assert not res.passed and res.offending["game_id"].to_list() == ["g2"]
    assert res.extra["games_without_lines"] == 1 and res.failing_dates == ["2026-01-08"]


def test_prop_availability_in_game_snapshots_do_not_count():
    live = _full_market("MIA", "ORL").with_columns(pl.lit(-20.0).alias("minutes_before_tip"))
    res = prop_availability(SLATE, pl.concat([_full_market("BOS", "NYK"), live]))
    assert not res.passed and res.extra["in_game_snapshots_ignored"] == live.height


def test_prop_availability_thin_market():
    props = pl.concat([_full_market("BOS", "NYK", players=3), _full_market("MIA", "ORL", books=("fd",))])
    res = prop_availability(SLATE, props)
    assert sorted(res.offending["problem"].to_list()) == ["only 1 book(s)", "only 3 player(s)"]
    assert prop_availability(SLATE, props, min_players=3, min_books=1).passed


def test_prop_availability_by_day_is_each_days_own_result():
    """A range's per-day records come from one pass; each equals the rule on that day's rows alone."""
    slate = pl.concat([SLATE, SLATE.with_columns(pl.lit(D2).alias("game_date"), pl.col("game_id") + "b")])
    live = _full_market("MIA", "ORL").with_columns(pl.lit(-20.0).alias("minutes_before_tip"))
    props = pl.concat([_full_market("BOS", "NYK"), _full_market("MIA", "ORL", players=3), live,
                       _full_market("BOS", "NYK", books=("fd",)).with_columns(pl.lit(D2).alias("game_date")),
                       _full_market("BOS", "NYK").with_columns(pl.lit(D3).alias("game_date"))])  # D3: no slate game
    days = [str(D1), str(D2), str(D3), "2026-01-11"]
    by_day = prop_availability_by_day(slate, props, days)
    assert list(by_day) == days and by_day[str(D1)].extra["in_game_snapshots_ignored"] == live.height
    assert [d for d in days if not by_day[d].passed] == [str(D1), str(D2)]
    split = ByDay(slate, props)
    assert all(_same(by_day[d], prop_availability(*split.day(d))) for d in days)


# ----------------------------------------------------------------------------------- completeness
def _sched(rows):
    return pl.DataFrame(rows, schema={"game_date": pl.Date, "game_id": pl.Utf8, "home_team": pl.Utf8,
                                      "away_team": pl.Utf8, "status": pl.Int64,
                                      "tipoff_utc": pl.Datetime("us", "UTC")}, orient="row")  # fmt: skip


TIP = dt.datetime(2026, 1, 9, 0, 30, tzinfo=UTC)
SCHED = _sched([(D1, "0022500001", "BOS", "NYK", 3, TIP), (D1, "0022500002", "MIA", "ORL", 3, TIP)])
BDL2 = pl.concat([BDL, _box([(D1, "MIA", "ORL", "112", "MIA", "bamadebayo")])])


def test_final_games_have_boxscores():
    assert final_games_without_boxscores(SCHED, BDL2, NBA).passed  # MIA-ORL only in BDL: still covered
    res = final_games_without_boxscores(SCHED, BDL, NBA)
    assert not res.passed and res.offending["game_id"].to_list() == ["0022500002"]
    assert res.extra["missing_every_source"] == 1


def test_final_games_missing_a_source_lists_which():
    both = pl.concat([NBA, _box([(D1, "MIA", "ORL", "0022500002", "MIA", "bamadebayo")])])
    assert final_games_missing_a_source(SCHED, BDL2, both).passed
    res = final_games_missing_a_source(SCHED, BDL2, NBA)
    assert not res.passed and res.offending["missing_from"].to_list() == ["nbacom"]
    assert res.extra["missing_nbacom"] == 1 and res.extra["missing_bdl"] == 0


def test_unfinished_games_are_not_judged_for_boxscores():
    sched = SCHED.with_columns(pl.lit(1).alias("status"))
    assert final_games_without_boxscores(sched, BDL.head(0), NBA.head(0)).passed


def test_stale_games():
    sched = _sched([(D1, "0022500001", "BOS", "NYK", 2, TIP), (D1, "0022500002", "MIA", "ORL", 1, None)])
    assert stale_games(sched, TIP + dt.timedelta(hours=3)).passed
    res = stale_games(sched, TIP + dt.timedelta(hours=5))
    assert not res.passed and res.offending["game_id"].to_list() == ["0022500001"]
    assert res.offending["hours_since_tipoff"].to_list() == [5.0]
    with pytest.raises(ValueError, match="timezone"):
        stale_games(sched, dt.datetime(2026, 1, 9))


# -------------------------------------------------------------------------------------- agreement
def _summary(rows):
    return pl.DataFrame(rows, schema={"game_date": pl.Date, "game_id": pl.Utf8, "team": pl.Utf8,
                                      "player_lookup": pl.Utf8, "source_used": pl.Utf8, "points": pl.Int64,
                                      "alt_points": pl.Int64, "minutes": pl.Float64, "alt_minutes": pl.Float64,
                                      "source_disagreement": pl.Boolean}, orient="row")  # fmt: skip


def test_sources_agree_with_fallback_counts():
    s = _summary([(D1, "g", "BOS", "a", "nbacom", 20, 20, 30.0, 30.5, False),
                  (D1, "g", "BOS", "b", "bdl", 0, None, 0.0, None, False)])  # fmt: skip
    res = source_disagreements(s)
    assert res.passed
    assert res.extra["fallback_rows"] == 1 and res.extra["rows_single_source"] == 1
    assert res.extra["rows_from_bdl"] == 1 and res.extra["rows_from_nbacom"] == 1


def test_sources_disagree_on_points_or_minutes():
    s = _summary([(D1, "g", "BOS", "a", "nbacom", 20, 18, 30.0, 30.0, True),
                  (D2, "g2", "BOS", "b", "nbacom", 10, 10, 30.0, 34.0, True),
                  (D2, "g2", "BOS", "c", "nbacom", 10, 10, 30.0, 30.0, False)])  # fmt: skip
    res = source_disagreements(s)
    assert not res.passed and res.n_offending == 2 and res.failing_dates == ["2026-01-08", "2026-01-09"]
    assert res.offending["points_diff"].to_list() == [2, 0]


def test_sources_stored_flag_must_match():
    s = _summary([(D1, "g", "BOS", "a", "nbacom", 20, 20, 30.0, 30.0, True)])
    res = source_disagreements(s)
    assert not res.passed and res.extra["stored_flag_mismatches"] == 1


# ---------------------------------------------------------------------------------------- anomaly
def _counts(per_day: dict[dt.date, list[int]]) -> pl.DataFrame:
    rows = [(d, f"{d}-{i}", n) for d, ns in per_day.items() for i, n in enumerate(ns)]
    return pl.DataFrame(rows, schema={"game_date": pl.Date, "game": pl.Utf8, "n_rows": pl.Int64}, orient="row")


HIST = {dt.date(2026, 1, 1) + dt.timedelta(days=i): [30, 28, 32] * (1 + i % 3) for i in range(14)}


def test_row_count_normal_day_passes_even_with_few_games():
    counts = _counts({**HIST, dt.date(2026, 1, 15): [29, 31, 30]})
    assert row_count_anomaly(counts, dt.date(2026, 1, 15)).passed


def test_row_count_truncated_game_fails():
    counts = _counts({**HIST, dt.date(2026, 1, 15): [29, 31, 4]})
    res = row_count_anomaly(counts, dt.date(2026, 1, 15))
    assert not res.passed and res.offending["n_rows"].to_list() == [4]
    assert res.failing_dates == ["2026-01-15"]


def test_row_count_day_total_outside_trailing_range():
    counts = _counts({**HIST, dt.date(2026, 1, 15): [30] * 40})  # 1,200 rows: 4x the busiest trailing day
    res = row_count_anomaly(counts, dt.date(2026, 1, 15))
    assert not res.passed and "day" in res.offending["level"].to_list()


def test_row_count_range_lists_only_failing_dates_and_skips_short_history():
    days = {**HIST, dt.date(2026, 1, 15): [30, 30], dt.date(2026, 1, 16): [90, 30]}
    res = row_count_anomaly(_counts(days), [dt.date(2026, 1, 3), dt.date(2026, 1, 15), dt.date(2026, 1, 16)])
    assert res.failing_dates == ["2026-01-16"]
    assert "2026-01-03" in res.extra["dates_without_history"]


def test_row_count_a_day_emptied_by_a_rewrite_is_not_a_day_off():
    day, early = dt.date(2026, 1, 15), dt.date(2025, 12, 20)  # early: before any history
    counts = _counts(HIST)  # neither day has rows now
    assert row_count_anomaly(counts, [day, early]).passed  # without `emptied`: days off
    res = row_count_anomaly(counts, [day, early], emptied={day: 157, early: 90})
    assert not res.passed and res.failing_dates == ["2025-12-20", "2026-01-15"]  # judged without history
    assert res.offending.select("level", "n_rows", "expected").rows() == [
        ("day emptied", 0, 90.0), ("day emptied", 0, 157.0)]
    assert row_count_anomaly(counts, day, emptied={day: 0}).passed  # it held nothing before either


def test_row_count_by_day_gives_each_days_own_result_in_one_pass():
    days = {**HIST, dt.date(2026, 1, 15): [30, 30], dt.date(2026, 1, 16): [90, 30], dt.date(2026, 1, 18): [30] * 40}
    counts, emptied = _counts(days), {dt.date(2026, 1, 17): 60}
    range_ = [str(dt.date(2026, 1, 2) + dt.timedelta(days=i)) for i in range(17)]  # short history, off-days too
    by_day = row_count_anomaly_by_day(counts, range_, emptied=emptied)
    assert list(by_day) == range_
    assert [d for d, r in by_day.items() if not r.passed] == ["2026-01-16", "2026-01-17", "2026-01-18"]
    for d in range_:
        one = row_count_anomaly(counts, dt.date.fromisoformat(d), emptied=emptied)
        got = by_day[d]
        assert (got.passed, got.summary, got.n_offending, got.failing_dates) == (
            one.passed, one.summary, one.n_offending, one.failing_dates)
        assert got.offending.equals(one.offending) and got.extra.keys() == one.extra.keys()
        assert all(v.equals(one.extra[k]) if isinstance(v, pl.DataFrame) else v == one.extra[k]
                   for k, v in got.extra.items())


def test_counts_by_game():
    df = pl.DataFrame({"game_date": [D1, D1, D1], "source_game_id": ["1", "1", "2"]})
    assert counts_by_game(df, "source_game_id")["n_rows"].to_list() == [2, 1]


# ---------------------------------------------------------------------------------------- quality
def _features(n=25, **cols):
    base = {"game_date": [D1] * n, "player_lookup": [f"p{i}" for i in range(n)],
            "feature_quality_score": [80.0] * n, "pts_l10": [float(i) for i in range(n)],
            "min_l10": [20.0 + i for i in range(n)]}  # fmt: skip
    base.update(cols)
    return pl.DataFrame(base)


def test_low_quality_share():
    assert low_quality_share(_features(), 50).passed
    res = low_quality_share(_features(feature_quality_score=[10.0] * 10 + [90.0] * 15), 50)
    assert not res.passed and res.offending["share"].to_list() == [0.4]
    assert res.extra["low_quality_rows"] == 10


def test_low_quality_share_counts_players_once_for_predictions():
    preds = pl.concat([_features(4, feature_quality_score=[10.0, 90.0, 90.0, 90.0])] * 2)
    res = low_quality_share(preds, 50, max_share=0.3)
    assert res.passed and res.extra["low_quality_rows"] == 1


def test_constant_feature_columns():
    assert constant_feature_columns(_features()).passed
    res = constant_feature_columns(_features(pts_l10=[12.5] * 25))
    assert not res.passed and res.offending["column"].to_list() == ["pts_l10"]
    assert res.offending["value"].to_list() == ["12.5"]
    # an all-null feature over a full slate is constant too
    nulls = _features(min_l10=[None] * 25).with_columns(pl.col("min_l10").cast(pl.Float64))
    assert constant_feature_columns(nulls).extra["constant_columns"] == ["min_l10"]


def test_constant_features_of_several_days_and_types_each_name_their_own_value():
    day2 = D1 + dt.timedelta(days=1)
    first = _features(pts_l10=[12.5] * 25, games=list(range(25)))
    second = _features(min_l10=[None] * 25, games=[3] * 25).with_columns(
        game_date=pl.lit(day2), min_l10=pl.col("min_l10").cast(pl.Float64))
    res = constant_feature_columns(pl.concat([first, second]))
    assert res.offending.select("game_date", "column", "n_distinct", "value").rows() == [
        (D1, "pts_l10", 1, "12.5"), (day2, "games", 1, "3"), (day2, "min_l10", 1, None),
    ]
    assert res.summary == "3 constant (day, column) pair(s) on 2 date(s)"
    assert res.extra == {"columns_checked": 3, "constant_columns": ["games", "min_l10", "pts_l10"]}


def test_constant_feature_small_day_not_judged():
    assert constant_feature_columns(_features(5, pts_l10=[1.0] * 5)).passed


def test_contract_violations():
    table = tables.TEAM_GAME_SUMMARY
    frame = table.empty()
    assert contract_violations(frame, table.contract).passed
    row = {c: None for c in frame.columns} | {
        "game_date": D1, "game_id": "g", "season_year": 2025, "team": "BOS", "opponent": "NYK", "home": True,
        "points_for": 300, "points_against": 100, "possessions": 99.0, "pace": 99.0, "off_rating": 110.0,
        "def_rating": 100.0, "win": True}  # fmt: skip
    res = contract_violations(pl.DataFrame([row], schema=frame.schema), table.contract)
    assert not res.passed and "points_for" in res.offending["column"].to_list()
    assert res.failing_dates == ["2026-01-08"]
