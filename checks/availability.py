"""Prop availability per game on the slate (lesson 11, docs/architecture.md: games with 0 lines went unnoticed;
the production system once missed three in one night).

WARN, never blocking: a thin market is a fact about the books, and predictions still run (as NO_LINE).
Only pre-tip snapshots count: an in-game snapshot is not a line anyone could have bet before tip-off
(and features must never see it).
"""

from __future__ import annotations

import polars as pl

from checks.result import RuleResult, from_offending

GAME_KEY = ["game_date", "home_team", "away_team"]
FEEDS = ("oddsapi", "sportsdataio")  # prop_lines.source names one feed or both ("oddsapi+sportsdataio")
MIN_PLAYERS = 5  # a normal game has 15-25 players with a points line
MIN_BOOKS = 2  # one book is not a market: the consensus line would be that book's line


def pre_tip(prop_lines: pl.DataFrame) -> pl.DataFrame:
    """Snapshots taken before tip-off."""
    return prop_lines.filter(pl.col("minutes_before_tip") > 0)


def lines_per_game(games: pl.DataFrame, prop_lines: pl.DataFrame) -> pl.DataFrame:
    """One row per slate game: pre-tip lines, distinct players and distinct books (0 when none), and the
    pre-tip lines each feed saw (`n_<feed>`; a line both feeds saw counts for both)."""
    lines = pre_tip(prop_lines)
    source = pl.col("source") if "source" in lines.columns else pl.lit("oddsapi")
    per_game = (
        lines.group_by(GAME_KEY)
        .agg(
            pl.len().alias("n_lines"),
            pl.col("player_lookup").n_unique().alias("n_players"),
            pl.col("bookmaker").n_unique().alias("n_books"),
            *(source.str.contains(f, literal=True).sum().cast(pl.Int64).alias(f"n_{f}") for f in FEEDS),
        )
    )
    slate_cols = [*GAME_KEY, *(["game_id"] if "game_id" in games.columns else [])]
    return (
        games.select(slate_cols)
        .unique()
        .join(per_game, on=GAME_KEY, how="left")
        .with_columns(pl.col("n_lines", "n_players", "n_books", *(f"n_{f}" for f in FEEDS)).fill_null(0).cast(pl.Int64))
    )


def prop_availability(
    games: pl.DataFrame,
    prop_lines: pl.DataFrame,
    *,
    min_players: int = MIN_PLAYERS,
    min_books: int = MIN_BOOKS,
) -> RuleResult:
    """Slate games (schedule or analytics/games rows) with no lines, < min_players or < min_books."""
    in_game = prop_lines.height - pre_tip(prop_lines).height
    return _availability(lines_per_game(games, prop_lines), in_game, min_players, min_books)


def prop_availability_by_day(
    games: pl.DataFrame,
    prop_lines: pl.DataFrame,
    days: list[str],
    *,
    min_players: int = MIN_PLAYERS,
    min_books: int = MIN_BOOKS,
) -> dict[str, RuleResult]:
    """`prop_availability` of each ISO day, in one pass (a game's figures come from its own day's rows)."""
    per_game = lines_per_game(games, prop_lines)
    by_day = {str(k[0]): v for k, v in per_game.partition_by("game_date", as_dict=True, maintain_order=True).items()}
    in_game = {str(d): n for d, n in prop_lines.group_by("game_date").agg(
        (pl.len() - (pl.col("minutes_before_tip") > 0).sum()).alias("n")).iter_rows()}
    return {d: _availability(by_day.get(d, per_game.head(0)), in_game.get(d, 0), min_players, min_books)
            for d in days}


def _availability(per_game: pl.DataFrame, in_game: int, min_players: int, min_books: int) -> RuleResult:
    problem = (
        pl.when(pl.col("n_lines") == 0)
        .then(pl.lit("no pre-tip lines"))
        .when(pl.col("n_players") < min_players)
        .then(pl.format("only {} player(s)", "n_players"))
        .when(pl.col("n_books") < min_books)
        .then(pl.format("only {} book(s)", "n_books"))
    )
    bad = per_game.with_columns(problem.alias("problem")).filter(pl.col("problem").is_not_null())
    no_lines = bad.filter(pl.col("n_lines") == 0).height
    return from_offending(
        bad,
        ok=f"{per_game.height} slate game(s), each with >= {min_players} players and >= {min_books} books",
        problem="{n} of "
        + f"{per_game.height} slate game(s) short of props ({no_lines} with no lines at all)",
        extra={
            "slate_games": per_game.height,
            "games_without_lines": no_lines,
            "in_game_snapshots_ignored": in_game,
            # Per feed: pre-tip lines it saw, and slate games it lined on its own (the other feed had none).
            **{f"lines_{f}": int(per_game[f"n_{f}"].sum()) for f in FEEDS},
            **{f"games_lined_only_by_{f}": per_game.filter((pl.col(f"n_{f}") > 0) & (pl.col(f"n_{o}") == 0)).height
               for f, o in (FEEDS, FEEDS[::-1])},
        },
        sort_by=GAME_KEY,
    )


def game_line_availability(games: pl.DataFrame, game_lines: pl.DataFrame, *, min_books: int = MIN_BOOKS) -> RuleResult:
    """Slate games without a pre-tip spread or total from >= min_books books (raw/game_lines)."""
    per_game = (
        pre_tip(game_lines).group_by(GAME_KEY).agg(pl.col("bookmaker").n_unique().alias("n_books"))
    )
    slate = games.select([*GAME_KEY, *(["game_id"] if "game_id" in games.columns else [])]).unique()
    per_game = slate.join(per_game, on=GAME_KEY, how="left").with_columns(pl.col("n_books").fill_null(0).cast(pl.Int64))
    bad = per_game.filter(pl.col("n_books") < min_books)
    return from_offending(
        bad,
        ok=f"{per_game.height} slate game(s), each with pre-tip game lines from >= {min_books} books",
        problem="{n} of " + f"{per_game.height} slate game(s) with game lines from fewer than {min_books} books",
        extra={"slate_games": per_game.height, "games_without_lines": bad.filter(pl.col("n_books") == 0).height},
        sort_by=GAME_KEY,
    )
