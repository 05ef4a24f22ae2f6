"""Point-in-time player features: one row per (game_date, player_lookup) on D's slate.

Every value for day D comes from games strictly before D and from line snapshots / injury reports
taken strictly before D's tip-off (lessons 13 and 14, docs/architecture.md). The builder is range-aware: it takes
many target dates at once. Per-player and per-team states are computed once per game over the whole
history ("the player's form after game g", logic/feature_states.py), then each (D, player) picks the
latest state with a game date < D through `join_asof(..., allow_exact_matches=False)`. That strict
as-of join is the leakage guard: a row on D or later can never be the state a D row sees, whatever the
caller passes. A row needs only those states and its own date's slate, lines and reports, so the
target dates are built WINDOW_DAYS at a time and concatenated: the same rows as one pass over every
date, with the joins of a month instead of a season in memory.

Definitions (the contract's column comments are the short form):
- Season scope: windows and season-to-date use only games of the slate game's `season_year`; at the
  start of a season they are null (or short) and `feature_quality_score` says so. Season-to-date is
  additionally bounded to the last HISTORY_DAYS days, the window the asset loads, so a range backfill
  computes exactly what daily runs compute.
- Game types (the NBA.com id's season-type digit, SEASON_TYPES in nba_assets/contracts.py): recent
  form (the l3/l5/l10 windows, minutes, usage, rest and the 7-day load) uses every competitive game
  the player played, playoffs, play-in and the NBA Cup final included, because form and fatigue do
  not care what a game counts for; season-to-date (`pts_season`, `games_played_season`, hence the
  quality score's windows) counts only what the league's season statistics count: regular-season
  games. Exhibitions (preseason, All-Star) are never on a slate (nba_assets/features.py).
- Played game: a row with dnp = false and minutes > 0. Player averages use played games only;
  `dnp_rate_l10` is the DNP share of the player's last 10 listed rows (DNPs included) this season.
- Roster as known before D: a player is on team X's slate for D when his most recent listed row
  before D (any season, DNPs included) was for X, and that row is at most ROSTER_DAYS old. A trade
  therefore moves a player with his first appearance for the new team; a long-injured player drops off
  until he is listed again (his absence still counts through `teammates_out` while reported Out).
  Two fallbacks fill the holes that rule leaves (a team's first game of a season: no one was listed in
  the last 30 days; a player back after 30+ days out), each for a player not already on D's slate:
  `injury_report` - the player is on D's injury report for a team playing on D (published before its
  tip-off); `prop_lines` - books price him for a game on D before tip-off and his last known team (any
  age, from the whole summary history before D) is one of its two teams. Such rows say so in
  `roster_source`, and their feature_quality_score is capped at FALLBACK_MAX_QUALITY, below the
  prediction layer's low-quality mark: they are predicted (and graded), never bet.
- Injuries: per player the latest report with report_ts < tip-off (noon ET when tip-off is unknown).
  A player reported Out still gets his row (the prediction layer decides); his Out teammates, by the
  report's team, count into `teammates_out` and their season pts_l10 into `teammates_out_pts_l10`.
- Consensus line: per (player, book) the latest snapshot with minutes_before_tip > 0 and snapshot_ts
  before both the event's commence_time and the slate tip-off; median across books. `line_movement` is
  that minus the median of each book's earliest pre-tip line. In-game snapshots never get in.
- feature_quality_score = 100 * (0.70 * player + 0.15 * opponent + 0.15 * line) where player is the
  mean over N in (3, 5, 10) of min(games_played_season, N) / N, opponent is min(opp games, 10) / 10
  and line is 1 when a consensus line exists. 100 = every window full, opponent history and a line.
- data_as_of: the date of the player's latest listed row before D (the newest data his row used).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from nba_assets import tables
from nba_assets.history import TIMEZONE
from nba_assets.logic.feature_states import TEAM_WINDOW, WINDOWS, listed_state, played_state, team_state
from nba_assets.logic.game_lines import add_game_lines

FEATURE_VERSION = "pf_v3"  # v3: game-line features (logic/game_lines.py); v2: roster fallbacks
# The asset reads summaries of the previous 190 days: covers a whole regular season (~175 days).
HISTORY_DAYS = 190
# A player unseen for a month is not on a rotation anyone prices; it also bounds a trade's ambiguity.
ROSTER_DAYS = 30
RECENT_DAYS = 7
# Target dates built per pass (build_player_features): a month's slate, lines and reports at a time.
WINDOW_DAYS = 30
ROSTER_RECENT, ROSTER_INJURY, ROSTER_PROPS = "recent_games", "injury_report", "prop_lines"
FALLBACK_MAX_QUALITY = 49.0  # below the prediction layer's MIN_QUALITY (50): predicted, never bet
# Weights of feature_quality_score: the player's own windows dominate; context and market complete it.
QUALITY_WEIGHTS = {"player": 0.70, "opponent": 0.15, "line": 0.15}
# Injury reports of a game whose tip-off is unknown count only if filed before noon ET (no NBA game
# tips earlier), so an unknown tip-off can never let an in-game report through.
DEFAULT_CUTOFF_HOUR_ET = 12

TABLE = tables.PLAYER_FEATURES
_PLAYER = "player_lookup"


# ----------------------------------------------------------------------------------------- helpers
def _asof_before(
    left: pl.DataFrame, right: pl.DataFrame, *, key: pl.Expr, by_left: list[str], by_right: list[str]
) -> pl.DataFrame:
    """Each left row with the latest right row (same by-keys) whose `h_date` is strictly before `key`."""
    left = left.with_columns(key.alias("_key")).sort("_key")
    out = left.join_asof(
        right.sort("h_date"),
        left_on="_key",
        right_on="h_date",
        by_left=by_left,
        by_right=by_right,
        strategy="backward",
        allow_exact_matches=False,  # the point-in-time guarantee: a game on D never feeds D
        check_sortedness=False,  # sorted just above; polars cannot verify it with by-groups
    )
    return out.drop("_key", "h_date")


def _same_season(state_season: str) -> pl.Expr:
    return pl.col(state_season) == pl.col("season_year")


def _in_season(expr: pl.Expr, state_season: str) -> pl.Expr:
    """`expr` when the joined state belongs to the slate game's season, else null."""
    return pl.when(_same_season(state_season)).then(expr).otherwise(None)


def _targets(target_dates: list[dt.date]) -> pl.DataFrame:
    return pl.DataFrame({"game_date": sorted(set(target_dates))}, schema={"game_date": pl.Date})


# ------------------------------------------------------------------------------------------- slate
def slate_teams(slate: pl.DataFrame, target_dates: list[dt.date]) -> pl.DataFrame:
    """One row per (game_date, team) playing on a target date: its game, opponent, side and cutoff.

    A team listed in two games on one day (a bad schedule row) keeps the earliest tip-off, so a
    player can never get two rows for one day.
    """
    games = slate.filter(pl.col("game_date").is_in(_targets(target_dates)["game_date"].implode()))
    cols = ["game_date", "game_id", "season_year", "home_team", "away_team", "tipoff_utc"]
    sides = pl.concat(
        [
            games.select(*cols, pl.col("home_team").alias("team"), pl.col("away_team").alias("opponent"),
                         pl.lit(True).alias("home")),
            games.select(*cols, pl.col("away_team").alias("team"), pl.col("home_team").alias("opponent"),
                         pl.lit(False).alias("home")),
        ]
    )  # fmt: skip
    noon_et = (
        (pl.col("game_date").cast(pl.Datetime("us")) + pl.duration(hours=DEFAULT_CUTOFF_HOUR_ET))
        .dt.replace_time_zone(TIMEZONE)
        .dt.convert_time_zone("UTC")
    )
    return (
        sides.sort(["game_date", "team", "tipoff_utc", "game_id"], nulls_last=True)
        .unique(subset=["game_date", "team"], keep="first", maintain_order=True)
        .with_columns(pl.coalesce(pl.col("tipoff_utc"), noon_et).alias("cutoff_utc"))
    )


_FORM = ["pts_l3", "pts_l5", "pts_l10", "pts_std_l10", "pts_trend_l10", "min_l5", "min_l10",
         "usage_proxy_l10", "ft_share_l10"]  # fmt: skip


def slate_players(
    targets: pl.DataFrame, listed: pl.DataFrame, teams: pl.DataFrame
) -> pl.DataFrame:
    """(D, player) for every player whose roster as known before D puts him on a team playing on D."""
    players = listed.select(_PLAYER).unique()
    candidates = targets.join(players, how="cross")
    last = _asof_before(
        candidates,
        listed.with_columns(pl.col("h_date").alias("data_as_of")),
        key=pl.col("game_date"),
        by_left=[_PLAYER],
        by_right=[_PLAYER],
    )
    recent = pl.col("data_as_of") >= pl.col("game_date") - pl.duration(days=ROSTER_DAYS)
    return last.filter(pl.col("data_as_of").is_not_null() & recent).join(
        teams, left_on=["game_date", "l_team"], right_on=["game_date", "team"], how="inner"
    ).rename({"l_team": "team"})


def roster_fallback(
    targets: pl.DataFrame,
    listed_all: pl.DataFrame,
    teams: pl.DataFrame,
    injuries: pl.DataFrame,
    lines: pl.DataFrame,
    have: pl.DataFrame,
) -> pl.DataFrame:
    """Slate rows for players the 30-day rule misses (module docstring), same columns as slate_players
    plus roster_source. `listed_all`: listed_state over the whole history; `lines`: consensus_lines."""
    reports = injuries.join(
        teams.select("game_date", "team", "cutoff_utc"), on=["game_date", "team"], how="inner"
    ).filter(pl.col("report_ts") < pl.col("cutoff_utc"))
    by_report = (
        reports.sort(["game_date", _PLAYER, "report_ts"])
        .unique([("game_date"), _PLAYER], keep="last", maintain_order=True)
        .select("game_date", _PLAYER, "team", pl.col("player_name").alias("report_name"),
                pl.lit(ROSTER_INJURY).alias("roster_source"))
    )  # fmt: skip
    players = pl.concat([by_report.select(_PLAYER), lines.select(_PLAYER)]).unique()
    known = _asof_before(
        targets.join(players, how="cross"),
        listed_all.with_columns(pl.col("h_date").alias("data_as_of")),
        key=pl.col("game_date"),
        by_left=[_PLAYER],
        by_right=[_PLAYER],
    )
    sides = pl.concat([
        lines.select("game_date", _PLAYER, pl.col("home_team").alias("team")),
        lines.select("game_date", _PLAYER, pl.col("away_team").alias("team")),
    ])  # fmt: skip
    by_props = (
        sides.join(known.select("game_date", _PLAYER, pl.col("l_team").alias("team")),
                   on=["game_date", _PLAYER, "team"], how="semi")
        .with_columns(pl.lit(None, dtype=pl.Utf8).alias("report_name"), pl.lit(ROSTER_PROPS).alias("roster_source"))
    )  # fmt: skip
    cand = (
        pl.concat([by_report, by_props], how="vertical_relaxed")
        .unique(["game_date", _PLAYER], keep="first", maintain_order=True)  # the injury report's team wins
        .join(have.select("game_date", _PLAYER), on=["game_date", _PLAYER], how="anti")
    )
    out = cand.join(known, on=["game_date", _PLAYER], how="left").with_columns(
        pl.coalesce("player_name", "report_name").alias("player_name")
    )
    return out.drop("l_team", "report_name").join(teams, on=["game_date", "team"], how="inner")


def add_form(rows: pl.DataFrame, played: pl.DataFrame) -> pl.DataFrame:
    """Season form as of D, season-to-date bounded to HISTORY_DAYS, rest and the last-7-days load."""
    state = played.select(
        _PLAYER, "h_date", "p_season", *_FORM, "cum_pts", "cum_games", "cum_games_all", "cum_min_all",
        pl.col("h_date").alias("last_played"),
    )  # fmt: skip
    rows = _asof_before(rows, state, key=pl.col("game_date"), by_left=[_PLAYER], by_right=[_PLAYER])
    lo = state.select(
        _PLAYER, "h_date",
        pl.col("p_season").alias("lo_season"),
        pl.col("cum_pts").alias("lo_pts"),
        pl.col("cum_games").alias("lo_games"),
    )  # fmt: skip
    rows = _asof_before(
        rows, lo, key=pl.col("game_date") - pl.duration(days=HISTORY_DAYS), by_left=[_PLAYER], by_right=[_PLAYER]
    )
    week = state.select(
        _PLAYER, "h_date", pl.col("cum_games_all").alias("wk_games"), pl.col("cum_min_all").alias("wk_min")
    )
    rows = _asof_before(
        rows, week, key=pl.col("game_date") - pl.duration(days=RECENT_DAYS), by_left=[_PLAYER], by_right=[_PLAYER]
    )
    lo_same = _same_season("lo_season").fill_null(False)
    games = (
        _in_season(pl.col("cum_games"), "p_season").fill_null(0)
        - pl.when(lo_same).then(pl.col("lo_games")).otherwise(0)
    )
    pts = pl.col("cum_pts") - pl.when(lo_same).then(pl.col("lo_pts")).otherwise(0.0)
    rest = _in_season((pl.col("game_date") - pl.col("last_played")).dt.total_days() - 1, "p_season")
    return rows.with_columns(
        *[_in_season(pl.col(c), "p_season").alias(c) for c in _FORM],
        games.alias("games_played_season"),
        pl.when(games > 0).then(pts / games).alias("pts_season"),
        rest.alias("days_rest"),
        (rest == 0).fill_null(False).alias("back_to_back"),
        (pl.col("cum_games_all").fill_null(0) - pl.col("wk_games").fill_null(0)).alias("games_last_7d"),
        (pl.col("cum_min_all").fill_null(0.0) - pl.col("wk_min").fill_null(0.0)).alias("minutes_last_7d"),
        _in_season(pl.col("dnp_rate_l10"), "l_season").alias("dnp_rate_l10"),
    ).with_columns((pl.col("min_l5") - pl.col("min_l10")).alias("min_change"))


# -------------------------------------------------------------------------------------- team context
def add_team_context(rows: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """Own team's pace and the opponent's allowed points, defensive rating and pace (last 10, < D)."""
    own = teams.select("team", "h_date", pl.col("t_season").alias("own_season"), pl.col("pace_l10").alias("own_pace"))
    rows = _asof_before(rows, own, key=pl.col("game_date"), by_left=["team"], by_right=["team"])
    opp = teams.select(
        pl.col("team").alias("opp_team"), "h_date", pl.col("t_season").alias("opp_season"),
        pl.col("pts_allowed_l10").alias("opp_pts_allowed_l10"),
        pl.col("def_rating_l10").alias("opp_def_rating_l10"),
        pl.col("pace_l10").alias("opp_pace_l10"),
        pl.col("n_l10").alias("opp_games_l10"),
    )  # fmt: skip
    rows = _asof_before(rows, opp, key=pl.col("game_date"), by_left=["opponent"], by_right=["opp_team"])
    return rows.with_columns(
        _in_season(pl.col("own_pace"), "own_season").alias("team_pace_l10"),
        *[
            _in_season(pl.col(c), "opp_season").alias(c)
            for c in ("opp_pts_allowed_l10", "opp_def_rating_l10", "opp_pace_l10")
        ],
        _in_season(pl.col("opp_games_l10"), "opp_season").fill_null(0).alias("opp_games_l10"),
    )


# ------------------------------------------------------------------------------------------ injuries
def players_out(
    injuries: pl.DataFrame, teams: pl.DataFrame, played: pl.DataFrame
) -> pl.DataFrame:
    """(game_date, team, player_lookup, pts_l10) of players whose latest pre-tip report says Out."""
    reports = injuries.join(
        teams.select("game_date", "team", "season_year", "cutoff_utc"), on=["game_date", "team"], how="inner"
    ).filter(pl.col("report_ts") < pl.col("cutoff_utc"))
    latest = reports.sort(["game_date", _PLAYER, "report_ts", "team", "status"]).unique(
        subset=["game_date", _PLAYER], keep="last", maintain_order=True
    )
    out = latest.filter(pl.col("status").str.strip_chars().str.to_lowercase() == "out").select(
        "game_date", "team", "season_year", _PLAYER
    )
    form = played.select(_PLAYER, "h_date", "p_season", "pts_l10")
    out = _asof_before(out, form, key=pl.col("game_date"), by_left=[_PLAYER], by_right=[_PLAYER])
    return out.select(
        "game_date", "team", _PLAYER, _in_season(pl.col("pts_l10"), "p_season").fill_null(0.0).alias("out_pts")
    )


def add_injuries(rows: pl.DataFrame, out: pl.DataFrame) -> pl.DataFrame:
    """teammates_out / teammates_out_pts_l10: the team's Out players other than the player himself."""
    per_team = out.group_by(["game_date", "team"]).agg(
        pl.len().cast(pl.Int64).alias("team_out"), pl.col("out_pts").sum().alias("team_out_pts")
    )
    self_out = out.select("game_date", "team", _PLAYER, pl.lit(1).cast(pl.Int64).alias("self_out"), "out_pts")
    rows = rows.join(per_team, on=["game_date", "team"], how="left").join(
        self_out, on=["game_date", "team", _PLAYER], how="left"
    )
    return rows.with_columns(
        (pl.col("team_out").fill_null(0) - pl.col("self_out").fill_null(0)).alias("teammates_out"),
        (pl.col("team_out_pts").fill_null(0.0) - pl.col("out_pts").fill_null(0.0))
        .clip(lower_bound=0.0)  # float subtraction of an equal term can leave -1e-15
        .alias("teammates_out_pts_l10"),
    )


# --------------------------------------------------------------------------------------------- lines
def consensus_lines(prop_lines: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """Per (game_date, home_team, away_team, player): pre-tip consensus, opening consensus, n_books."""
    game = ["game_date", "home_team", "away_team"]
    tips = teams.select(*game, "tipoff_utc").unique(subset=game, keep="first", maintain_order=True)
    pre = prop_lines.join(tips, on=game, how="inner").filter(
        (pl.col("minutes_before_tip") > 0)
        & (pl.col("snapshot_ts") < pl.col("commence_time"))
        & (pl.col("tipoff_utc").is_null() | (pl.col("snapshot_ts") < pl.col("tipoff_utc")))
    )
    per_book = (
        pre.sort([*game, _PLAYER, "bookmaker", "snapshot_ts", "line"])
        .group_by([*game, _PLAYER, "bookmaker"], maintain_order=True)
        .agg(pl.col("line").last().alias("latest"), pl.col("line").first().alias("opening"))
    )
    return per_book.group_by([*game, _PLAYER]).agg(
        pl.col("latest").median().alias("consensus_line"),
        pl.col("opening").median().alias("opening_line"),
        pl.len().cast(pl.Int64).alias("n_books"),
    )


def add_lines(rows: pl.DataFrame, lines: pl.DataFrame) -> pl.DataFrame:
    rows = rows.join(lines, on=["game_date", "home_team", "away_team", _PLAYER], how="left")
    return rows.with_columns(
        pl.col("n_books").fill_null(0),
        (pl.col("consensus_line") - pl.col("pts_l10")).alias("line_minus_l10"),
        (pl.col("consensus_line") - pl.col("opening_line")).alias("line_movement"),
    )


# ------------------------------------------------------------------------------------------- quality
def quality_score() -> pl.Expr:
    """feature_quality_score in 0..100 (formula in the module docstring)."""
    n = pl.col("games_played_season").cast(pl.Float64)
    player = pl.mean_horizontal([pl.min_horizontal(n, pl.lit(float(w))) / w for w in WINDOWS])
    opponent = pl.min_horizontal(pl.col("opp_games_l10").cast(pl.Float64), pl.lit(float(TEAM_WINDOW))) / TEAM_WINDOW
    line = pl.col("consensus_line").is_not_null().cast(pl.Float64)
    w = QUALITY_WEIGHTS
    return (100 * (w["player"] * player + w["opponent"] * opponent + w["line"] * line)).round(1)


# ---------------------------------------------------------------------------------------------- main
def build_player_features(
    player_games: pl.DataFrame,
    team_games: pl.DataFrame,
    slate: pl.DataFrame,
    injuries: pl.DataFrame,
    prop_lines: pl.DataFrame,
    target_dates: list[dt.date],
    roster_history: pl.DataFrame | None = None,
    game_lines: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """features/player_features for every target date (PlayerFeaturesContract, sorted by date, player).

    Inputs may hold any dates: summaries on or after a target date are ignored for that date, and only
    the target dates' slate, injuries and lines are read. `roster_history`: summary rows (player_lookup,
    game_id, game_date, season_year, team, player_name, dnp) older than the form window, for the
    players' last known team; `player_games` when not given. `game_lines`: raw/game_lines rows
    (logic/game_lines.py; none given: the game-line columns are null).
    """
    if not target_dates:
        return TABLE.empty()
    last_day = max(target_dates)
    # Rows on/after the last target can never be used; dropping them early only saves work.
    history = player_games.filter(pl.col("game_date") < last_day)
    listed, played = listed_state(history), played_state(history)
    roster_rows = history if roster_history is None else roster_history.filter(pl.col("game_date") < last_day)
    states = {
        "listed": listed,
        "played": played,
        "listed_all": listed if roster_history is None else listed_state(roster_rows),
        "teams": team_state(team_games.filter(pl.col("game_date") < last_day)),
    }
    del history, roster_rows
    # One window's slate, lines and reports at a time (module docstring): a month's joins, not a season's.
    # A date without a game on the slate has no rows, so the windows hold game days only.
    playing = set(slate["game_date"].to_list())
    days = sorted(d for d in set(target_dates) if d in playing)
    parts = [
        _window_rows(days[i : i + WINDOW_DAYS], states, slate, injuries, prop_lines, game_lines)
        for i in range(0, len(days), WINDOW_DAYS)
    ]
    return pl.concat(parts, how="vertical").sort(["game_date", _PLAYER]) if parts else TABLE.empty()


def _window_rows(
    target_dates: list[dt.date],
    states: dict[str, pl.DataFrame],
    slate: pl.DataFrame,
    injuries: pl.DataFrame,
    prop_lines: pl.DataFrame,
    game_lines: pl.DataFrame | None,
) -> pl.DataFrame:
    """build_player_features's rows of some target dates (cast to the contract, unsorted)."""
    targets = _targets(target_dates)
    dates = targets["game_date"].implode()
    teams = slate_teams(slate, target_dates)
    rows = slate_players(targets, states["listed"], teams).with_columns(pl.lit(ROSTER_RECENT).alias("roster_source"))
    day_injuries = injuries.filter(pl.col("game_date").is_in(dates))
    lines = consensus_lines(prop_lines.filter(pl.col("game_date").is_in(dates)), teams)
    extra = roster_fallback(targets, states["listed_all"], teams, day_injuries, lines, rows)
    rows = pl.concat([rows, extra.select(rows.columns)], how="vertical_relaxed")
    rows = add_form(rows, states["played"])
    rows = add_team_context(rows, states["teams"])
    rows = add_injuries(rows, players_out(day_injuries, teams, states["played"]))
    rows = add_lines(rows, lines)
    spreads = tables.GAME_LINES.empty() if game_lines is None else game_lines
    rows = add_game_lines(rows, spreads.filter(pl.col("game_date").is_in(dates)), teams)
    fallback = pl.col("roster_source") != ROSTER_RECENT
    rows = rows.with_columns(
        pl.when(fallback)
        .then(pl.min_horizontal(quality_score(), pl.lit(FALLBACK_MAX_QUALITY)))
        .otherwise(quality_score())
        .alias("feature_quality_score"),
        pl.lit(FEATURE_VERSION).alias("feature_version"),
    )
    return rows.select([pl.col(c).cast(t) for c, t in TABLE.empty().schema.items()])


__all__ = ["FEATURE_VERSION", "HISTORY_DAYS", "ROSTER_DAYS", "build_player_features"]
