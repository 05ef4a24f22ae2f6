"""Prediction layer: a weekly walk-forward LightGBM model and daily predictions beside a baseline.

The model of week W is trained only on feature rows with game_date < W (its first day) and stored as a
LightGBM text file under <data_dir>/models/. Predictions for day D use the model of D's week (or the
latest earlier one, said in model_version); the moving-average baseline is always produced beside it.
"""


import base64
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field
import polars as pl

from checks.contracts import PredictionContract
from io_managers.model_store import ModelStore
from nba_assets.analytics import typed
from nba_assets.automation import TODAY_ONLY
from nba_assets.common import DAILY_FRESHNESS, MODEL_OWNERS, SINGLE_RUN, partition_dates, table_asset
from nba_assets.logic import inputs, modeling
from nba_assets.partitions import model_weeks
from resources.lake import LakeResource

ET = ZoneInfo("America/New_York")
MODEL_CODE_VERSION = "lgbm_points_v1.1"  # v1.1: L1 objective, p_over calibrated on lined rows


class ModelConfig(dg.Config):
    """Walk-forward training settings."""

    # Fewer distinct training days than this: no model for the week. The trainer needs > 14 game days
    # (a 14-day validation window plus early-stopping days), hence the floor.
    min_history_days: int = Field(default=28, ge=15)
    seed: int = 7


def history_holes(reader, days: list[dt.date]) -> pl.DataFrame:
    """Teams whose final games in the STALE_WINDOW_DAYS before each day lack summary rows (lake reads)."""
    tables = set(reader.tables())
    if not days or "analytics.games" not in tables:
        return pl.DataFrame(schema=inputs.STALE_SCHEMA)
    lo = min(days) - dt.timedelta(days=inputs.STALE_WINDOW_DAYS)
    where = f"game_date >= DATE '{lo}' and game_date < DATE '{max(days)}'"
    games = reader.query(f"select game_date, home_team, away_team, status from analytics.games where {where}")
    have = (
        reader.query(f"select distinct game_date, team from analytics.player_game_summary where {where}")
        if "analytics.player_game_summary" in tables
        else pl.DataFrame(schema={"game_date": pl.Date, "team": pl.Utf8})
    )
    return inputs.missing_team_games(games, have, days)


def week_key(d: dt.date) -> str:
    """The model_weeks partition (Monday start) that contains d."""
    return (d - dt.timedelta(days=d.weekday())).isoformat()


def png_markdown(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG inlined in markdown metadata, so the plot shows in the asset's page in the UI."""
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})")


def _has_games(reader, week_start: dt.date) -> bool:
    if "raw.schedule" not in reader.tables():
        return True  # unknown: train rather than silently skip
    end = week_start + dt.timedelta(days=7)
    n = reader.query(
        "select count(*) as n from raw.schedule "
        f"where game_date >= DATE '{week_start}' and game_date < DATE '{end}'"
    )["n"][0]
    return n > 0


@dg.asset(
    key=["predictions", "points_model"],
    group_name="predictions",
    description=(
        "One LightGBM points regressor per week W (Monday start), trained only on feature rows with "
        "game_date < W. Stored as <data_dir>/models/points_model/<W>.txt with metrics and calibration."
    ),
    partitions_def=model_weeks,
    backfill_policy=SINGLE_RUN,
    owners=MODEL_OWNERS,
    kinds={"lightgbm", "duckdb"},
    code_version=MODEL_CODE_VERSION,
    deps=[
        # Lineage only: the model reads ALL history before W through DuckDB. The mapping points at the
        # previous week, the newest data a week-W model may see.
        dg.AssetDep(
            dg.AssetKey(["features", "player_features"]),
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
        dg.AssetDep(
            dg.AssetKey(["analytics", "player_game_summary"]),
            partition_mapping=dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1),
        ),
    ],
)
def points_model(context: dg.AssetExecutionContext, config: ModelConfig, lake: LakeResource):
    store = ModelStore(lake.data_dir)
    results = {}
    for key in context.partition_keys:
        cutoff = dt.date.fromisoformat(key)
        reader = lake.reader()
        if not _has_games(reader, cutoff):
            # Off-season and All-Star weeks: nothing to predict, so no training cost.
            reason = f"no games in the week of {cutoff}: nothing to predict, no model trained"
            results[key] = {"status": "skipped", "reason": reason}
            continue
        features = reader.query(
            f"select * from features.player_features where game_date < DATE '{cutoff}'"
        ) if "features.player_features" in reader.tables() else pl.DataFrame()
        actuals = reader.query(
            f"select * from analytics.player_game_summary where game_date < DATE '{cutoff}'"
        ) if "analytics.player_game_summary" in reader.tables() else pl.DataFrame()
        train = (
            modeling.training_frame(features, actuals, cutoff, config.min_history_days)
            if features.height and actuals.height
            else pl.DataFrame()
        )
        if train.height == 0:
            reason = (
                f"fewer than {config.min_history_days} days of feature history before {cutoff}: "
                "no model for this week; predictions fall back to the latest earlier model or baseline only"
            )
            context.log.warning(reason)
            results[key] = {"status": "skipped", "reason": reason}
            continue
        model = modeling.train_points_model(
            train, modeling.ModelParams(seed=config.seed), cutoff
        )
        path = store.save(key, model)
        m = model.metrics
        results[key] = {"status": "trained", "path": str(path), "metrics": m, "model": model}
        context.log.info(f"week {key}: trained on {train.height} rows -> {path}")
    last_key = context.partition_keys[-1]
    last = results[last_key]
    meta: dict[str, object] = {"status": last["status"], "weeks": len(context.partition_keys)}
    if last["status"] == "skipped":
        meta["reason"] = last["reason"]
    else:
        m = last["metrics"]
        meta.update(
            {
                "path": dg.MetadataValue.path(last["path"]),
                "model_version": last["model"].model_version,
                "training_rows": m.get("train_rows"),
                "training_date_range": f"{m.get('train_start')}..{m.get('train_end')}",
                "val_mae_model": m.get("val_mae_model"),
                "val_mae_l10_baseline": m.get("val_mae_baseline"),
                "hyperparameters": dg.MetadataValue.json(m.get("params", {})),
                "feature_importance": png_markdown(
                    modeling.importance_plot_png(last["model"]), "feature importance (gain)"
                ),
            }
        )
    return dg.MaterializeResult(metadata=meta)


@table_asset(
    "predictions",
    "player_prop_predictions",
    PredictionContract,
    (
        "One row per (game_id, player_lookup, system_id) for every slate player on D: lgbm_points_v1 "
        "(the model of D's week) and the moving_avg_l10 baseline, with line, edge, p_over, "
        "recommendation and confidence."
    ),
    owners=MODEL_OWNERS,
    kinds=frozenset({"polars", "parquet", "lightgbm"}),
    code_version=MODEL_CODE_VERSION,
    automation_condition=TODAY_ONLY,
    freshness_policy=DAILY_FRESHNESS,
    ins={"features": dg.AssetIn(key=["features", "player_features"])},
    deps=[dg.AssetDep(dg.AssetKey(["predictions", "points_model"]))],
)
def player_prop_predictions(
    context: dg.AssetExecutionContext, features: pl.DataFrame, lake: LakeResource
):
    store = ModelStore(lake.data_dir)
    features = typed(features, "features/player_features")
    frames = []
    versions: dict[str, str] = {}
    days = partition_dates(context)
    holes = history_holes(lake.reader(), days)
    for d in days:
        day = features.filter(pl.col("game_date") == d)
        model = store.load(week_key(d)) or store.latest_before(week_key(d))
        versions[str(d)] = model.model_version if model else "baseline only (no model yet)"
        # Predictions are made as of the morning of D: a fixed as-of time keeps re-runs identical.
        created_at = dt.datetime.combine(d, dt.time(10, 0), tzinfo=ET).astimezone(dt.UTC)
        frames.append(modeling.build_predictions(day, model, created_at, holes.filter(pl.col("game_date") == d)))
    out = pl.concat(frames, how="vertical") if frames else typed(pl.DataFrame(), "predictions/player_prop_predictions")
    rec = out.group_by("recommendation").len().sort("recommendation") if out.height else None
    stale = out.filter(pl.col("pass_reason").str.starts_with(inputs.STALE_INPUTS)) if out.height else out
    yield dg.Output(
        out,
        metadata={
            "model_versions": dg.MetadataValue.json(versions),
            "recommendations": dg.MetadataValue.json(
                {r: n for r, n in rec.iter_rows()} if rec is not None else {}
            ),
            "stale_inputs_held_back": stale.height,
        },
    )


PREDICTION_ASSETS = [points_model, player_prop_predictions]
