"""Prediction layer: a weekly walk-forward LightGBM model and daily predictions beside a baseline.

The model of week W is trained only on feature rows with game_date < W (its first day) and stored as a
LightGBM text file under <data_dir>/models/. Predictions for day D use the model of D's week (or the
latest earlier one, said in model_version); the moving-average baseline is always produced beside it.
"""


import datetime as dt

import dagster as dg
import polars as pl
from pydantic import Field

from io_managers.model_store import ModelStore, ModelStoreError
from nba_assets import tables as t
from nba_assets.automation import TODAY_ONLY
from nba_assets.common import (
    MODEL_OWNERS,
    SINGLE_RUN,
    by_week,
    partition_dates,
    png_markdown,
    run_metadata,
    table_asset,
    table_in,
)
from nba_assets.logic import history, inputs, training
from nba_assets.partitions import model_weeks, week_key, week_start
from resources.lake import LakeResource
from resources.sources import SourcesResource

MODEL_CODE_VERSION = "lgbm_points_v1.1"  # v1.1: L1 objective, p_over calibrated on lined rows


class ModelConfig(dg.Config):
    """Walk-forward training settings."""

    # Fewer distinct training days than this: no model for the week. The trainer needs > 14 game days
    # (a 14-day validation window plus early-stopping days), hence the floor.
    min_history_days: int = Field(default=28, ge=15)
    seed: int = 7


def history_holes(reader, days: list[dt.date]) -> pl.DataFrame:
    """Teams whose final games in the STALE_WINDOW_DAYS before each day lack summary rows (lake reads)."""
    if not days or not reader.has(t.GAMES):
        return pl.DataFrame(schema=inputs.STALE_SCHEMA)
    lo = min(days) - dt.timedelta(days=inputs.STALE_WINDOW_DAYS)
    # The window's day files and the columns used only (a view binds every day file of the table).
    games = reader.rows(
        t.GAMES, since=lo, before=max(days), window_files=True,
        columns=["game_date", "status", "home_team", "away_team"],
    )  # fmt: skip
    have = reader.rows(
        t.PLAYER_GAME_SUMMARY, since=lo, before=max(days), window_files=True, columns=["game_date", "team"]
    ).unique()
    return inputs.missing_team_games(games, have, days)


def weeks_with_games(reader, weeks: list[dt.date]) -> set[dt.date]:
    """The weeks (Mondays) of `weeks` with at least one scheduled game, from one schedule read."""
    if not reader.has(t.SCHEDULE):
        return set(weeks)  # unknown: train rather than silently skip
    days = reader.rows(
        t.SCHEDULE, since=min(weeks), before=max(weeks) + dt.timedelta(days=7), window_files=True, columns=["game_date"]
    )["game_date"]
    return {week_start(d) for d in days.unique().to_list()} & set(weeks)


def training_history(
    reader, weeks: list[dt.date], min_history_days: int
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(features, summaries) every week of `weeks` trains on, read once: from the first game day of the
    first week's training window (training.TRAINING_WINDOW_DAYS game days with a played row before it,
    or min_history_days when more, so the history check sees them) up to the last week. Each week's
    own rows are cut from these by training.training_frame."""
    if not (reader.has(t.PLAYER_FEATURES) and reader.has(t.PLAYER_GAME_SUMMARY)):
        return t.PLAYER_FEATURES.empty(), t.PLAYER_GAME_SUMMARY.empty()
    first = min(weeks)
    lo = reader.query(
        f"select min(game_date) as lo from (select distinct f.game_date from {t.PLAYER_FEATURES.view} f "
        f"join {t.PLAYER_GAME_SUMMARY.view} s using (game_id, player_lookup) "
        f"where not s.dnp and f.game_date < DATE '{first}' "
        f"order by f.game_date desc limit {max(training.TRAINING_WINDOW_DAYS, min_history_days)})"
    )["lo"][0]
    last = max(weeks)
    return tuple(reader.rows(tb, since=lo, before=last) for tb in (t.PLAYER_FEATURES, t.PLAYER_GAME_SUMMARY))


@dg.asset(
    key=t.POINTS_MODEL.key,
    group_name=t.POINTS_MODEL.layer,
    freshness_policy=t.POINTS_MODEL.freshness_policy,
    # The UI renders descriptions as markdown: a bare <W> would be an HTML tag, hence the code span.
    description=(
        "One LightGBM points regressor per week W (Monday start), trained only on feature rows with "
        "game_date < W. Stored as `<data_dir>/models/points_model/<W>.txt` with metrics and calibration."
    ),
    partitions_def=model_weeks,
    backfill_policy=SINGLE_RUN,
    owners=MODEL_OWNERS,
    kinds={"lightgbm", "duckdb"},
    code_version=MODEL_CODE_VERSION,
    deps=[
        # Lineage only: the model reads its training window before W through DuckDB. The mapping points
        # at the previous week, the newest data a week-W model may see.
        dg.AssetDep(
            t.PLAYER_FEATURES.key,
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
        dg.AssetDep(
            t.PLAYER_GAME_SUMMARY.key,
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
    ],
)
def points_model(context: dg.AssetExecutionContext, config: ModelConfig, lake: LakeResource):
    store, reader = ModelStore(lake.data_dir), lake.reader()
    params = training.ModelParams(seed=config.seed)
    outcome, path = None, None
    weeks = [dt.date.fromisoformat(key) for key in context.partition_keys]
    playing = weeks_with_games(reader, weeks)  # off-season and All-Star weeks: no training cost
    # One read for every week of the run (a backfill's weeks overlap): each week slices its window.
    history = training_history(reader, sorted(playing), config.min_history_days) if playing else (None, None)
    # The weeks train side by side, one per core (training.fit_weeks); each is saved as it comes, in order.
    # A week whose stored model was fitted on the same rows keeps it (training.fit_week).
    outcomes = training.fit_weeks(weeks, *history, params, config.min_history_days, playing,
                                  stored=lambda week: _stored_model(store, week))
    for key, week, outcome in zip(context.partition_keys, weeks, outcomes, strict=True):
        if outcome.model is None:
            if week in playing:
                context.log.warning(outcome.reason)
            continue
        if outcome.reused:
            path = store.path_for(key)
            context.log.info(f"week {key}: its {outcome.train_rows} training rows are unchanged -> kept {path}")
            continue
        path = store.save(key, outcome.model)
        context.log.info(f"week {key}: trained on {outcome.train_rows} rows -> {path}")
    # The metadata describes the run's last week (the one a daily run trains), and goes on that week only.
    meta: dict[str, object] = {"weeks": len(context.partition_keys)}
    if outcome.model is None:
        meta |= {"status": "skipped", "reason": outcome.reason}
    else:
        meta |= {"status": "kept: training rows unchanged" if outcome.reused else "trained",
                 "path": dg.MetadataValue.path(str(path)), **training.model_summary(outcome.model)}
        meta["hyperparameters"] = dg.MetadataValue.json(outcome.model.metrics.get("params", {}))
        meta["feature_importance"] = png_markdown(
            training.importance_plot_png(outcome.model), "feature importance (gain)"
        )
    return dg.MaterializeResult(metadata=run_metadata(context, meta))


def _stored_model(store: ModelStore, week: dt.date):
    """The week's stored model, or None when it has none or an unreadable pair (fitted again, saved over)."""
    try:
        return store.load(week.isoformat())
    except ModelStoreError:
        return None


@table_asset(
    t.RECOMMENDATION_HISTORY,
    (
        "Append-only: one row per (game_id, player_lookup, system_id, created_at), every registered "
        "prediction system re-run at each slate refresh (10:00 ET, then T-3h, T-1h, T-10m before each "
        "game's tip) with the line, the game lines and the player's injury status (the NBA's official report "
        "first) as of that moment; a row is added when "
        "the line, the injury status or the model changed. Nothing is made at or after tip-off."
    ),
    owners=MODEL_OWNERS,
    kinds=frozenset({"polars", "parquet", "lightgbm"}),
    code_version=MODEL_CODE_VERSION,
    automation_condition=TODAY_ONLY,
    ins={
        "features": table_in(t.PLAYER_FEATURES),
        "schedule": table_in(t.SCHEDULE),
        "prop_lines": table_in(t.PROP_LINES),
        "injuries": table_in(t.INJURIES),
        "injury_report": table_in(t.INJURY_REPORT),
        "game_lines": table_in(t.GAME_LINES),
    },
    deps=[dg.AssetDep(t.POINTS_MODEL.key)],
)
def recommendation_history(
    context: dg.AssetExecutionContext,
    features: pl.DataFrame,
    schedule: pl.DataFrame,
    prop_lines: pl.DataFrame,
    injuries: pl.DataFrame,
    injury_report: pl.DataFrame,
    game_lines: pl.DataFrame,
    lake: LakeResource,
    sources: SourcesResource,
):
    store = ModelStore(lake.data_dir)
    reader = lake.reader()
    now = sources.now()  # the sources' clock: the sim clock in sim mode, so replays are reproducible
    frames, versions, refreshes = [], {}, {}
    days = partition_dates(context)
    holes = history_holes(reader, days)
    # One read of the range's stored history, not one per day.
    stored = reader.rows(t.RECOMMENDATION_HISTORY, since=min(days), before=max(days) + dt.timedelta(days=1))
    stored = history.conform(stored)
    inputs = (features, schedule, prop_lines, injuries, stored, holes, injury_report, game_lines)
    # One history build per model week, not per day: a build's fixed cost (a few dozen small frame
    # operations, one predict per system) is most of a day's, and a week's model serves each of its
    # days. The rows are the same either way: every step is keyed by game, player and refresh time.
    inputs_by_week = [by_week(frame) for frame in inputs]
    weeks: dict[str, list[dt.date]] = {}
    for d in days:
        weeks.setdefault(week_key(d), []).append(d)
    for key, week_days in weeks.items():
        model = store.load(key) or store.latest_before(key)
        week_features, week_schedule, week_lines, week_injuries, existing, week_holes, week_official, week_games = (
            split.get(key, frame.clear()) for split, frame in zip(inputs_by_week, inputs, strict=True)
        )
        made = history.build_history(
            week_features, week_schedule, week_lines, week_injuries, model, now, existing, week_holes,
            game_lines=week_games, official=week_official,
        )
        rows, old = _rows_per_day(made), _rows_per_day(existing)
        for d in week_days:
            versions[str(d)] = model.model_version if model else "baseline only (no model yet)"
            refreshes[str(d)] = {"rows": rows.get(d, 0), "new_rows": rows.get(d, 0) - old.get(d, 0)}
        frames.append(made)
    out = pl.concat(frames, how="vertical") if frames else t.RECOMMENDATION_HISTORY.empty()
    by_refresh = out.group_by("refresh").len().sort("refresh") if out.height else None
    # Each day's event says what made ITS rows (the model, rows and new rows): the output's metadata is
    # copied onto every day's event of a range, so a map over the range's days there grew each event
    # with the range (days² entries: 20 KB per day's event for a season, most of storing it).
    for d in days:
        context.add_asset_metadata(
            {"model_version": versions[str(d)], **refreshes[str(d)]}, partition_key=str(d)
        )
    yield dg.Output(
        out,
        metadata=run_metadata(context, {
            "as_of": now.isoformat(),
            "rows_by_refresh": dg.MetadataValue.json(
                {r: n for r, n in by_refresh.iter_rows()} if by_refresh is not None else {}
            ),
        }),  # fmt: skip
    )


def _rows_per_day(frame: pl.DataFrame) -> dict[dt.date, int]:
    return dict(frame.group_by("game_date").len().iter_rows()) if frame.height else {}


@table_asset(
    t.PLAYER_PROP_PREDICTIONS,
    (
        "One row per (game_id, player_lookup, system_id) for every slate player on D and every registered "
        "prediction system: the latest recommendation_history row (the current recommendation), with "
        "line, edge, p_over, injury status, recommendation and confidence."
    ),
    owners=MODEL_OWNERS,
    kinds=frozenset({"polars", "parquet"}),
    code_version=MODEL_CODE_VERSION,
    automation_condition=TODAY_ONLY,
    ins={"recommendations": table_in(t.RECOMMENDATION_HISTORY)},
)
def player_prop_predictions(context: dg.AssetExecutionContext, recommendations: pl.DataFrame):
    out = history.latest(recommendations)
    rec = out.group_by("system_id", "recommendation").len().sort("system_id", "recommendation")
    injured = out.filter(pl.col("injury_status").is_not_null()).group_by("injury_status").len()
    yield dg.Output(
        out,
        metadata=run_metadata(context, {
            "recommendations": dg.MetadataValue.json(
                {f"{s}/{r}": n for s, r, n in rec.iter_rows()} if out.height else {}
            ),
            "injury_statuses": dg.MetadataValue.json({s: n for s, n in injured.iter_rows()}),
            "stale_inputs_held_back": out.filter(
                pl.col("pass_reason").str.starts_with(inputs.STALE_INPUTS)
            ).height if out.height else 0,
        }),  # fmt: skip
    )


PREDICTION_ASSETS = [points_model, recommendation_history, player_prop_predictions]
