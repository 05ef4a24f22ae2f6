"""Stale inputs: predictions whose history is missing upstream data are held back (PASS, STALE_INPUTS).

A feature row for day D is built from the player's team's games before D. When a final game of that
team in the last STALE_WINDOW_DAYS has no player_game_summary rows (its boxscore never arrived from
either source, or analytics did not run for that day), every row of the team on D is computed from
history with a hole in it: its form windows skip a game the player may have played, and its
`data_as_of` lags the team's last final game day. Such a prediction is still made (its error is
tracked) but recommended PASS with the reason `STALE_INPUTS: ...`, never published as a bet.

The window covers the L10 form window (ten team games span about 20 days); older holes matter less
than a whole missing day and are reported by the completeness checks of their own day.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

STALE_INPUTS = "STALE_INPUTS"
STALE_WINDOW_DAYS = 21
FINAL = 3
STALE_SCHEMA = {"game_date": pl.Date, "team": pl.Utf8, "stale_reason": pl.Utf8}


def missing_team_games(
    games: pl.DataFrame, summary_days: pl.DataFrame, targets: list[dt.date], window_days: int = STALE_WINDOW_DAYS
) -> pl.DataFrame:
    """One row per (target day D, team) whose final games in [D - window, D) lack summary rows.

    `games`: analytics/games rows (game_date, home_team, away_team, status) before the targets;
    `summary_days`: distinct (game_date, team) present in analytics/player_game_summary.
    """
    if not targets or games.height == 0:
        return pl.DataFrame(schema=STALE_SCHEMA)
    finals = games.filter(pl.col("status") == FINAL)
    sides = pl.concat(
        [
            finals.select("game_date", pl.col("home_team").alias("team")),
            finals.select("game_date", pl.col("away_team").alias("team")),
        ]
    ).unique()
    have = summary_days.select(pl.col("game_date").cast(pl.Date), pl.col("team").cast(pl.Utf8)).unique()
    holes = sides.join(have, on=["game_date", "team"], how="anti").rename({"game_date": "missing_date"})
    if holes.height == 0:
        return pl.DataFrame(schema=STALE_SCHEMA)
    days = pl.DataFrame({"game_date": sorted(set(targets))}, schema={"game_date": pl.Date})
    window = pl.duration(days=window_days)
    return (
        days.join(holes, how="cross")
        .filter((pl.col("missing_date") < pl.col("game_date")) & (pl.col("missing_date") >= pl.col("game_date") - window))
        .sort("missing_date")
        .group_by("game_date", "team", maintain_order=True)
        .agg(pl.col("missing_date").cast(pl.Utf8).str.join(", ").alias("dates"))
        .select(
            "game_date",
            "team",
            pl.format(f"{STALE_INPUTS}: no boxscore for {{}} game(s) of {{}}", "team", "dates").alias("stale_reason"),
        )
        .sort("game_date", "team")
    )


def stale_reasons(features: pl.DataFrame, missing: pl.DataFrame) -> pl.Series:
    """Per feature row (same order): its STALE_INPUTS reason, or null."""
    if features.height == 0:
        return pl.Series("stale_reason", [], dtype=pl.Utf8)
    keyed = features.select("game_date", "team").with_row_index("_i")
    out = keyed.join(missing, on=["game_date", "team"], how="left").sort("_i")
    return out["stale_reason"]
