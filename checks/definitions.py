"""The asset checks of the lake: thin Dagster wrappers around the pure rules in checks/*.

Every check is partitioned on `game_dates`, so a daily run records one evaluation per day and the UI
shows each day's status. In a single-run range backfill the check's step gets the range's rows: it
returns the range's verdict (so a blocking check still stops downstream steps) and logs one
evaluation per day with that day's own metadata (checks/per_day.py), so every day shows passed or
failed too. Dates come from `context.partition_keys`, never `partition_key` (which raises in a range run).

Severity is deliberate:
- duplicates: ERROR everywhere; BLOCKING on raw and analytics, which feed every later layer (one
  duplicated player-game doubles into 190 days of rolling features), so a duplicate there must stop
  the run before it spreads. Further down a duplicate's reach is one day's numbers, so it is reported
  without holding that day's predictions back.
- orphans: ERROR where our own transform produced an unexplained row (corruption), WARN where two
  sources simply disagree about what exists (a source gap); see checks/orphans.py.
- completeness: no boxscore from ANY source for a final game is ERROR (no summary, no grades); a gap
  in one source is WARN; a game not final hours after tip-off is WARN.
- availability, agreement, anomaly, quality: WARN (facts to act on, not reasons to stop).
- totals: ERROR where an aggregate does not add up to its own rows (our aggregation is wrong), WARN
  where team points differ from the schedule's final score (the sources disagree).
Cross-table inputs use `allow_missing_partitions`: a check must still evaluate when the other table
has no file for the day yet (e.g. today's prop lines, whose boxscores do not exist yet); the lake IO
manager then hands over the table's typed empty frame, so the rules always see the contract's columns.
"""

# No `from __future__ import annotations`: Dagster compares the `context` annotation by identity.
import datetime as dt
from collections.abc import Iterator

import dagster as dg
import polars as pl

from checks import agreement, anomaly, availability, completeness, duplicates, orphans, quality, totals
from checks.injury_agreement import injury_reports_conflict, injury_reports_conflict_by_day
from checks.per_day import DayRule, evaluate, latest_metadata_by_day, on_frames
from checks.result import RuleResult, combine, from_offending
from nba_assets import tables as t
from nba_assets.logic import analytics as analytics_logic
from nba_assets.partitions import game_dates

ERROR = dg.AssetCheckSeverity.ERROR
WARN = dg.AssetCheckSeverity.WARN

# ---- check names (constants: the UI, automation and tests refer to them)
DUPLICATES = "no_duplicate_keys"
SUMMARY_HAS_BOXSCORE = "summary_rows_have_raw_boxscore"
BOXSCORE_GAME_IN_SCHEDULE = "boxscore_games_in_schedule"
FEATURES_HAVE_GAME = "features_have_slate_game"
PREDICTIONS_HAVE_FEATURES = "predictions_have_feature_row"
GRADES_HAVE_PREDICTION = "grades_have_prediction"
PROP_PLAYERS_ON_ROSTER = "prop_players_on_roster"
PROP_AVAILABILITY = "prop_availability"
FINALS_HAVE_BOXSCORES = "final_games_have_boxscores"
FINALS_IN_EVERY_SOURCE = "final_games_in_every_source"
GAMES_BECOME_FINAL = "games_final_after_tipoff"
SOURCES_AGREE = "sources_agree"
BOX_IDS_MATCH_SCHEDULE = "box_game_ids_match_schedule"
SCHEDULES_AGREE = "schedules_agree"
ROW_COUNT = "row_count_vs_trailing_days"
FEATURE_QUALITY = "feature_quality_share"
CONSTANT_FEATURES = "no_constant_features"
PREDICTION_QUALITY = "prediction_quality"
TEAM_ROWS_MATCH_PLAYERS = "team_rows_match_players"
TEAM_POINTS_MATCH_FINAL = "team_points_match_final_score"
PERFORMANCE_MATCHES_GRADES = "performance_matches_grades"
INJURY_REPORTS_AGREE = "injury_reports_agree"
GAME_LINE_AVAILABILITY = "game_line_availability"

BLOCKING_LAYERS = {"raw", "analytics"}

# Tables whose volume is watched, with the column that identifies a game in them and the tolerance
# (relative deviation from the trailing median rows per game). Prop snapshots depend on how often
# the books were polled, so they get a wider band.
ROW_COUNT_TABLES: dict[t.Table, tuple[str, float]] = {
    t.BDL_BOXSCORES: ("source_game_id", anomaly.TOLERANCE),
    t.NBACOM_BOXSCORES: ("source_game_id", anomaly.TOLERANCE),
    t.PROP_LINES: ("event_id", 0.75),
    t.PLAYER_GAME_SUMMARY: ("game_id", anomaly.TOLERANCE),
    t.PLAYER_FEATURES: ("game_id", anomaly.TOLERANCE),
}
# Trailing calendar days read for the anomaly baseline: 14 game days plus the All-Star break.
HISTORY_CALENDAR_DAYS = 35
# Players a prop name may match before its game has a boxscore: a season's worth of summaries, so a
# player back from a long injury is still known.
KNOWN_PLAYER_DAYS = 200


def check_input(table: t.Table) -> dg.AssetIn:
    """A check's extra input: another table's same days (missing days read as empty)."""
    return dg.AssetIn(key=table.key, metadata={"allow_missing_partitions": True})


def evaluated_dates(context: dg.AssetCheckExecutionContext) -> list[str]:
    return list(context.partition_keys)


def check_result(
    context: dg.AssetCheckExecutionContext, severity: dg.AssetCheckSeverity, rule: DayRule
) -> Iterator[dg.AssetCheckResult]:
    """What every check returns: the rule's result, one per day in a range (checks/per_day.py)."""
    for out in evaluate(context, severity, rule):
        if not out.passed:
            name = context.check_specs[0].name
            context.log.warning(f"{name}: {out.description} (dates: {out.metadata['failing_dates'].value})")
        yield out


# ------------------------------------------------------------------------------------ duplicates
def duplicate_check(table: t.Table) -> dg.AssetChecksDefinition:
    key = list(table.business_key)
    blocking = table.layer in BLOCKING_LAYERS

    @dg.asset_check(
        asset=table.key,
        name=DUPLICATES,
        partitions_def=game_dates,
        blocking=blocking,
        description=f"One row per ({', '.join(key)}) per game date. ERROR"
        + (", blocking: stops downstream steps in the run." if blocking else ", non-blocking."),
    )
    def _check(context: dg.AssetCheckExecutionContext, frame: pl.DataFrame) -> dg.AssetCheckResult:
        rule = on_frames(lambda f: duplicates.duplicate_keys(f, key), frame)
        by_day = DayRule(rule.whole, rule.day, days=lambda days: duplicates.duplicate_keys_by_day(frame, key, days))
        return check_result(context, ERROR, by_day)

    return _check


# --------------------------------------------------------------------------------------- orphans
@dg.asset_check(
    asset=t.PLAYER_GAME_SUMMARY.key,
    name=SUMMARY_HAS_BOXSCORE,
    partitions_def=game_dates,
    additional_ins={"bdl": check_input(t.BDL_BOXSCORES), "nbacom": check_input(t.NBACOM_BOXSCORES)},
    description="Every summary row has a raw row (same day, team, player) in the source it claims. "
    "ERROR: a row nothing explains is corruption (production had 618).",
)
def summary_rows_have_raw_boxscore(
    context: dg.AssetCheckExecutionContext, player_game_summary: pl.DataFrame, bdl: pl.DataFrame,
    nbacom: pl.DataFrame,
) -> dg.AssetCheckResult:  # fmt: skip
    return check_result(context, ERROR, on_frames(orphans.summary_without_boxscore, player_game_summary, bdl, nbacom))


def edge_check(
    table: t.Table, name: str, upstream: t.Table, rule, severity: dg.AssetCheckSeverity, description: str,
    by_day=None,
) -> dg.AssetChecksDefinition:
    """A check on one edge: `rule(table's rows of the day, upstream's rows of the day)` (orphans, totals).
    `by_day(rows, upstream, days)`, when given, gives a range's per-day results in one pass."""

    @dg.asset_check(
        asset=table.key,
        name=name,
        partitions_def=game_dates,
        additional_ins={"upstream": check_input(upstream)},
        description=description,
    )
    def _check(
        context: dg.AssetCheckExecutionContext, frame: pl.DataFrame, upstream: pl.DataFrame
    ) -> dg.AssetCheckResult:
        days = None if by_day is None else lambda days: by_day(frame, upstream, days)
        return check_result(context, severity, on_frames(rule, frame, upstream, days=days))

    return _check


def boxscore_schedule_check(table: t.Table) -> dg.AssetChecksDefinition:
    return edge_check(
        table, BOXSCORE_GAME_IN_SCHEDULE, t.SCHEDULE, orphans.boxscore_games_without_schedule, WARN,
        "Every boxscore game matches a schedule game on (game_date, home, away). "
        "WARN: a source gap (schedule late or the source mis-dated a game); analytics keeps and flags it.",
        by_day=orphans.boxscore_games_without_schedule_by_day,
    )


features_have_slate_game = edge_check(
    t.PLAYER_FEATURES, FEATURES_HAVE_GAME, t.GAMES, orphans.features_without_slate_game, ERROR,
    "Every feature row's game_id is a game of that day. ERROR: corruption.",
)
predictions_have_feature_row = edge_check(
    t.PLAYER_PROP_PREDICTIONS, PREDICTIONS_HAVE_FEATURES, t.PLAYER_FEATURES, orphans.predictions_without_features,
    ERROR, "Every prediction has its feature row (day, game, player). ERROR: corruption.",
)
grades_have_prediction = edge_check(
    t.PREDICTION_GRADES, GRADES_HAVE_PREDICTION, t.PLAYER_PROP_PREDICTIONS, orphans.grades_without_prediction,
    ERROR, "Every grade has the prediction it grades (day, game, player, system). ERROR: corruption.",
)


@dg.asset_check(
    asset=t.PROP_LINES.key,
    name=PROP_PLAYERS_ON_ROSTER,
    partitions_def=game_dates,
    additional_ins={"bdl": check_input(t.BDL_BOXSCORES), "nbacom": check_input(t.NBACOM_BOXSCORES)},
    required_resource_keys={"lake"},
    description="Prop-line names that match no player, listed with the book's spelling: absent from "
    "their game's boxscore (either source, DNPs included) or, before the game has one, from every "
    f"player of the last {KNOWN_PLAYER_DAYS} days' summaries. WARN: usually a name that normalizes "
    "differently, which silently drops those lines from features.",
)
def prop_players_on_roster(
    context: dg.AssetCheckExecutionContext, prop_lines: pl.DataFrame, bdl: pl.DataFrame, nbacom: pl.DataFrame
) -> dg.AssetCheckResult:
    first = min(dt.date.fromisoformat(k) for k in evaluated_dates(context))
    known = known_players(context.resources.lake.reader(), first)
    return check_result(context, WARN, on_frames(
        lambda p, b, n: orphans.prop_players_not_on_roster(p, b, n, known), prop_lines, bdl, nbacom,
        days=lambda days: orphans.prop_players_not_on_roster_by_day(prop_lines, bdl, nbacom, days, known)))


def known_players(reader, before: dt.date) -> pl.DataFrame:
    """The player_lookups of the KNOWN_PLAYER_DAYS of summaries before `before` (empty without any)."""
    if not reader.has(t.PLAYER_GAME_SUMMARY):
        return pl.DataFrame(schema={"player_lookup": pl.Utf8})
    since = before - dt.timedelta(days=KNOWN_PLAYER_DAYS)
    rows = reader.rows(t.PLAYER_GAME_SUMMARY, since=since, before=before, window_files=True, columns=["player_lookup"])
    return rows.unique()


# ---------------------------------------------------------------------------------- availability
@dg.asset_check(
    asset=t.PROP_LINES.key,
    name=PROP_AVAILABILITY,
    partitions_def=game_dates,
    additional_ins={"schedule": check_input(t.SCHEDULE)},
    description=f"Every scheduled game has pre-tip lines for >= {availability.MIN_PLAYERS} players from "
    f">= {availability.MIN_BOOKS} books. WARN, listing the games (production missed three in a night).",
)
def prop_availability(
    context: dg.AssetCheckExecutionContext, prop_lines: pl.DataFrame, schedule: pl.DataFrame
) -> dg.AssetCheckResult:
    return check_result(context, WARN, on_frames(
        availability.prop_availability, schedule, prop_lines,
        days=lambda days: availability.prop_availability_by_day(schedule, prop_lines, days)))


# ---------------------------------------------------------------------------------- completeness
# Completeness is judged on analytics/games, not raw/schedule: a late boxscore re-runs games D through
# automation (the schedule is not rewritten), so the check re-evaluates exactly when the gap closes; and a
# game is final when either schedule says so (NBA.com's copy carried through its outage still says
# "scheduled").
_BOX_INS = {
    "schedule": check_input(t.SCHEDULE),
    "bdl": check_input(t.BDL_BOXSCORES),
    "nbacom": check_input(t.NBACOM_BOXSCORES),
}


def completeness_check(name: str, rule, severity, description: str) -> dg.AssetChecksDefinition:
    """A rule over D's games, schedule and both boxscore tables (completeness, ids), on analytics/games."""

    @dg.asset_check(
        asset=t.GAMES.key,
        name=name,
        partitions_def=game_dates,
        additional_ins=_BOX_INS,
        description=description,
    )
    def _check(
        context: dg.AssetCheckExecutionContext,
        games: pl.DataFrame,
        schedule: pl.DataFrame,
        bdl: pl.DataFrame,
        nbacom: pl.DataFrame,
    ) -> dg.AssetCheckResult:
        return check_result(context, severity, on_frames(rule, games, schedule, bdl, nbacom))

    return _check


final_games_have_boxscores = completeness_check(
    FINALS_HAVE_BOXSCORES,
    lambda games, schedule, bdl, nbacom: completeness.final_games_without_boxscores(games, bdl, nbacom),
    ERROR,
    "Every final game has a boxscore from at least one source. ERROR (non-blocking: the other games "
    "of the day are fine): that game gets no summary and no grades.",
)
final_games_in_every_source = completeness_check(
    FINALS_IN_EVERY_SOURCE,
    lambda games, schedule, bdl, nbacom: completeness.final_games_missing_a_source(games, bdl, nbacom),
    WARN,
    "Every final game is in both Ball Don't Lie and NBA.com. WARN: the other source covers it, but "
    "cross-source agreement is blind for that game.",
)


@dg.asset_check(
    asset=t.SCHEDULE.key,
    name=GAMES_BECOME_FINAL,
    partitions_def=game_dates,
    description=f"No game is still not final {completeness.STALE_AFTER_HOURS} h after tip-off. WARN: a "
    "stalled schedule feed or a postponement.",
)
def games_final_after_tipoff(
    context: dg.AssetCheckExecutionContext, schedule: pl.DataFrame
) -> dg.AssetCheckResult:
    now = dt.datetime.now(dt.UTC)
    return check_result(context, WARN, on_frames(lambda s: completeness.stale_games(s, now), schedule))


def _box_ids_replaced(schedule: pl.DataFrame, nbacom: pl.DataFrame) -> RuleResult:
    swaps = analytics_logic.box_ids_replaced_by_schedule(schedule, nbacom)
    return from_offending(
        swaps, ok="every NBA.com box score game has the schedule's id",
        problem="{n} NBA.com box score game(s) under another id than the schedule's (the schedule's is kept)",
        sort_by=["game_date", "home_team"],
    )  # fmt: skip


box_game_ids_match_schedule = completeness_check(
    BOX_IDS_MATCH_SCHEDULE,
    lambda games, schedule, bdl, nbacom: _box_ids_replaced(schedule, nbacom),
    WARN,
    "Every NBA.com box score game carries the schedule's id for its (date, home, away); "
    "analytics/games keeps the schedule's, and each swap is listed with both ids. WARN.",
)


@dg.asset_check(
    asset=t.GAMES.key,
    name=SCHEDULES_AGREE,
    partitions_def=game_dates,
    additional_ins={"schedule": check_input(t.SCHEDULE), "bdl_games": check_input(t.BDL_GAMES)},
    description="NBA.com's schedule and Ball Don't Lie's /v1/games list the same games (date, home, away) "
    f"with tip-offs within {agreement.TIPOFF_TOLERANCE_MINUTES} min; each game one lacks or times "
    "differently is named. WARN: analytics/games keeps every game either lists.",
)
def schedules_agree(
    context: dg.AssetCheckExecutionContext, games: pl.DataFrame, schedule: pl.DataFrame, bdl_games: pl.DataFrame
) -> dg.AssetCheckResult:
    return check_result(context, WARN, on_frames(agreement.schedule_disagreements, schedule, bdl_games))


# --------------------------------------------------------------------------------------- anomaly
def trailing_counts(reader, table: t.Table, game_col: str, before: dt.date) -> pl.DataFrame:
    """Rows per game in the lake for the HISTORY_CALENDAR_DAYS before `before` (empty if no table).

    Only the window's day files are read: a view over the table binds every day file's footer, and
    on a three-season lake that grew with the lake (~0.35 s per check and run)."""
    empty = pl.DataFrame(schema={"game_date": pl.Date, "game": pl.Utf8, "n_rows": pl.Int64})
    if not reader.has(table):
        return empty
    start = before - dt.timedelta(days=HISTORY_CALENDAR_DAYS)
    rows = reader.rows(table, since=start, before=before, window_files=True, columns=["game_date", game_col])
    return anomaly.counts_by_game(rows, game_col)


def emptied_days(instance: dg.DagsterInstance, key: dg.AssetKey, days: list[dt.date]) -> dict[dt.date, int]:
    """{day: rows it held before} for `days` (days with no rows now) whose latest materialization
    replaced a file that had rows (the lake IO manager records `previous_row_count`)."""
    if not days:
        return {}
    before = latest_metadata_by_day(instance, key, [str(d) for d in days], "previous_row_count")
    return {dt.date.fromisoformat(d): int(v) for d, (_, v) in before.items() if v}


def row_count_check(table: t.Table) -> dg.AssetChecksDefinition:
    game_col, tolerance = ROW_COUNT_TABLES[table]

    # The trailing days come from the lake (DuckDB views): Dagster refuses a check input on its own
    # asset with another partition mapping, and the evaluated days come from the checked partition(s).
    @dg.asset_check(
        asset=table.key,
        name=ROW_COUNT,
        partitions_def=game_dates,
        required_resource_keys={"lake"},
        description=f"Rows per game and per day vs the trailing {anomaly.WINDOW_DAYS} game days "
        f"(tolerance {tolerance:.0%} per game; day totals outside the trailing range). WARN.",
    )
    def _check(context: dg.AssetCheckExecutionContext, frame: pl.DataFrame) -> dg.AssetCheckResult:
        dates = [dt.date.fromisoformat(k) for k in evaluated_dates(context)]
        today = anomaly.counts_by_game(frame, game_col)
        history = trailing_counts(context.resources.lake.reader(), table, game_col, min(dates))
        counts = pl.concat([history, today], how="vertical_relaxed")
        # A day with no rows is a day off, unless it held rows before this write (issue 27, finding 2).
        emptied = emptied_days(context.instance, table.key, sorted(set(dates) - set(today["game_date"])))
        rule = DayRule(
            whole=lambda: anomaly.row_count_anomaly(counts, dates, tolerance=tolerance, emptied=emptied),
            day=lambda d: anomaly.row_count_anomaly(
                counts, [dt.date.fromisoformat(d)], tolerance=tolerance, emptied=emptied),
            days=lambda ds: anomaly.row_count_anomaly_by_day(counts, ds, tolerance=tolerance, emptied=emptied),
        )
        return check_result(context, WARN, rule)

    return _check


# --------------------------------------------------------------------------------------- quality
def frame_check(
    table: t.Table, name: str, rule, severity: dg.AssetCheckSeverity, description: str
) -> dg.AssetChecksDefinition:
    """A check of one table's rows of the day alone: `rule(frame)`."""

    @dg.asset_check(asset=table.key, name=name, partitions_def=game_dates, description=description)
    def _check(context: dg.AssetCheckExecutionContext, frame: pl.DataFrame) -> dg.AssetCheckResult:
        return check_result(context, severity, on_frames(rule, frame))

    return _check


sources_agree = frame_check(
    t.PLAYER_GAME_SUMMARY, SOURCES_AGREE, agreement.source_disagreements, WARN,
    "Ball Don't Lie and NBA.com agree on points and minutes for the player-games both have; metadata "
    "counts rows per source and fallback rows. WARN, listing the disagreements.",
)


def _prediction_quality(preds: pl.DataFrame) -> RuleResult:
    return combine(
        quality.low_quality_share(preds),
        quality.constant_feature_columns(preds, ["predicted_points"], by=["system_id"]),
    )


feature_quality_share = frame_check(
    t.PLAYER_FEATURES, FEATURE_QUALITY, quality.low_quality_share, WARN,
    f"At most {quality.MAX_LOW_SHARE:.0%} of a day's slate players have "
    f"feature_quality_score < {quality.QUALITY_THRESHOLD:g}. WARN.",
)
no_constant_features = frame_check(
    t.PLAYER_FEATURES, CONSTANT_FEATURES, quality.constant_feature_columns, WARN,
    "No numeric feature takes a single value across a day's slate (the old system shipped "
    "constant features for months). WARN, listing column, day and value.",
)
prediction_quality = frame_check(
    t.PLAYER_PROP_PREDICTIONS, PREDICTION_QUALITY, _prediction_quality, WARN,
    "Predictions: share of players below the feature-quality threshold, and no system "
    "predicting one number for a whole slate. WARN.",
)


# ---------------------------------------------------------------------------------------- totals
# Aggregates that must add up to the rows they summarize (checks/totals.py).
team_rows_match_players = edge_check(
    t.TEAM_GAME_SUMMARY, TEAM_ROWS_MATCH_PLAYERS, t.PLAYER_GAME_SUMMARY, totals.team_rows_match_players, ERROR,
    "Two rows per game, each team's points = its players' points in the player-game summary, "
    "points_against = the opponent's points. ERROR: our own aggregation is wrong.",
)
team_points_match_final_score = edge_check(
    t.TEAM_GAME_SUMMARY, TEAM_POINTS_MATCH_FINAL, t.GAMES, totals.team_points_match_final_score, WARN,
    "Each final game's team points equal its final score in analytics/games. WARN: the boxscore and "
    "the schedule disagree (a missing player line, a correction one source lacks).",
)
performance_matches_grades = edge_check(
    t.SYSTEM_DAILY_PERFORMANCE, PERFORMANCE_MATCHES_GRADES, t.PREDICTION_GRADES, totals.performance_matches_grades,
    ERROR,
    "One row per system per graded day; n_predictions, wins, losses, pushes and n_graded equal the "
    "grades they summarize. ERROR.",
)  # fmt: skip


# ------------------------------------------------------------------------------------ assembly
def build_asset_checks() -> list[dg.AssetChecksDefinition]:
    """Every asset check of the lake (definitions.py passes these to dg.Definitions)."""
    return [
        *(duplicate_check(table) for table in t.LAKE),
        summary_rows_have_raw_boxscore,
        boxscore_schedule_check(t.BDL_BOXSCORES),
        boxscore_schedule_check(t.NBACOM_BOXSCORES),
        features_have_slate_game,
        predictions_have_feature_row,
        grades_have_prediction,
        prop_players_on_roster,
        prop_availability,
        final_games_have_boxscores,
        final_games_in_every_source,
        games_final_after_tipoff,
        box_game_ids_match_schedule,
        schedules_agree,
        sources_agree,
        *(row_count_check(table) for table in ROW_COUNT_TABLES),
        feature_quality_share,
        no_constant_features,
        prediction_quality,
        team_rows_match_players,
        team_points_match_final_score,
        performance_matches_grades,
        edge_check(t.GAME_LINES, GAME_LINE_AVAILABILITY, t.SCHEDULE,
                   lambda lines, schedule: availability.game_line_availability(schedule, lines), WARN,
                   f"Every scheduled game has pre-tip spreads or totals from >= {availability.MIN_BOOKS} books. "
                   "WARN: the game-line features are null for such a game (the model treats them as missing)."),
        edge_check(t.INJURY_REPORT, INJURY_REPORTS_AGREE, t.INJURIES, injury_reports_conflict, WARN,
                   "The official injury report and Ball Don't Lie's agree on who is out (latest of the day). "
                   "WARN: one source missed a player; the gate uses the official status when there is one.",
                   by_day=injury_reports_conflict_by_day),
    ]
