"""Analytics layer: reconcile the sources into games, player-game and team-game summaries.

Every function is pure (polars in, polars out) and range-safe: a single-run backfill hands it a whole
season, so nothing here assumes one date. Outputs have exactly the columns and dtypes of their
contracts (nba_assets/contracts.py) and a deterministic row order, so re-running gives identical frames.

Cross-source identity (lesson 9, docs/architecture.md): a game is (game_date, home_team, away_team), never a
source's id; a player within a game is `player_lookup`.
"""

from __future__ import annotations

import polars as pl

from nba_assets import tables
from nba_assets.contracts import MINUTES_TOLERANCE, SOURCES
from resources.teams import UnknownTeamError, canonical_tricode

GAME_KEY = ["game_date", "home_team", "away_team"]
PLAYER_KEY = ["game_id", "player_lookup"]
# A possession estimate is undefined without minutes; every NBA game lasts at least 48 minutes.
REGULATION_MINUTES = 48.0

_GAMES = tables.GAMES
_PLAYER_GAMES = tables.PLAYER_GAME_SUMMARY
_TEAM_GAMES = tables.TEAM_GAME_SUMMARY


def _schema(table: tables.Table) -> pl.Schema:
    return table.empty().schema


def _conform(df: pl.DataFrame, table: tables.Table, sort_by: list[str]) -> pl.DataFrame:
    """Contract column order and dtypes, deterministic row order."""
    schema = _schema(table)
    return df.select([pl.col(name).cast(dtype) for name, dtype in schema.items()]).sort(sort_by)


# ------------------------------------------------------------------------------------ team codes
def canonicalize_teams(
    df: pl.DataFrame, columns: list[str], *, source: str, game_id_col: str = "source_game_id"
) -> pl.DataFrame:
    """Map team codes in `columns` to NBA.com tricodes (PHO -> PHX, ...).

    Raw parsers already do this; doing it again here keeps a stale or hand-loaded raw file from
    splitting one game in two. An unmappable code raises UnknownTeamError naming the source and game.
    """
    codes = pl.concat([df.get_column(c) for c in columns]).unique().drop_nulls().to_list()
    mapping: dict[str, str] = {}
    for code in codes:
        try:
            mapping[code] = canonical_tricode(code)
        except UnknownTeamError:
            hit = df.filter(pl.any_horizontal([pl.col(c) == code for c in columns])).row(0, named=True)
            raise UnknownTeamError(
                f"{source}: game {hit[game_id_col]} on {hit['game_date']} has unknown team code {code!r}"
            ) from None
    for c in columns:
        if df.get_column(c).null_count():
            hit = df.filter(pl.col(c).is_null()).row(0, named=True)
            raise UnknownTeamError(f"{source}: game {hit[game_id_col]} on {hit['game_date']} has a null {c}")
    return df.with_columns([pl.col(c).replace_strict(mapping, return_dtype=pl.Utf8) for c in columns])


def _prepare_box(box: pl.DataFrame, source: str) -> pl.DataFrame:
    """Canonical tricodes, and a team that is neither home nor away is an error naming the game."""
    box = canonicalize_teams(box, ["home_team", "away_team", "team"], source=source)
    stray = box.filter((pl.col("team") != pl.col("home_team")) & (pl.col("team") != pl.col("away_team")))
    if stray.height:
        r = stray.row(0, named=True)
        raise ValueError(
            f"{source}: game {r['source_game_id']} on {r['game_date']} ({r['away_team']} @ {r['home_team']}) "
            f"lists player {r['player_lookup']!r} on team {r['team']}"
        )
    return box


# ------------------------------------------------------------------------------------------ games
def _box_games(box: pl.DataFrame, source: str) -> pl.DataFrame:
    """One row per game key of one boxscore source: its id, season and each side's points."""
    games = box.group_by(GAME_KEY).agg(
        pl.col("source_game_id").unique().sort().alias("ids"),
        pl.col("season_year").min().alias(f"{source}_season_year"),
        pl.col("points").filter(pl.col("team") == pl.col("home_team")).sum().alias(f"{source}_home_pts"),
        pl.col("points").filter(pl.col("team") == pl.col("away_team")).sum().alias(f"{source}_away_pts"),
    )
    ambiguous = games.filter(pl.col("ids").list.len() > 1)
    if ambiguous.height:
        # Two ids for one (date, home, away) would merge two boxscores into one game: refuse loudly.
        r = ambiguous.sort(GAME_KEY).row(0, named=True)
        raise ValueError(
            f"{source}: {r['away_team']} @ {r['home_team']} on {r['game_date']} "
            f"has several game ids {r['ids']}"
        )
    return games.with_columns(pl.col("ids").list.first().alias(f"{source}_game_id")).drop("ids")


def _dedupe_schedule(schedule: pl.DataFrame) -> pl.DataFrame:
    """One schedule row per (game_id, game_date): the most advanced status wins (re-fetches append)."""
    sched = canonicalize_teams(schedule, ["home_team", "away_team"], source="schedule", game_id_col="game_id")
    return (
        sched.sort(
            ["game_id", "game_date", "status", "landing_file", "home_score", "away_score", "tipoff_utc"],
            descending=[False, False, True, True, True, True, True],
            nulls_last=True,
            maintain_order=True,
        )
        .unique(subset=["game_id", "game_date"], keep="first", maintain_order=True)
        .select(
            *GAME_KEY,
            pl.col("game_id").alias("sched_game_id"),
            pl.col("season_year").alias("sched_season_year"),
            "tipoff_utc",
            "status",
            pl.col("home_score").alias("sched_home_score"),
            pl.col("away_score").alias("sched_away_score"),
        )
    )


def _check_unique_keys(sched: pl.DataFrame) -> None:
    dup = sched.filter(pl.len().over(GAME_KEY) > 1)
    if dup.height:
        r = dup.sort(GAME_KEY + ["sched_game_id"]).row(0, named=True)
        ids = dup.filter(
            (pl.col("game_date") == r["game_date"]) & (pl.col("home_team") == r["home_team"])
        ).get_column("sched_game_id").to_list()
        raise ValueError(
            f"schedule: {r['away_team']} @ {r['home_team']} on {r['game_date']} "
            f"has several game ids {sorted(ids)}"
        )


def _resolve_id_collisions(games: pl.DataFrame) -> pl.DataFrame:
    """Make game_id unique when NBA.com reused an id (rescheduled game).

    Per id the row with boxscores, then in the schedule, then the most advanced status, then the
    latest date keeps the id. A losing row without boxscores is a stale schedule entry (the game moved)
    and is dropped; a losing row WITH boxscores is kept under its game_code, never dropped.
    """
    has_box = pl.col("has_bdl_boxscore") | pl.col("has_nbacom_boxscore")
    ranked = games.sort(
        ["game_id", has_box, "in_schedule", "status", "game_date", "home_team", "away_team"],
        descending=[False, True, True, True, True, False, False],
        nulls_last=True,
    ).with_columns(pl.int_range(pl.len()).over("game_id").alias("_rank"))
    return ranked.filter((pl.col("_rank") == 0) | has_box).with_columns(
        pl.when(pl.col("_rank") == 0).then(pl.col("game_id")).otherwise(pl.col("game_code")).alias("game_id")
    )


def _dedupe_bdl_schedule(bdl_games: pl.DataFrame) -> pl.DataFrame:
    """Ball Don't Lie's schedule, one row per game key: the most advanced status, then the newest file."""
    sched = canonicalize_teams(bdl_games, ["home_team", "away_team"], source="bdl_games")
    return (
        sched.sort([*GAME_KEY, "status", "landing_file"], descending=[False, False, False, True, True],
                   maintain_order=True)
        .unique(subset=GAME_KEY, keep="first", maintain_order=True)
        .select(
            *GAME_KEY,
            pl.col("source_game_id").alias("bdl_sched_id"),
            pl.col("season_year").alias("bdl_sched_season_year"),
            pl.col("tipoff_utc").alias("bdl_tipoff_utc"),
            pl.col("status").alias("bdl_status"),
            pl.col("home_score").alias("bdl_sched_home_score"),
            pl.col("away_score").alias("bdl_sched_away_score"),
        )
    )  # fmt: skip


def _final(status: str, score: str) -> pl.Expr:
    return pl.when(pl.col(status) == 3).then(pl.col(score))


def reconcile_games(
    schedule: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame, *, primary: str = "nbacom",
    bdl_games: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """analytics/games: one row per game, matched across sources on (game_date, home_team, away_team).

    Two schedules: NBA.com's (`schedule`) and Ball Don't Lie's /v1/games (`bdl_games`); a game either
    lists is scheduled (`schedule_sources` names which). game_id is the NBA.com id (schedule, else the
    NBA.com boxscore's id, else the game_code). Tip-off comes from NBA.com, else BDL; status is the more
    advanced of the two (a schedule carried forward through an NBA.com outage still says "scheduled");
    the final score from NBA.com, else BDL, else summed from the boxscore source used for the game
    (`primary` when it has the game). Boxscore games neither schedule lists are kept and flagged
    `missing_from_schedule`.
    """
    _check_source(primary)
    other = _other(primary)
    sched = _dedupe_schedule(schedule)
    _check_unique_keys(sched)
    bdl_sched = _dedupe_bdl_schedule(tables.BDL_GAMES.empty() if bdl_games is None else bdl_games)
    box = {
        "bdl": _box_games(_prepare_box(bdl, "bdl"), "bdl"),
        "nbacom": _box_games(_prepare_box(nbacom, "nbacom"), "nbacom"),
    }
    games = (
        sched.with_columns(pl.lit(True).alias("in_nbacom_schedule"))
        .join(bdl_sched.with_columns(pl.lit(True).alias("in_bdl_schedule")), on=GAME_KEY, how="full",
              coalesce=True)
        .join(box["bdl"].with_columns(pl.lit(True).alias("has_bdl_boxscore")), on=GAME_KEY, how="full",
              coalesce=True)
        .join(box["nbacom"].with_columns(pl.lit(True).alias("has_nbacom_boxscore")), on=GAME_KEY, how="full",
              coalesce=True)
        .with_columns(pl.col("in_nbacom_schedule", "in_bdl_schedule", "has_bdl_boxscore",
                             "has_nbacom_boxscore").fill_null(False))
    )  # fmt: skip
    games = games.with_columns(
        (pl.col("in_nbacom_schedule") | pl.col("in_bdl_schedule")).alias("in_schedule"),
        pl.concat_str([pl.when(pl.col("in_nbacom_schedule")).then(pl.lit("nbacom")),
                       pl.when(pl.col("in_bdl_schedule")).then(pl.lit("bdl"))], separator="+",
                      ignore_nulls=True).fill_null("").alias("schedule_sources"),
        pl.coalesce("tipoff_utc", "bdl_tipoff_utc").alias("tipoff_utc"),
        pl.max_horizontal("status", "bdl_status").alias("status"),
        pl.coalesce(_final("status", "sched_home_score"), _final("bdl_status", "bdl_sched_home_score"))
        .alias("sched_home_score"),
        pl.coalesce(_final("status", "sched_away_score"), _final("bdl_status", "bdl_sched_away_score"))
        .alias("sched_away_score"),
    )  # fmt: skip
    primary_has = pl.col(f"has_{primary}_boxscore")
    box_home = pl.when(primary_has).then(pl.col(f"{primary}_home_pts")).otherwise(pl.col(f"{other}_home_pts"))
    box_away = pl.when(primary_has).then(pl.col(f"{primary}_away_pts")).otherwise(pl.col(f"{other}_away_pts"))
    final_score = (
        (pl.col("status") == 3)
        & pl.col("sched_home_score").is_not_null()
        & pl.col("sched_away_score").is_not_null()
    )
    has_box = pl.col("has_bdl_boxscore") | pl.col("has_nbacom_boxscore")
    game_code = pl.concat_str(
        [pl.col("game_date").dt.strftime("%Y%m%d"), pl.col("away_team"), pl.col("home_team")], separator="_"
    )
    games = games.with_columns(
        game_code.alias("game_code"),
        pl.coalesce("sched_game_id", "nbacom_game_id", game_code).alias("game_id"),
        pl.coalesce(pl.col("bdl_game_id").cast(pl.Utf8), "bdl_sched_id").alias("bdl_game_id"),
        pl.coalesce("sched_season_year", "nbacom_season_year", "bdl_season_year", "bdl_sched_season_year")
        .alias("season_year"),
        pl.when(final_score).then(pl.col("sched_home_score")).otherwise(box_home).alias("home_score"),
        pl.when(final_score).then(pl.col("sched_away_score")).otherwise(box_away).alias("away_score"),
        pl.when(~pl.col("in_schedule"))
        .then(pl.lit("missing_from_schedule"))
        .when((pl.col("status") == 3) & ~has_box)
        .then(pl.lit("missing_boxscore"))
        .when(
            final_score
            & ((pl.col("sched_home_score") != box_home) | (pl.col("sched_away_score") != box_away))
        )
        .then(pl.lit("score_mismatch"))
        .otherwise(pl.lit("ok"))
        .alias("reconciliation_flag"),
    )
    return _conform(_resolve_id_collisions(games), _GAMES, ["game_date", "game_id"])


def box_ids_replaced_by_schedule(schedule: pl.DataFrame, nbacom: pl.DataFrame) -> pl.DataFrame:
    """NBA.com box score games whose id is not the schedule's id for the same (date, home, away): the
    games table keeps the schedule's id (canonical), so each such swap is listed (box id, schedule id)."""
    sched = schedule.select(*GAME_KEY, pl.col("game_id").alias("sched_game_id")).unique()
    box = nbacom.select(*GAME_KEY, pl.col("source_game_id").alias("box_game_id")).unique()
    return (
        box.join(sched, on=GAME_KEY, how="inner")
        .filter(pl.col("box_game_id") != pl.col("sched_game_id"))
        .sort(GAME_KEY)
    )


# ----------------------------------------------------------------------------- player summaries
def _check_source(primary: str) -> None:
    if primary not in SOURCES:
        raise ValueError(f"primary source must be one of {SOURCES}, got {primary!r}")


def _other(primary: str) -> str:
    return next(s for s in SOURCES if s != primary)


def _box_rows(box: pl.DataFrame, games: pl.DataFrame, source: str, rank: int) -> pl.DataFrame:
    """One source's player rows under the canonical game_id, one row per (game_id, player_lookup)."""
    rows = _prepare_box(box, source).join(
        games.select(*GAME_KEY, "game_id", pl.col("season_year").alias("game_season_year")),
        on=GAME_KEY,
        how="inner",
    )
    # A duplicated raw row, or two ids normalizing to one name, must not double a player: keep the
    # row with the most minutes (the one that describes his game), lowest id on ties.
    rows = rows.sort(
        [*PLAYER_KEY, "minutes", "player_id", "points", "landing_file"],
        descending=[False, False, True, False, True, True],
        maintain_order=True,
    ).unique(subset=PLAYER_KEY, keep="first", maintain_order=True)
    return rows.with_columns(pl.lit(source).alias("source_used"), pl.lit(rank).alias("_rank"))


def build_player_game_summary(
    games: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame, primary: str = "nbacom"
) -> pl.DataFrame:
    """analytics/player_game_summary: one row per (game_id, player_lookup) either source lists.

    The primary source's row is used when it has the player, else the other source's (so BDL's DNP
    rows join an NBA.com game, and a game only one source has still gets rows). The other source's
    points/minutes ride along as alt_*; source_disagreement flags points that differ or minutes more
    than 1 apart. Rows exist only for games in `games` (joined through it).
    """
    _check_source(primary)
    frames = {"bdl": bdl, "nbacom": nbacom}
    other = _other(primary)
    long = pl.concat(
        [_box_rows(frames[primary], games, primary, 0), _box_rows(frames[other], games, other, 1)],
        how="vertical_relaxed",
    )
    is_used = pl.col("_rank") == pl.col("_rank").min().over(PLAYER_KEY)
    used = long.filter(is_used)
    alt = long.filter(~is_used).select(
        *PLAYER_KEY, pl.col("points").alias("alt_points"), pl.col("minutes").alias("alt_minutes")
    )
    ids = {
        s: long.filter(pl.col("source_used") == s).select(
            *PLAYER_KEY, pl.col("player_id").alias(f"{s}_player_id")
        )
        for s in SOURCES
    }
    out = (
        used.join(alt, on=PLAYER_KEY, how="left")
        .join(ids["bdl"], on=PLAYER_KEY, how="left")
        .join(ids["nbacom"], on=PLAYER_KEY, how="left")
        .with_columns(
            pl.col("game_season_year").alias("season_year"),
            pl.when(pl.col("team") == pl.col("home_team"))
            .then(pl.col("away_team"))
            .otherwise(pl.col("home_team"))
            .alias("opponent"),
            (pl.col("team") == pl.col("home_team")).alias("home"),
            (
                (pl.col("alt_points") != pl.col("points"))
                | ((pl.col("alt_minutes") - pl.col("minutes")).abs() > MINUTES_TOLERANCE)
            )
            .fill_null(False)
            .alias("source_disagreement"),
        )
    )
    return _conform(out, _PLAYER_GAMES, ["game_date", "game_id", "team", "player_lookup"])


# ------------------------------------------------------------------------------- team summaries
def build_team_game_summary(player_games: pl.DataFrame) -> pl.DataFrame:
    """One row per (game_id, team) from the player-game summary: points for and against, possessions,
    pace, offensive and defensive rating, home and win flags.

    possessions = FGA - OREB + TOV + 0.44*FTA per team, averaged over both teams of the game (the two
    estimates describe the same possessions); pace = possessions per 48 minutes of team time;
    ratings are points per 100 possessions. A team without its opponent's box is an error.
    """
    teams = player_games.group_by(["game_id", "team"]).agg(
        pl.col("game_date").first(),
        pl.col("season_year").first(),
        pl.col("opponent").first(),
        pl.col("home").first(),
        pl.col("points").sum().alias("points_for"),
        pl.col("minutes").sum().alias("team_minutes"),
        (pl.col("fga").sum() - pl.col("oreb").sum() + pl.col("tov").sum() + 0.44 * pl.col("fta").sum()).alias(
            "poss_est"
        ),
    )
    opp = teams.select(
        "game_id",
        pl.col("team").alias("opponent"),
        pl.col("points_for").alias("points_against"),
        pl.col("poss_est").alias("opp_poss_est"),
    )
    out = teams.join(opp, on=["game_id", "opponent"], how="left")
    lonely = out.filter(pl.col("points_against").is_null())
    if lonely.height:
        r = lonely.sort("game_date", "game_id", "team").row(0, named=True)
        raise ValueError(
            f"game {r['game_id']} on {r['game_date']}: {r['team']} has player rows but opponent "
            f"{r['opponent']} has none ({lonely.height} team-games affected)"
        )
    possessions = (pl.col("poss_est") + pl.col("opp_poss_est")) / 2
    out = out.with_columns(possessions.alias("possessions")).with_columns(
        pl.when(pl.col("team_minutes") > 0)
        .then(pl.col("possessions") * 48 / (pl.col("team_minutes") / 5))
        .otherwise(pl.col("possessions") * 48 / REGULATION_MINUTES)
        .alias("pace"),
        # 0 possessions only happens at tip-off of a live game: no rate yet, reported as 0.
        _per_100("points_for").alias("off_rating"),
        _per_100("points_against").alias("def_rating"),
        (pl.col("points_for") > pl.col("points_against")).alias("win"),
    )
    return _conform(out, _TEAM_GAMES, ["game_date", "game_id", "team"])


def _per_100(points: str) -> pl.Expr:
    per_100 = 100 * pl.col(points) / pl.col("possessions")
    return pl.when(pl.col("possessions") > 0).then(per_100).otherwise(0.0)


__all__ = [
    "canonicalize_teams",
    "reconcile_games",
    "build_player_game_summary",
    "build_team_game_summary",
]
