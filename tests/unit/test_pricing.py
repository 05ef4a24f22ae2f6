"""What a pick was made at: best offer per side (ties, missing prices, point in time), closing line,
CLV, profit at the price taken and ROI (logic/pricing.py, logic/grading.py)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from nba_assets import tables
from nba_assets.contracts import RecommendationHistoryContract
from nba_assets.contracts_grading import PredictionGradeContract
from nba_assets.logic import history, pricing
from nba_assets.logic.grading import daily_performance, grade_predictions
from tests.unit.test_grading import actuals, predictions
from tests.unit.test_history import TIP, D, build, day, lines, snapshot  # noqa: F401 (day: a fixture)

H = dt.timedelta(hours=1)
POINT = pl.DataFrame(
    [{"game_id": "g1", "game_date": D, "home_team": "BOS", "away_team": "NYK", "tipoff_utc": TIP,
      "created_at": TIP - 3 * H}],
    schema={"game_id": pl.Utf8, "game_date": pl.Date, "home_team": pl.Utf8, "away_team": pl.Utf8,
            "tipoff_utc": pl.Datetime("us", "UTC"), "created_at": pl.Datetime("us", "UTC")},
)  # fmt: skip


def offer(book: str, line: float, over: float | None, under: float | None, ts=TIP - 5 * H, player="p") -> dict:
    return {**snapshot(player, line, ts, book), "over_price": over, "under_price": under}


def best(rows: list[dict], point: pl.DataFrame = POINT) -> dict:
    out = pricing.lines_asof(lines(rows), point)
    assert out.height == 1
    return out.row(0, named=True)


def test_over_takes_the_lowest_line_under_the_highest_then_the_best_price_then_the_book_name():
    row = best([
        offer("b1", 20.5, -110, -110), offer("b2", 19.5, -120, +100), offer("b3", 19.5, -105, -115),
        offer("b4", 21.5, -110, -125), offer("b5", 21.5, -110, -105), offer("b0", 21.5, -110, -105),
    ])  # fmt: skip
    assert (row["over_book"], row["over_line"], row["over_price"]) == ("b3", 19.5, -105)  # line tie: better price
    # line and price tie (b0, b5 at 21.5 / -105): the bookmaker's name decides, whatever the row order
    assert (row["under_book"], row["under_line"], row["under_price"]) == ("b0", 21.5, -105)
    assert row["consensus_line"] == 21.0 and row["n_books"] == 6  # median of the six books
    # +100 pays more than -105: the price order is the payout's, not the number's
    row = best([offer("a", 19.5, -105, None), offer("b", 19.5, +100, None)])
    assert row["over_book"] == "b"


def test_a_book_without_a_price_for_the_side_is_taken_only_when_none_prices_it():
    row = best([offer("cheap", 18.5, None, -110), offer("priced", 19.5, -110, -110)])
    assert (row["over_book"], row["over_line"], row["over_price"]) == ("priced", 19.5, -110)
    row = best([offer("x", 18.5, None, None), offer("y", 19.5, None, None)])
    assert (row["over_book"], row["over_line"], row["over_price"]) == ("x", 18.5, None)
    assert (row["under_book"], row["under_line"], row["under_price"]) == ("y", 19.5, None)


def test_a_snapshot_after_created_at_is_never_used():
    early = offer("b1", 20.5, -110, -110, ts=TIP - 5 * H)
    later = offer("b1", 17.5, +150, +150, ts=TIP - 2 * H)  # after created_at (T-3h): better, and unusable
    other = offer("b2", 16.5, +200, +200, ts=TIP - 2 * H)  # a book that appears only after created_at
    row = best([early, later, other])
    assert (row["over_book"], row["over_line"], row["over_price"]) == ("b1", 20.5, -110)
    assert row["consensus_line"] == 20.5 and row["n_books"] == 1 and row["line_snapshot_ts"] == TIP - 5 * H
    # nothing before created_at: no row at all (the recommendation is NO_LINE, no pick)
    assert pricing.lines_asof(lines([later, other]), POINT).height == 0


def test_history_rows_carry_the_pick_of_their_side_and_none_without_a_line(day):  # noqa: F811
    # player0 priced by two books from the day before; player1's only snapshot is after the morning run
    props = [
        offer("dk", 20.5, -110, -110, ts=TIP - 36 * H, player="player0"),
        offer("fd", 19.5, -115, -105, ts=TIP - 36 * H, player="player0"),
        offer("dk", 15.5, -110, -110, ts=TIP - 2 * H, player="player1"),
    ]
    hist = build(day, props, [], TIP + H)
    RecommendationHistoryContract.validate(hist)
    bets = hist.filter(pl.col("recommendation").is_in(["OVER", "UNDER"]))
    assert bets.height > 0 and bets["pick_book"].null_count() == 0 and bets["pick_price"].null_count() == 0
    p0 = hist.filter(pl.col("player_lookup") == "player0")
    for rec, book, line, price in p0.select("recommendation", "pick_book", "pick_line", "pick_price").iter_rows():
        expected = {"OVER": ("fd", 19.5, -115), "UNDER": ("dk", 20.5, -110)}.get(rec, (None, None, None))
        assert (book, line, price) == expected, rec
    morning = hist.filter((pl.col("player_lookup") == "player1") & (pl.col("refresh") == "morning"))
    assert set(morning["recommendation"]) == {"NO_LINE"}
    assert morning.height and all(morning[c].null_count() == morning.height for c in pricing.PICK_SCHEMA)
    later = history.latest(hist).filter(pl.col("player_lookup") == "player1")
    assert later["line"].to_list() == [15.5] * later.height


@pytest.mark.parametrize(
    ("rec", "pick_line", "price", "points", "outcome", "profit"),
    [
        ("OVER", 19.5, +120, 20, "WIN", 1.2),  # at the consensus (20.5) it would have lost
        ("OVER", 19.5, -125, 20, "WIN", 0.8),
        ("UNDER", 21.5, -110, 21, "WIN", 0.9091),
        ("OVER", 19.5, -110, 12, "LOSS", -1.0),
        ("OVER", 20.0, -110, 20, "PUSH", 0.0),  # a push at the pick's line, whatever the consensus
        ("OVER", 19.5, None, 25, "WIN", None),  # no price: graded, no profit
    ],
)
def test_grades_are_at_the_line_and_price_taken(rec, pick_line, price, points, outcome, profit):
    preds = predictions([{"player_lookup": "p", "recommendation": rec, "line": 20.5, "pick_book": "b",
                          "pick_line": pick_line, "pick_price": price}])  # fmt: skip
    graded = grade_predictions(preds, actuals([{"player_lookup": "p", "points": points}]))
    PredictionGradeContract.validate(graded)
    assert graded["outcome"][0] == outcome
    assert graded["profit_units"][0] == profit


def test_closing_lines_of_a_range_priced_in_windows_are_each_games_consensus_at_tip_off(monkeypatch):
    """closing_lines prices CLOSING_WINDOW_DAYS game days at a time (memory): every game of a 9-day
    range gets the consensus at its own tip-off, as lines_asof computes it, and nothing of another day."""
    games, snaps = [], []
    for k in range(9):
        day_k, tip = D + dt.timedelta(days=k), TIP + dt.timedelta(days=k)
        games.append({"game_id": f"g{k}", "game_date": day_k, "home_team": "BOS", "away_team": "NYK", "tipoff_utc": tip})
        for player in ("p", "q"):
            for book, move in (("b1", 0.0), ("b2", 1.0), ("b3", 3.0)):
                for before, extra in ((5 * H, 0.0), (0.5 * H, 1.0), (-0.5 * H, 9.0)):  # the last: in-game
                    ts = tip - before
                    snaps.append(snapshot(player, 15.5 + k + move + extra, ts, book) | {
                        "game_date": day_k, "commence_time": tip, "minutes_before_tip": before / dt.timedelta(minutes=1)})
    games = pl.DataFrame(games, schema={c: POINT.schema[c] for c in ("game_id", *pricing.GAME, "tipoff_utc")})
    at_tip = pricing.lines_asof(lines(snaps), games.with_columns(created_at=pl.col("tipoff_utc"))).select(
        "game_id", "player_lookup", closing_line="consensus_line")
    assert at_tip.height == 18 and at_tip["closing_line"].n_unique() == 9  # each day its own close
    for size in (1, 4, 30):
        monkeypatch.setattr(pricing, "CLOSING_WINDOW_DAYS", size)
        got = pricing.closing_lines(lines(snaps), games)
        assert got.sort("game_id", "player_lookup").equals(at_tip.sort("game_id", "player_lookup"))
    assert pricing.closing_lines(lines([]), games).height == 0


def test_closing_line_is_the_last_pre_tip_consensus_and_clv_is_signed_for_the_side():
    snaps = [
        offer("b1", 19.5, -110, -110, ts=TIP - 5 * H), offer("b1", 21.5, -110, -110, ts=TIP - 0.5 * H),
        offer("b2", 20.5, -110, -110, ts=TIP - 5 * H), offer("b2", 22.5, -110, -110, ts=TIP - 0.2 * H),
        offer("b2", 30.5, -110, -110, ts=TIP + 0.5 * H),  # in-game: never the close
    ]  # fmt: skip
    closing = pricing.closing_lines(lines(snaps), POINT.drop("created_at"))
    assert closing.rows() == [("g1", "p", 22.0)]
    preds = predictions([
        {"game_id": "g1", "player_lookup": "p", "recommendation": "OVER", "pick_book": "b1", "pick_line": 19.5,
         "pick_price": -110},
    ])  # fmt: skip
    under = preds.with_columns(recommendation=pl.lit("UNDER"), system_id=pl.lit("other"))
    acts = actuals([{"game_id": "g1", "player_lookup": "p", "points": 25}])
    graded = grade_predictions(pl.concat([preds, under]), acts, closing).sort("system_id")
    # OVER at 19.5 closing 22.0: +2.5 (the market moved our way); UNDER at 19.5: -2.5
    assert graded.select("recommendation", "closing_line", "clv").rows() == [("OVER", 22.0, 2.5), ("UNDER", 22.0, -2.5)]
    at_close = grade_predictions(under.with_columns(pick_line=pl.lit(22.0)), acts, closing)
    assert str(at_close["clv"][0]) == "0.0"  # not -0.0


def test_daily_roi_is_at_the_price_taken_and_at_110_on_the_same_bets():
    rows = [
        ("w1", "OVER", 19.5, +150, 25), ("w2", "OVER", 19.5, -110, 25), ("l1", "UNDER", 21.5, -110, 30),
        ("push", "OVER", 20.0, -110, 20), ("nop", "OVER", 19.5, None, 25), ("pass", "PASS", None, None, 25),
    ]  # fmt: skip
    preds = predictions([{"player_lookup": p, "recommendation": r, "pick_book": "b" if pl_ else None,
                          "pick_line": pl_, "pick_price": pr} for p, r, pl_, pr, _ in rows])  # fmt: skip
    grades = grade_predictions(preds, actuals([{"player_lookup": p, "points": pts} for p, *_, pts in rows]))
    perf = daily_performance(grades).row(0, named=True)
    assert (perf["wins"], perf["losses"], perf["pushes"], perf["priced_bets"]) == (3, 1, 1, 3)
    assert perf["profit_units"] == pytest.approx(1.5 + 100 / 110 - 1, abs=1e-4)
    assert perf["roi"] == pytest.approx((1.5 + 100 / 110 - 1) / 3, abs=1e-4)
    assert perf["roi_at_110"] == pytest.approx((3 * 100 / 110 - 1) / 4)
    assert perf["clv_bets"] == 0 and perf["clv"] is None  # no closing line given
    tables.SYSTEM_DAILY_PERFORMANCE.contract.validate(daily_performance(grades))


def test_history_stored_before_the_pick_columns_keeps_its_rows_with_no_pick(day):  # noqa: F811
    props = [offer("dk", 20.5, -110, -110, ts=TIP - 36 * H, player="player0")]
    hist = build(day, props, [], TIP + H)
    old = hist.drop(*pricing.PICK_SCHEMA)  # a day written before the columns existed
    again = build(day, props, [], TIP + H, existing=history.conform(old))
    assert again.height == hist.height  # nothing re-made, nothing lost
    assert all(again[c].null_count() == again.height for c in pricing.PICK_SCHEMA)
    RecommendationHistoryContract.validate(again)
